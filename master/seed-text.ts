import { fiscalYearCode, parseFiscalYear } from '../domain/fiscal-year';
import { CONTINUE, isPlausibleSchedule, readScheduleEntry, type ScheduleEntry } from '../domain/schedule';
import { readStatusMark, type StatusMark, unknownStatusMarkMessage } from '../domain/status-mark';
import type { Finding } from './findings';

/**
 * Reads the status table as exported from the PDF (one tab-separated line per plan item,
 * a header block repeated on every page) and puts every cell back in its column.
 *
 * The export dropped empty cells, so a row is aligned from both ends: divisions last, then
 * the marks, then the status text, then the schedule; what is left after the item number
 * holds the initiative and overview, preceded by whichever area and policy cells survived.
 */

export interface SeedColumns {
  scheduleYears: string[];
  statusTextYear: string;
  markYears: string[];
}

/** What a row says about its area and policy; carrying them across merged spans comes later. */
export type RowLabels =
  | { kind: 'both'; area: string; policy: string }
  | { kind: 'lone'; label: string }
  | { kind: 'none' };

export interface SeedRow {
  no: number;
  line: number;
  /** 1-based page of the PDF the row was printed on. */
  page: number;
  labels: RowLabels;
  initiative: string;
  overview: string;
  /** Undefined when the cells cannot tell the schedule (see scheduleCells). */
  schedule: ScheduleEntry[] | undefined;
  scheduleCells: string[];
  statusText: string;
  marks: StatusMark[];
  /** Empty when the row names no division: a person decides. */
  divisions: string[];
}

export interface SeedTable {
  columns: SeedColumns;
  rows: SeedRow[];
}

const HEADER_FIRST_CELL = '整理番号';
const SPACES = /^[\s\u3000]+|[\s\u3000]+$/g;

function trimCell(cell: string): string {
  return cell.replace(SPACES, '');
}

