/**
 * The consolidated progress table (実施状況) of a cycle year: the plan table with the divisions'
 * answers filled in and a notes column (備考), as CSV and as a workbook for the review council.
 */
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { compareFiscalYearCodes, fiscalYearCode, fiscalYearLabel, parseFiscalYear } from '../domain/fiscal-year';
import { type AnswerValues, blankValue, type CollectionField, fieldName, scaleOf, type TargetActualValue } from '../domain/collection-definition';
import { canonicalPlan, fieldValue, Plan, type PlanItem } from '../domain/plan';
import { writeCsv } from '../master/plan-csv';
import { type PlanColumn, planTable, tableCellValue } from '../master/plan-table';
import { ratingLegend } from './rating-legend';
import { a3Landscape, addBannerRow, addHeaderRow, columnAlignment, columnWidth, figureFormat, rowHeight, THIN_BORDER } from './sheet-style';

export type ConsolidatedAnswers = ReadonlyMap<number, AnswerValues>;

function withYear(years: readonly string[], year: string): string[] {
  if (years.includes(year)) return [...years];
  const at = years.findIndex((y) => compareFiscalYearCodes(y, year) > 0);
  return at < 0 ? [...years, year] : [...years.slice(0, at), year, ...years.slice(at)];
}

/**
 * The plan with the cycle year's value of every field of every item: the answer where there is
 * one, blank where there is none. Answers for items the plan no longer has are left out, so that
 * a cycle can be merged into a master edited while it ran. The version is the caller's to raise.
 */
export function consolidatePlan(plan: Plan, year: string, answers: ConsolidatedAnswers): Plan {
  const { fields } = plan.definition;
  return Plan.parse({
    ...plan,
    fieldYears: Object.fromEntries(fields.map((field) => [field.id, withYear(plan.fieldYears[field.id] ?? [], year)])),
    items: plan.items.map((item) => {
      const answer = answers.get(item.no);
      return {
        ...item,
        values: Object.fromEntries(fields.map((field) => [field.id, { ...item.values[field.id], [year]: answer?.[field.id] ?? blankValue(field) }])),
      };
    }),
  });
}

const NOTES_HEADER = '備考';
const NOTES_WIDTH = 20;

/** The plan table with the notes column last. */
function consolidatedTable(plan: Plan, year: string, notes: ReadonlyMap<number, string>): { columns: PlanColumn[]; header: string[]; rows: string[][] } {
  const { columns, header, rows } = planTable(plan, year);
  const noColumn = columns.findIndex((column) => column.kind === 'no');
  return {
    columns,
    header: [...header, NOTES_HEADER],
    rows: rows.map((cells) => [...cells, notes.get(Number(cells[noColumn])) ?? '']),
  };
}

/** The plan export CSV (`writePlanCsv`) with 備考 as its last column. */
export function writeConsolidatedCsv(plan: Plan, year: string, notes: ReadonlyMap<number, string>): string {
  const { header, rows } = consolidatedTable(plan, year, notes);
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
  const { columns, header, rows } = consolidatedTable(plan, year, input.notes);
  const widths = [...columns.map(columnWidth), NOTES_WIDTH];
  const sheet = workbook.addWorksheet(STATUS_SHEET, {
    views: [{ state: 'frozen', ySplit: HEADER_ROW }],
    pageSetup: a3Landscape(HEADER_ROW),
  });
  sheet.columns = widths.map((width) => ({ width }));
  const title = input.title ?? `${plan.municipality.name} ${plan.title}の実施状況（${fiscalYearLabel(parseFiscalYear(year))}末見込み）`;
  addBannerRow(sheet, TITLE_ROW, title, widths, { bold: true, size: 14 });
  addBannerRow(sheet, LEGEND_ROW, ratingLegend(plan.definition, year), widths);
  addHeaderRow(sheet, HEADER_ROW, header, widths);

  const areaColumn = columns.findIndex((c) => c.kind === 'text' && c.field === 'area');
  const policyColumn = columns.findIndex((c) => c.kind === 'text' && c.field === 'policy');
  // As in the printed plan: one merged label per area, and per policy within it.
  const areaRuns = runs(rows.map((cells) => cells[areaColumn]!));
  const policyRuns = runs(rows.map((cells) => JSON.stringify([cells[areaColumn], cells[policyColumn]])));
  const endingAt = (found: ReturnType<typeof runs>) => new Map(found.map((run) => [run.last, run]));
  const areaEnds = endingAt(areaRuns);
  // A form whose table leaves out the area or the policy merges only the column it has.
  const merges = ([
    [policyColumn, endingAt(policyRuns)],
    [areaColumn, areaEnds],
  ] as Array<[column: number, ends: ReturnType<typeof endingAt>]>).filter(([column]) => column >= 0);
  rows.forEach((cells, i) => {
    const row = sheet.getRow(FIRST_ITEM_ROW + i);
    row.values = cells.map((text, c) => tableCellValue(columns[c], text));
    row.height = rowHeight(cells.map((text, c) => ({ text, width: widths[c]! })));
    cells.forEach((_, c) => {
      const cell = row.getCell(c + 1);
      const column = columns[c];
      cell.border = THIN_BORDER;
      cell.alignment = column ? columnAlignment(column) : { vertical: 'top', wrapText: true };
      const format = column && figureFormat(column);
      if (format) cell.numFmt = format;
      if (c === areaColumn || c === policyColumn) cell.font = { bold: true };
    });
    for (const [column, ends] of merges) {
      const run = ends.get(i);
      if (run && run.last > run.first) sheet.mergeCells(FIRST_ITEM_ROW + run.first, column + 1, FIRST_ITEM_ROW + run.last, column + 1);
    }
    if (areaEnds.has(i)) row.commit();
  });
}

