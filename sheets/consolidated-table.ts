/**
 * The consolidated progress table (実施状況) of a cycle year: the plan table with the divisions'
 * answers filled in and a notes column (備考), as CSV and as a workbook for the review council.
 */
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { compareFiscalYearCodes, fiscalYearLabel, parseFiscalYear } from '../domain/fiscal-year';
import { canonicalPlan, Plan, type PlanItem } from '../domain/plan';
import { STATUS_MARKS, type StatusMark } from '../domain/status-mark';
import { writeCsv } from '../master/plan-csv';
import { type PlanColumn, planTable } from '../master/plan-table';
import { a3Landscape, addBannerRow, addHeaderRow, columnAlignment, columnWidth, rowHeight, tableCellValue, THIN_BORDER } from './sheet-style';
import { statusLegend } from './status-legend';

export type ConsolidatedAnswers = ReadonlyMap<number, { mark: StatusMark; statusText: string }>;

function withYear(years: readonly string[], year: string): string[] {
  if (years.includes(year)) return [...years];
  const at = years.findIndex((y) => compareFiscalYearCodes(y, year) > 0);
  return at < 0 ? [...years, year] : [...years.slice(0, at), year, ...years.slice(at)];
}

/**
 * The plan with the cycle year's status text and mark of every item: the answer where there is
 * one, blank where there is none. Answers for items the plan no longer has are left out, so that
 * a cycle can be merged into a master edited while it ran. The version is the caller's to raise.
 */
export function consolidatePlan(plan: Plan, year: string, answers: ConsolidatedAnswers): Plan {
  return Plan.parse({
    ...plan,
    statusTextYears: withYear(plan.statusTextYears, year),
    markYears: withYear(plan.markYears, year),
    items: plan.items.map((item) => {
      const answer = answers.get(item.no);
      return {
        ...item,
        statusText: { ...item.statusText, [year]: answer?.statusText ?? '' },
        marks: { ...item.marks, [year]: answer?.mark ?? '' },
      };
    }),
  });
}

const NOTES_HEADER = '備考';
const NOTES_WIDTH = 20;

/** The plan table with the notes column last. */
function consolidatedTable(plan: Plan, notes: ReadonlyMap<number, string>): { columns: PlanColumn[]; header: string[]; rows: string[][] } {
  const { columns, header, rows } = planTable(plan);
  const noColumn = columns.findIndex((column) => column.kind === 'no');
  return {
    columns,
    header: [...header, NOTES_HEADER],
    rows: rows.map((cells) => [...cells, notes.get(Number(cells[noColumn])) ?? '']),
  };
}

/** The plan export CSV (`writePlanCsv`) with 備考 as its last column. */
export function writeConsolidatedCsv(plan: Plan, notes: ReadonlyMap<number, string>): string {
  const { header, rows } = consolidatedTable(plan, notes);
  return writeCsv([header, ...rows]);
}

export interface ConsolidatedWorkbookInput {
  /** Already consolidated for `year`. */
  plan: Plan;
  year: string;
  notes: ReadonlyMap<number, string>;
  notReturned: ReadonlyArray<{ divisionId: string; divisionName: string }>;
  title?: string;
}

const STATUS_SHEET = '実施状況';
const SUMMARY_SHEET = '集計';
const NOT_RETURNED_SHEET = '未提出';
const TITLE_ROW = 1;
const LEGEND_ROW = 2;
const HEADER_ROW = 3;
const FIRST_ITEM_ROW = 4;
const NO_LABEL = '（記載なし）';

/** Index ranges of equal neighbouring keys. */
function runs(keys: readonly string[]): Array<{ first: number; last: number }> {
  const found: Array<{ first: number; last: number }> = [];
  keys.forEach((key, i) => {
    const current = found.at(-1);
    if (current && keys[current.first] === key) current.last = i;
    else found.push({ first: i, last: i });
  });
  return found;
}

/**
 * Rows are committed to the zip stream as soon as no merge can still reach them: after each
 * area's last row, since a policy's run never crosses its area's. Held in memory, a table of
 * 20,000 items cost the worker a quarter of a gigabyte at close.
 */
