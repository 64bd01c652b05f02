/**
 * The plan master as one table (実施計画), shared by the CSV and the xlsx: the columns, their
 * headers, the text of each cell, and reading rows back into plan items.
 */
import { fiscalYearCode, parseFiscalYear } from '../domain/fiscal-year';
import { canonicalPlan, itemDivisions, Plan, PlanItem, PlanPeriod, periodYears } from '../domain/plan';
import { readScheduleEntry, SCHEDULE_ENTRIES } from '../domain/schedule';
import { readStatusMark, unknownStatusMarkMessage } from '../domain/status-mark';
import type { Finding } from './findings';

const TEXT_FIELDS = ['area', 'policy', 'initiative', 'overview'] as const;
type TextField = (typeof TEXT_FIELDS)[number];
const YEAR_FIELDS = ['schedule', 'statusText', 'marks'] as const;
type YearField = (typeof YEAR_FIELDS)[number];

export type PlanColumn =
  | { kind: 'no' }
  | { kind: 'text'; field: TextField }
  | { kind: 'year'; field: YearField; year: string }
  | { kind: 'divisions' };

const NO_HEADER = '整理番号';
const DIVISIONS_HEADER = '担当課';
const TEXT_HEADERS: Readonly<Record<TextField, string>> = {
  area: '基本方針',
  policy: '施策',
  initiative: '具体的な取組',
  overview: '事業概要',
};
const YEAR_HEADERS: Readonly<Record<YearField, { write: (year: string) => string; read: RegExp }>> = {
  schedule: { write: (y) => `スケジュール（${y}）`, read: /^スケジュール（(.+)）$/ },
  statusText: { write: (y) => `取組状況（${y}年度末見込み）`, read: /^取組状況（(.+)年度末見込み）$/ },
  marks: { write: (y) => `取組状況（${y}年度末時点）`, read: /^取組状況（(.+)年度末時点）$/ },
};
const DIVISION_SEPARATOR = '、';

/** The table always starts with its header row. */
const HEADER_LINE = 1;

/** `R1〜R5`. */
export function formatPeriod(period: PlanPeriod): string {
  return `${period.from}〜${period.to}`;
}

export function columnHeader(column: PlanColumn): string {
  switch (column.kind) {
    case 'no':
      return NO_HEADER;
    case 'text':
      return TEXT_HEADERS[column.field];
    case 'year':
      return YEAR_HEADERS[column.field].write(column.year);
    case 'divisions':
      return DIVISIONS_HEADER;
  }
}

/** The table's columns for a plan shape: schedule for each period year, then the given status years. */
export function tableColumns(period: PlanPeriod, statusTextYears: readonly string[], markYears: readonly string[]): PlanColumn[] {
  const years = (field: YearField, list: readonly string[]): PlanColumn[] =>
    list.map((year) => ({ kind: 'year', field, year }));
  return [
    { kind: 'no' },
    ...TEXT_FIELDS.map((field): PlanColumn => ({ kind: 'text', field })),
    ...years('schedule', periodYears(period)),
    ...years('statusText', statusTextYears),
    ...years('marks', markYears),
    { kind: 'divisions' },
  ];
}

/** The text an item shows in a column of the table. */
export function cellText(item: PlanItem, column: PlanColumn): string {
  switch (column.kind) {
    case 'no':
      return String(item.no);
    case 'text':
      return item[column.field];
    case 'year':
      return item[column.field][column.year] ?? '';
    case 'divisions':
      return itemDivisions(item).join(DIVISION_SEPARATOR);
  }
}

/** The columns, the header row and one row of cell texts per item, items in number order. */
export function planTable(plan: Plan): { columns: PlanColumn[]; header: string[]; rows: string[][] } {
  const canonical = canonicalPlan(plan);
  const columns = tableColumns(canonical.period, canonical.statusTextYears, canonical.markYears);
  return {
    columns,
    header: columns.map(columnHeader),
    rows: canonical.items.map((item) => columns.map((column) => cellText(item, column))),
  };
}