function yearOf(cell: string): string | undefined {
  try {
    return /^[A-Za-zＡ-Ｚａ-ｚ]/.test(trimCell(cell)) ? fiscalYearCode(parseFiscalYear(cell)) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the two header lines of a page: the titles, then the year cells under them. */
function readColumns(titleCells: string[], yearCells: string[], line: number, findings: Finding[]): SeedColumns | undefined {
  const statusTitle = titleCells.map((c) => /取組状況（(.+?)年度末見込み）/.exec(c)).find(Boolean);
  const runs: string[][] = [];
  let run: string[] = [];
  for (const cell of yearCells) {
    const year = yearOf(cell);
    if (year) run.push(year);
    else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  const [scheduleYears, markYears] = runs;
  if (!statusTitle || !scheduleYears || !markYears || runs.length !== 2) {
    findings.push({ severity: 'error', code: 'header-unreadable', line, message: '見出し行の年度（スケジュールの年度、取組状況の年度）が読めません' });
    return undefined;
  }
  const contiguous = scheduleYears.every((y, i) => i === 0 || parseFiscalYear(y) === parseFiscalYear(scheduleYears[i - 1]!) + 1);
  if (!contiguous) {
    findings.push({ severity: 'error', code: 'header-unreadable', line, message: `スケジュールの年度（${scheduleYears.join('、')}）が連続していません` });
    return undefined;
  }
  let statusTextYear: string;
  try {
    statusTextYear = fiscalYearCode(parseFiscalYear(statusTitle[1]!));
  } catch {
    findings.push({ severity: 'error', code: 'header-unreadable', line, message: `見出し「${statusTitle[0]}」の年度が読めません` });
    return undefined;
  }
  const period = `${scheduleYears[0]}〜${scheduleYears[scheduleYears.length - 1]}`;
  for (const year of [statusTextYear, ...markYears]) {
    if (!scheduleYears.includes(year)) {
      findings.push({ severity: 'error', code: 'year-outside-period', line, message: `見出しの年度 ${year} は計画期間（${period}）の外です` });
    }
  }
  return findings.some((f) => f.severity === 'error') ? undefined : { scheduleYears, statusTextYear, markYears };
}

function sameColumns(a: SeedColumns, b: SeedColumns): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Splits 担当課 on spaces (ASCII or full-width) and Japanese commas; the first is the lead. */
export function splitDivisions(cell: string): string[] {
  return cell.split(/[\s\u3000、,，]+/).filter((d) => d !== '');
}

interface RowContext {
  columns: SeedColumns;
  line: number;
  page: number;
  findings: Finding[];
  /** The characters seen for the - mark, to name them in the report. */
  dashes: Set<string>;
  /** Empty fields the line ended in, already cut off (see splitLine). */
  trailingEmpty: number;
}

function alignRow(cells: string[], ctx: RowContext): SeedRow | undefined {
  const { columns, line, findings } = ctx;
  const no = Number(cells[0]);
  const fail = (code: string, message: string): undefined => {
    findings.push({ severity: 'error', code, no, line, message });
    return undefined;
  };
  const expected = 1 + 2 + 2 + columns.scheduleYears.length + 1 + columns.markYears.length + 1;

  const trailing = ctx.trailingEmpty;
  if (trailing > 0) findings.push({ severity: 'info', code: 'trailing-empty-cell', no, line, message: `行末の余分な空セル（${trailing}個）を除きました` });
  const fieldCount = cells.length;
  const rest = cells.slice(1);

  // Divisions: the last cell, unless the export left none and the last cell is already a mark.
  const last = rest[rest.length - 1] ?? '';
  const lastIsMark = readStatusMark(last).ok && last !== '';
  const divisions = lastIsMark ? [] : splitDivisions(rest.pop() ?? '');

  if (rest.length < columns.markYears.length + 1 + columns.scheduleYears.length + 2) {
    return fail('truncated-row', `セルが足りません（${fieldCount}個、本来は${expected}個）。行が途中で切れていないか確認してください`);
  }
  const marks: StatusMark[] = [];
  const markCells = rest.splice(rest.length - columns.markYears.length);
  for (const [i, cell] of markCells.entries()) {
    const reading = readStatusMark(cell);
    if (!reading.ok) return fail('unknown-status-mark', `${columns.markYears[i]}年度末の${unknownStatusMarkMessage(reading.value)}`);
    if (reading.mark === '-') ctx.dashes.add(trimCell(cell));
    if (reading.variant) {
      const codePoint = `U+${cell.trim().codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      findings.push({ severity: 'info', code: 'mark-variant', no, line, message: `${columns.markYears[i]}年度末の記号「${cell.trim()}」（${codePoint}）を「${reading.mark}」として読みました` });
    }
    marks.push(reading.mark);
  }

  // A collapsed row leaves an empty cell where the status text should be while the text itself
  // sits one cell earlier, right after the schedule (row 35 of the R4 table).
  if (rest[rest.length - 1] === '' && readScheduleEntry(rest[rest.length - 2] ?? '') === undefined) {
    rest.pop();
    findings.push({ severity: 'info', code: 'collapsed-row', no, line, message: '空セルが取組状況の位置にずれていたため、取組状況の文を本来の列に戻しました' });
  }
  const statusText = trimCell(rest.pop() ?? '');

  // The schedule is the run of schedule cells right before the status text.
  let start = rest.length;
  while (start > 1 && readScheduleEntry(rest[start - 1]!) !== undefined) start--;
  while (rest.length - start > columns.scheduleYears.length && trimCell(rest[start]!) === '') start++;
  const scheduleCells = rest.splice(start).map(trimCell);
  if (scheduleCells.length < columns.scheduleYears.length) {
    return fail('truncated-row', `スケジュールのセルが足りません（${scheduleCells.length}個、本来は${columns.scheduleYears.length}個）。行が途中で切れていないか確認してください`);
  }
  const schedule = readSchedule(scheduleCells, columns, no, line, findings);

  const lead = rest.map(trimCell);
  let labels: RowLabels;
  if (lead.length === 4) labels = { kind: 'both', area: lead[0]!, policy: lead[1]! };
  else if (lead.length === 3) labels = lead[0] === '' ? { kind: 'none' } : { kind: 'lone', label: lead[0]! };
  else if (lead.length === 2) labels = { kind: 'none' };
  else if (lead.length < 2) return fail('truncated-row', `具体的な取組と事業概要のセルが足りません（${fieldCount}個、本来は${expected}個）`);
  else return fail('too-many-cells', `セルが多すぎます（${fieldCount}個、本来は${expected}個）。列がずれていないか確認してください`);
  const [initiative, overview] = lead.slice(-2) as [string, string];
  if (initiative === '') return fail('empty-initiative', '具体的な取組が空です');

  if (lead.length < 4) {
    findings.push({ severity: 'info', code: 'cells-realigned', no, line, message: `PDF出力で基本方針・施策の空セルが${4 - lead.length}個欠けていたため、行を両端から揃えて補いました` });
  }
  return { no, line, page: ctx.page, labels, initiative, overview, schedule, scheduleCells, statusText, marks, divisions };
}

/**
 * Schedule cells in excess of the plan years are extra arrows from the export (rows 7-9 of the
 * R4 table); all arrows are alike, so dropping one gives a single reading, kept only when
 * it reads as a plan can. Otherwise the schedule is left undefined for a person to decide.
 */
function readSchedule(cells: string[], columns: SeedColumns, no: number, line: number, findings: Finding[]): ScheduleEntry[] | undefined {
  const entries = cells.map((c) => readScheduleEntry(c) ?? '');
  const extra = entries.length - columns.scheduleYears.length;
  if (extra === 0) return entries;
  const shown = showCells(cells);
  const reduced = [...entries];
  for (let i = 0; i < extra; i++) {
    const arrow = reduced.lastIndexOf(CONTINUE);
    if (arrow < 0) break;
    reduced.splice(arrow, 1);
  }
  if (reduced.length === columns.scheduleYears.length && isPlausibleSchedule(reduced)) {
    findings.push({ severity: 'info', code: 'extra-schedule-arrow', no, line, message: `スケジュールのセルが${cells.length}個（${shown}）あり、余分な「→」を${extra}個除きました` });
    return reduced;
  }
  return undefined;
}

export function showCells(cells: readonly string[]): string {
  return cells.map((c) => c || '（空欄）').join(' ');
}

/**
 * A line's cells without what its end holds no cell in: an Excel text export ends lines in tabs
 * and spaces, so a legend or a page title with trailing tabs must not look like a table row, and
 * a whitespace-only line is blank. Returns how many empty fields were cut, for the report.
 */
function splitLine(line: string): { cells: string[]; trailingEmpty: number } {
  const kept = line.replace(/[\s\u3000]+$/, '');
  const cells = kept.split('\t');
  const trailingEmpty = line.slice(kept.length).split('\t').length - 1;
  return { cells, trailingEmpty };
}

export function parseSeedText(text: string): { table?: SeedTable; findings: Finding[] } {
  const findings: Finding[] = [];
  const lines = text.split(/\r?\n/);
  let columns: SeedColumns | undefined;
  let page = 0;
  const rows: SeedRow[] = [];
  const dashes = new Set<string>();
  const lineOfNo = new Map<number, number>();

  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const { cells, trailingEmpty } = splitLine(lines[i]!);
    const first = trimCell(cells[0] ?? '');
    if (first === HEADER_FIRST_CELL) {
      page++;
      const pageColumns = readColumns(cells, splitLine(lines[i + 1] ?? '').cells, line + 1, findings);
      i++;
      if (!pageColumns) return { findings };
      if (columns && !sameColumns(columns, pageColumns)) {
        findings.push({ severity: 'error', code: 'header-mismatch', line, message: `${page}ページ目の見出しの年度が1ページ目と違います` });
        return { findings };
      }
      columns = pageColumns;
      continue;
    }
    if (cells.length < 2) continue; // page titles, legends and blank lines
    if (!columns) {
      findings.push({ severity: 'error', code: 'no-header', line, message: '見出し行（整理番号…）より前に表の行があります' });
      return { findings };
    }
    if (!/^\d+$/.test(first)) {
      findings.push({ severity: 'error', code: 'bad-item-number', line, message: `整理番号「${first}」が数字ではありません` });
      continue;
    }
    const no = Number(first);
    const seenAt = lineOfNo.get(no);
    if (seenAt !== undefined) {
      findings.push({ severity: 'error', code: 'duplicate-item-number', no, line, message: `整理番号${no}が重複しています（行${seenAt}にもあります）` });
      continue;
    }
    lineOfNo.set(no, line);
    const row = alignRow(cells, { columns, line, page, findings, dashes, trailingEmpty });
    if (row) rows.push(row);
  }

  if (!columns) {
    findings.push({ severity: 'error', code: 'no-header', message: '見出し行（整理番号…）が見つかりません。実施状況表のテキスト、または torimatome plan export で出力した .xlsx を指定してください' });
    return { findings };
  }
  if (rows.length === 0 && !findings.some((f) => f.severity === 'error')) {
    findings.push({ severity: 'error', code: 'no-rows', message: '表に計画項目の行がありません' });
  }
  if (dashes.size > 1) {
    const shown = [...dashes].map((d) => `「${d}」（U+${d.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}）`).join('と');
    findings.push({ severity: 'info', code: 'dash-variants', message: `「-」の記号が${shown}の${dashes.size}種類の文字で書かれています。どれも「-」（翌年度以降実施）として読みました` });
  }
  return { table: { columns, rows }, findings };
}