export const BLANK_LABEL = '空欄・未提出';

/**
 * The summary by area (基本方針), for the year and the year before it where the plan has it:
 * the items at each value of each summarised rating (blank too), and the sum of each
 * summarised figure.
 */
export interface AreaSummary {
  years: string[];
  /** What each column counts or sums (「○」, 効果額（千円）), each for every one of `years`; `group` names its kind for the mail. */
  measures: Array<{ label: string; group: string }>;
  /** Values in the order of `measures`, each for every one of `years`. */
  areas: Array<{ area: string; values: number[] }>;
  total: number[];
}

/** One column of the summary: its label and what it gives for a year's items. */
interface Measure {
  label: string;
  group: string;
  of: (items: readonly PlanItem[], year: string) => number;
}

// Sums are cut to 12 significant digits, so that 0.1 + 0.2 is 0.3 as the council reads it.
const sum = (values: ReadonlyArray<number | null>) => Number(values.reduce<number>((total, v) => total + (v ?? 0), 0).toPrecision(12));

function measures(plan: Plan): Measure[] {
  const { definition } = plan;
  const byId = (id: string) => definition.fields.find((field) => field.id === id)!;
  const ratings = definition.summary.ratings.map(byId).filter((field) => field.kind === 'rating');
  const value = (item: PlanItem, field: CollectionField, year: string) => fieldValue(plan, item, field.id, year);
  const counted = ratings.flatMap((field): Measure[] => {
    const scale = scaleOf(definition, field);
    // One rating is counted under its symbols alone, as Arao's summary always was; two are told apart by their scales.
    const prefix = ratings.length > 1 ? `${scale.name} ` : '';
    return [...scale.values.map((v) => v.symbol), ''].map((symbol) => ({
      label: `${prefix}${symbol === '' ? BLANK_LABEL : symbol}`,
      group: `${scale.name}の件数`,
      of: (items, year) => items.filter((item) => value(item, field, year) === symbol).length,
    }));
  });
  const summed = definition.summary.sums.map(byId).flatMap((field): Measure[] => {
    const group = `${fieldName(field)}の合計`;
    const unit = 'unit' in field && field.unit !== '' ? `（${field.unit}）` : '';
    if (field.kind === 'number') return [{ label: `${fieldName(field)}${unit}`, group, of: (items, year) => sum(items.map((item) => value(item, field, year) as number | null)) }];
    return (['target', 'actual'] as const).map((part) => ({
      label: `${fieldName(field)} ${part === 'target' ? '目標' : '実績'}${unit}`,
      group,
      of: (items, year) => sum(items.map((item) => (value(item, field, year) as TargetActualValue)[part])),
    }));
  });
  return [...counted, ...summed];
}

export function areaSummary(plan: Plan, year: string): AreaSummary {
  const summarised = [...plan.definition.summary.ratings, ...plan.definition.summary.sums];
  const hasPrevious = summarised.some((id) => (plan.fieldYears[id] ?? []).some((y) => parseFiscalYear(y) === parseFiscalYear(year) - 1));
  const years = hasPrevious ? [fiscalYearCode(parseFiscalYear(year) - 1), year] : [year];
  const canonical = canonicalPlan(plan);
  const all = measures(canonical);
  const values = (of: readonly PlanItem[]) => all.flatMap((measure) => years.map((y) => measure.of(of, y)));
  const areas = [...new Set(canonical.items.map((item) => item.area))];
  return {
    years,
    measures: all.map(({ label, group }) => ({ label, group })),
    areas: areas.map((area) => ({ area: area || NO_LABEL, values: values(canonical.items.filter((item) => item.area === area)) })),
    total: values(canonical.items),
  };
}

function addSummarySheet(workbook: ExcelJS.Workbook, summary: AreaSummary): void {
  const header = ['基本方針', ...summary.measures.flatMap((measure) => summary.years.map((y) => `${measure.label} ${y}`))];
  const widths = [24, ...header.slice(1).map(() => 10)];

  const sheet = workbook.addWorksheet(SUMMARY_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = widths.map((width) => ({ width }));
  addHeaderRow(sheet, 1, header, widths);
  for (const { area, values } of summary.areas) sheet.addRow([area, ...values]);
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
  addSummarySheet(workbook, areaSummary(input.plan, input.year));
  addNotReturnedSheet(workbook, input.notReturned);
  await workbook.commit();
  return Buffer.concat(chunks);
}