/** A cell the source format could not give as text (a formula, a date…), already explained. */
export interface Unreadable {
  code: string;
  message: string;
}
/** A cell's text with surrounding whitespace trimmed, or why it cannot be read. */
export type Cell = string | Unreadable;

export interface TableRow {
  line: number;
  cells: readonly Cell[];
}

interface Problem {
  code: string;
  message: string;
}

function isProblem(value: PlanColumn | Problem): value is Problem {
  return 'code' in value;
}

// One key per column whatever the header spelling, so that R1 and H31 count as the same column.
function columnKey(column: PlanColumn): string {
  switch (column.kind) {
    case 'text':
      return column.field;
    case 'year':
      return `${column.field}:${column.year}`;
    default:
      return column.kind;
  }
}

function columnOfHeader(header: string, period: PlanPeriod): PlanColumn | Problem {
  // People break long headers over lines in Excel and type half-width parentheses.
  const key = header.replace(/[\s\u3000]/g, '').replace(/\(/g, '（').replace(/\)/g, '）');
  if (key === NO_HEADER) return { kind: 'no' };
  if (key === DIVISIONS_HEADER) return { kind: 'divisions' };
  const field = TEXT_FIELDS.find((f) => TEXT_HEADERS[f] === key);
  if (field) return { kind: 'text', field };
  for (const yearField of YEAR_FIELDS) {
    const written = YEAR_HEADERS[yearField].read.exec(key)?.[1];
    if (written === undefined) continue;
    let year: string;
    try {
      year = fiscalYearCode(parseFiscalYear(written));
    } catch {
      return { code: 'bad-column-year', message: `列「${header}」の年度「${written}」が読めません（例: R4）` };
    }
    if (!periodYears(period).includes(year)) {
      return {
        code: 'column-outside-period',
        message: `列「${header}」の ${year} は計画期間（${formatPeriod(period)}）の外です`,
      };
    }
    return { kind: 'year', field: yearField, year };
  }
  return { code: 'unknown-column', message: `列「${header}」は実施計画の列ではありません` };
}

/**
 * Reads a header row into the columns it names. Status text and mark columns may be any years
 * of the period; every other column, and a schedule column for each year of the period, must
 * be there exactly once.
 */
export function readPlanHeader(header: readonly Cell[], period: PlanPeriod): { columns?: PlanColumn[]; findings: Finding[] } {
  const findings: Finding[] = [];
  const fail = (problem: Problem) => findings.push({ severity: 'error', ...problem, line: HEADER_LINE });
  const columns: PlanColumn[] = [];
  const seen = new Set<string>();
  header.forEach((cell, i) => {
    if (typeof cell !== 'string') return fail({ code: cell.code, message: `${i + 1}列目の見出し: ${cell.message}` });
    if (cell === '') return fail({ code: 'blank-header', message: `${i + 1}列目に見出しがありません` });
    const column = columnOfHeader(cell, period);
    if (isProblem(column)) return fail(column);
    const key = columnKey(column);
    if (seen.has(key)) return fail({ code: 'duplicate-column', message: `列「${cell}」が重複しています` });
    seen.add(key);
    columns.push(column);
  });
  for (const required of tableColumns(period, [], [])) {
    if (!seen.has(columnKey(required))) {
      fail({ code: 'missing-column', message: `列「${columnHeader(required)}」がありません` });
    }
  }
  return findings.length > 0 ? { findings } : { columns, findings };
}

/** Reads `12` or `１２`: full-width digits are what a Japanese IME types by default. */
export function readPositiveInteger(text: string): number | undefined {
  const digits = text.normalize('NFKC');
  const no = /^\d+$/.test(digits) ? Number(digits) : NaN;
  return Number.isSafeInteger(no) && no > 0 ? no : undefined;
}

type Note = Problem & { severity: Finding['severity'] };

const error = (code: string, message: string): Note[] => [{ severity: 'error', code, message }];