function addStatusSheet(workbook: ExcelJS.Workbook, input: ConsolidatedWorkbookInput): void {
  const { plan, year } = input;
  const { columns, header, rows } = consolidatedTable(plan, input.notes);
  const widths = [...columns.map(columnWidth), NOTES_WIDTH];
  const sheet = workbook.addWorksheet(STATUS_SHEET, {
    views: [{ state: 'frozen', ySplit: HEADER_ROW }],
    pageSetup: a3Landscape(HEADER_ROW),
  });
  sheet.columns = widths.map((width) => ({ width }));
  const title = input.title ?? `${plan.municipality.name} ${plan.title}の実施状況（${fiscalYearLabel(parseFiscalYear(year))}末見込み）`;
  addBannerRow(sheet, TITLE_ROW, title, widths, { bold: true, size: 14 });
  addBannerRow(sheet, LEGEND_ROW, statusLegend(year), widths);
  addHeaderRow(sheet, HEADER_ROW, header, widths);

  const areaColumn = columns.findIndex((c) => c.kind === 'text' && c.field === 'area');
  const policyColumn = columns.findIndex((c) => c.kind === 'text' && c.field === 'policy');
  // As in the printed plan: one merged label per area, and per policy within it.
  const areaRuns = runs(rows.map((cells) => cells[areaColumn]!));
  const policyRuns = runs(rows.map((cells) => JSON.stringify([cells[areaColumn], cells[policyColumn]])));
  const endingAt = (found: ReturnType<typeof runs>) => new Map(found.map((run) => [run.last, run]));
  const areaEnds = endingAt(areaRuns);
  const merges: Array<[column: number, ends: ReturnType<typeof endingAt>]> = [
    [policyColumn, endingAt(policyRuns)],
    [areaColumn, areaEnds],
  ];
  rows.forEach((cells, i) => {
    const row = sheet.getRow(FIRST_ITEM_ROW + i);
    row.values = cells.map((text, c) => tableCellValue(columns[c], text));
    row.height = rowHeight(cells.map((text, c) => ({ text, width: widths[c]! })));
    cells.forEach((_, c) => {
      const cell = row.getCell(c + 1);
      const column = columns[c];
      cell.border = THIN_BORDER;
      cell.alignment = column ? columnAlignment(column) : { vertical: 'top', wrapText: true };
      if (c === areaColumn || c === policyColumn) cell.font = { bold: true };
    });
    for (const [column, ends] of merges) {
      const run = ends.get(i);
      if (run && run.last > run.first) sheet.mergeCells(FIRST_ITEM_ROW + run.first, column + 1, FIRST_ITEM_ROW + run.last, column + 1);
    }
    if (areaEnds.has(i)) row.commit();
  });
}

const SUMMARY_MARKS: readonly StatusMark[] = [...STATUS_MARKS, ''];
export const markLabel = (mark: StatusMark) => (mark === '' ? '空欄・未提出' : mark);

/** Each mark counted by area (基本方針), for the year and the year before it where the plan has its marks. */
export interface MarkSummary {
  years: string[];
  marks: readonly StatusMark[];
  /** Counts in the order of `marks`, each for every one of `years`. */
  areas: Array<{ area: string; counts: number[] }>;
  total: number[];
}

export function markSummary(plan: Plan, year: string): MarkSummary {
  const previous = plan.markYears.find((y) => parseFiscalYear(y) === parseFiscalYear(year) - 1);
  const years = previous === undefined ? [year] : [previous, year];
  const { items } = canonicalPlan(plan);
  const counts = (of: readonly PlanItem[]) =>
    SUMMARY_MARKS.flatMap((mark) => years.map((y) => of.filter((item) => (item.marks[y] ?? '') === mark).length));
  const areas = [...new Set(items.map((item) => item.area))];
  return {
    years,
    marks: SUMMARY_MARKS,
    areas: areas.map((area) => ({ area: area || NO_LABEL, counts: counts(items.filter((item) => item.area === area)) })),
    total: counts(items),
  };
}

function addSummarySheet(workbook: ExcelJS.Workbook, summary: MarkSummary): void {
  const header = ['基本方針', ...summary.marks.flatMap((mark) => summary.years.map((y) => `${markLabel(mark)} ${y}`))];
  const widths = [24, ...header.slice(1).map(() => 10)];

  const sheet = workbook.addWorksheet(SUMMARY_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = widths.map((width) => ({ width }));
  addHeaderRow(sheet, 1, header, widths);
  for (const { area, counts } of summary.areas) sheet.addRow([area, ...counts]);
  const total = sheet.addRow(['合計', ...summary.total]);
  total.font = { bold: true };
  sheet.eachRow((row, n) => {
    if (n > 1) row.eachCell((cell) => (cell.border = THIN_BORDER));
  });
}

function addNotReturnedSheet(workbook: ExcelJS.Workbook, notReturned: ConsolidatedWorkbookInput['notReturned']): void {
  const widths = [24, 24];
  const sheet = workbook.addWorksheet(NOT_RETURNED_SHEET);
  sheet.columns = widths.map((width) => ({ width }));
  addHeaderRow(sheet, 1, ['担当課', '課ID'], widths);
  if (notReturned.length === 0) sheet.addRow(['未提出の課はありません']);
  for (const division of notReturned) sheet.addRow([division.divisionName, division.divisionId]);
}

/** The consolidated table (実施状況), its counts by area (集計) and the divisions that did not return (未提出). */
export async function writeConsolidatedWorkbook(input: ConsolidatedWorkbookInput): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream = new PassThrough().on('data', (chunk: Buffer) => chunks.push(chunk));
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: true, zip: { zlib: { level: 9 } } });
  workbook.creator = 'torimatome';
  addStatusSheet(workbook, input);
  addSummarySheet(workbook, markSummary(input.plan, input.year));
  addNotReturnedSheet(workbook, input.notReturned);
  await workbook.commit();
  return Buffer.concat(chunks);
}