/** Writes one cell's text into the item; says what was wrong with it, if anything. */
function readCell(item: PlanItem, column: PlanColumn, cell: string): Note[] {
  const header = columnHeader(column);
  switch (column.kind) {
    case 'no': {
      const no = readPositiveInteger(cell);
      if (no === undefined) return error('bad-item-no', cell === '' ? '整理番号が空です' : `整理番号「${cell}」は正の整数ではありません`);
      item.no = no;
      return [];
    }
    case 'text':
      item[column.field] = cell;
      return column.field === 'initiative' && cell === '' ? error('empty-initiative', '具体的な取組が空です') : [];
    case 'divisions': {
      const [lead, ...co] = cell.split(DIVISION_SEPARATOR).map((name) => name.trim()).filter((name) => name !== '');
      if (lead === undefined) return error('empty-division', '担当課が空です');
      item.leadDivision = lead;
      item.coDivisions = co;
      return [];
    }
    case 'year':
      switch (column.field) {
        case 'schedule': {
          const entry = readScheduleEntry(cell);
          if (entry === undefined) {
            return error('unknown-schedule', `列「${header}」: スケジュール「${cell}」は使えません（${SCHEDULE_ENTRIES.join(' ')} または空欄）`);
          }
          item.schedule[column.year] = entry;
          return [];
        }
        case 'statusText':
          item.statusText[column.year] = cell;
          return [];
        case 'marks': {
          const reading = readStatusMark(cell);
          if (!reading.ok) return error('unknown-mark', `列「${header}」: ${unknownStatusMarkMessage(reading.value)}`);
          item.marks[column.year] = reading.mark;
          if (!reading.variant) return [];
          return [{ severity: 'info', code: 'mark-variant', message: `列「${header}」の「${cell}」を「${reading.mark}」として読みました` }];
        }
      }
  }
}

// Item numbers are positive, so 0 marks an item whose number could not be read.
const UNKNOWN_NO = 0;

function readItem(columns: readonly PlanColumn[], row: TableRow): { no?: number; item?: PlanItem; findings: Finding[] } {
  const item: PlanItem = {
    no: UNKNOWN_NO,
    area: '',
    policy: '',
    initiative: '',
    overview: '',
    schedule: {},
    statusText: {},
    marks: {},
    leadDivision: '',
    coDivisions: [],
  };
  const notes = columns.flatMap((column, i) => {
    const cell = row.cells[i] ?? '';
    if (typeof cell === 'string') return readCell(item, column, cell);
    return error(cell.code, `列「${columnHeader(column)}」: ${cell.message}`);
  });
  const no = item.no === UNKNOWN_NO ? {} : { no: item.no };
  const findings = notes.map(({ severity, code, message }): Finding => ({ severity, code, ...no, line: row.line, message }));
  const failed = notes.some((n) => n.severity === 'error');
  return { ...no, ...(!failed && { item }), findings };
}

function columnYears(columns: readonly PlanColumn[], field: YearField): string[] {
  return columns.flatMap((c) => (c.kind === 'year' && c.field === field ? [c.year] : []));
}

/**
 * Reads a header row and the rows under it into plan items. Blank rows are skipped; any error
 * leaves the table out and is reported with its row.
 */
export function readPlanTable(
  header: readonly Cell[],
  rows: readonly TableRow[],
  period: PlanPeriod,
): { table?: Pick<Plan, 'statusTextYears' | 'markYears' | 'items'>; findings: Finding[] } {
  const { columns, findings } = readPlanHeader(header, period);
  if (!columns) return { findings };
  const items: PlanItem[] = [];
  const firstLines = new Map<number, number>();
  for (const row of rows) {
    if (row.cells.every((cell) => cell === '')) continue;
    const reading = readItem(columns, row);
    findings.push(...reading.findings);
    if (reading.no === undefined) continue;
    const first = firstLines.get(reading.no);
    if (first !== undefined) {
      findings.push({
        severity: 'error',
        code: 'duplicate-item-no',
        no: reading.no,
        line: row.line,
        message: `整理番号 ${reading.no} は行${first}と重複しています`,
      });
    } else {
      firstLines.set(reading.no, row.line);
    }
    if (reading.item) items.push(reading.item);
  }
  if (findings.some((f) => f.severity === 'error')) return { findings };
  return {
    table: { statusTextYears: columnYears(columns, 'statusText'), markYears: columnYears(columns, 'marks'), items },
    findings,
  };
}
