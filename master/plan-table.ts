/**
 * The plan master as one table (実施計画), shared by the CSV and the xlsx: the columns, their
 * headers, the text of each cell, and reading rows back into plan items.
 */
import { achievementRate, blankValue, type CollectionDefinition, type CollectionField, readFigure, readRating, scaleOf, type TargetActualValue, unknownRatingMessage } from '../domain/collection-definition';
import { fiscalYearCode, parseFiscalYear } from '../domain/fiscal-year';
import { canonicalPlan, itemDivisions, Plan, PlanItem, PlanPeriod, periodYears } from '../domain/plan';
import { readScheduleEntry, SCHEDULE_ENTRIES } from '../domain/schedule';
import type ExcelJS from 'exceljs';
import type { Finding } from './findings';
import { xlsxText } from './xlsx-cell';

const TEXT_FIELDS = ['area', 'policy', 'initiative', 'overview'] as const;
type TextField = (typeof TEXT_FIELDS)[number];

/** Of a target/actual field, one of its columns: the rate is computed from the other two. */
export type AnswerPart = 'target' | 'actual' | 'rate';

export type PlanColumn =
  | { kind: 'no' }
  | { kind: 'text'; field: TextField }
  | { kind: 'schedule'; year: string }
  /** A field of the definition in a year; `part` for a target/actual field only. */
  | { kind: 'answer'; field: CollectionField; year: string; part?: AnswerPart }
  | { kind: 'divisions' };

const NO_HEADER = '整理番号';
const DIVISIONS_HEADER = '担当課';
const TEXT_HEADERS: Readonly<Record<TextField, string>> = {
  area: '基本方針',
  policy: '施策',
  initiative: '具体的な取組',
  overview: '事業概要',
};
const SCHEDULE_HEADER = { write: (y: string) => `スケジュール（${y}）`, read: /^スケジュール（(.+)）$/ };
const PART_LABELS: Readonly<Record<AnswerPart, string>> = { target: '目標', actual: '実績', rate: '達成率（％）' };
const YEAR_SLOT = '{year}';
const DIVISION_SEPARATOR = '、';
/** What a rate shows where it cannot be computed (a target of 0). */
export const NO_RATE = '-';

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
    case 'schedule':
      return SCHEDULE_HEADER.write(column.year);
    case 'answer': {
      const header = column.field.header.replaceAll(YEAR_SLOT, column.year);
      return column.part === undefined ? header : `${header} ${PART_LABELS[column.part]}`;
    }
    case 'divisions':
      return DIVISIONS_HEADER;
  }
}

/** The columns of one field in one year: a target/actual field has three. */
function answerColumns(field: CollectionField, year: string, part?: AnswerPart): PlanColumn[] {
  if (field.kind !== 'targetActual') return [{ kind: 'answer', field, year }];
  return (part === undefined ? (['target', 'actual', 'rate'] as const) : [part]).map((p) => ({ kind: 'answer', field, year, part: p }));
}

/**
 * The table's columns as the definition orders them: a schedule column for each period year,
 * and each field's columns for the years given for it (none where it has none). Given the cycle
 * year, a column the definition shows for that year only has no other.
 */
export function tableColumns(definition: CollectionDefinition, period: PlanPeriod, fieldYears: Readonly<Record<string, readonly string[]>>, cycleYear?: string): PlanColumn[] {
  const fields = new Map(definition.fields.map((field) => [field.id, field]));
  return definition.table.columns.flatMap((column): PlanColumn[] => {
    if ('field' in column) {
      const field = fields.get(column.field)!;
      const years = (fieldYears[field.id] ?? []).filter((year) => cycleYear === undefined || column.years === 'all' || year === cycleYear);
      return years.flatMap((year) => answerColumns(field, year, column.part));
    }
    switch (column.plan) {
      case 'no':
        return [{ kind: 'no' }];
      case 'schedule':
        return periodYears(period).map((year) => ({ kind: 'schedule', year }));
      case 'divisions':
        return [{ kind: 'divisions' }];
      default:
        return [{ kind: 'text', field: column.plan }];
    }
  });
}

/** A figure as the table writes it: plain digits, no separators, blank where none was given. */
export function figureText(value: number | null): string {
  return value === null ? '' : String(value);
}

/** The achievement rate's text: blank until both figures are given, `-` where it cannot be computed. */
export function rateText(field: Extract<CollectionField, { kind: 'targetActual' }>, value: TargetActualValue): string {
  if (value.target === null || value.actual === null) return '';
  const rate = achievementRate(field, value.target, value.actual);
  return rate === undefined ? NO_RATE : rate.toFixed(field.rateDecimals);
}

/** The text of a field's value in one of its columns. */
export function answerText(column: Extract<PlanColumn, { kind: 'answer' }>, value: unknown): string {
  const { field } = column;
  if (field.kind === 'targetActual') {
    const pair = value as TargetActualValue;
    return column.part === 'rate' ? rateText(field, pair) : figureText(column.part === 'target' ? pair.target : pair.actual);
  }
  return field.kind === 'number' ? figureText(value as number | null) : (value as string);
}

/** The text an item shows in a column of the table. */
export function cellText(item: PlanItem, column: PlanColumn): string {
  switch (column.kind) {
    case 'no':
      return String(item.no);
    case 'text':
      return item[column.field];
    case 'schedule':
      return item.schedule[column.year] ?? '';
    case 'answer':
      return answerText(column, item.values[column.field.id]?.[column.year] ?? blankValue(column.field));
    case 'divisions':
      return itemDivisions(item).join(DIVISION_SEPARATOR);
  }
}

export type AnswerColumn = Extract<PlanColumn, { kind: 'answer' }>;

/** The columns of a year's answers, in the table's order. */
export function yearColumns(definition: CollectionDefinition, year: string): AnswerColumn[] {
  const columns = tableColumns(definition, { from: year, to: year }, Object.fromEntries(definition.fields.map((field) => [field.id, [year]])));
  return columns.filter((column): column is AnswerColumn => column.kind === 'answer');
}

/**
 * An item's answers of a year as a mail or a page writes them: its ratings and figures on one
 * line (a lone rating bare, as Arao's mark always was; several each after its name), its texts apart.
 */
export function yearAnswerText(plan: Plan, item: PlanItem, year: string): { values: string; texts: string[] } {
  const answers = yearColumns(plan.definition, year);
  const shown = answers.filter((column) => column.field.kind !== 'text');
  const text = (column: Extract<PlanColumn, { kind: 'answer' }>) => cellText(item, column);
  const unit = (column: Extract<PlanColumn, { kind: 'answer' }>) => ('unit' in column.field && column.part !== 'rate' && text(column) !== '' ? column.field.unit : '');
  const values = shown.length === 1 ? text(shown[0]!) : shown.filter((column) => text(column) !== '').map((column) => `${columnHeader(column)} ${text(column)}${unit(column)}`).join('、');
  return { values, texts: answers.filter((column) => column.field.kind === 'text').map(text) };
}

/** Whether a column holds figures: the item number, a number, a target, an actual or a rate. */
export function isFigureColumn(column: PlanColumn | undefined): boolean {
  return column?.kind === 'no' || (column?.kind === 'answer' && (column.field.kind === 'number' || column.field.kind === 'targetActual'));
}

/** A figure stays a number so that Excel sorts and filters it as one; an empty cell stays empty. */
export function tableCellValue(column: PlanColumn | undefined, text: string): ExcelJS.CellValue {
  if (isFigureColumn(column) && text !== '' && text !== NO_RATE) return Number(text);
  return xlsxText(text) || null;
}

/**
 * The columns, the header row and one row of cell texts per item, items in number order: every
 * year the plan holds, or as the consolidated table of a cycle year shows them.
 */
export function planTable(plan: Plan, cycleYear?: string): { columns: PlanColumn[]; header: string[]; rows: string[][] } {
  const canonical = canonicalPlan(plan);
  const columns = tableColumns(canonical.definition, canonical.period, canonical.fieldYears, cycleYear);
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
    case 'schedule':
      return `schedule:${column.year}`;
    case 'answer':
      return `${column.field.id}:${column.year}:${column.part ?? ''}`;
    default:
      return column.kind;
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Headers compare without spaces and with full-width parentheses. */
const headerKey = (header: string) => header.replace(/[\s\u3000]/g, '').replace(/\(/g, '（').replace(/\)/g, '）');

/** What a header names, with the year written in it still to be read. */
type HeaderMatcher = { read: RegExp; column: (year: string) => PlanColumn };

function headerMatchers(definition: CollectionDefinition): HeaderMatcher[] {
  const yearPattern = (template: string) => new RegExp(`^${headerKey(template).split(YEAR_SLOT).map(escapeRegExp).join('(.+)')}$`);
  return [
    { read: SCHEDULE_HEADER.read, column: (year) => ({ kind: 'schedule', year }) },
    ...definition.fields.flatMap((field) =>
      answerColumns(field, YEAR_SLOT).map((template) => ({ read: yearPattern(columnHeader(template)), column: (year: string) => ({ ...template, year }) as PlanColumn })),
    ),
  ];
}

function columnOfHeader(header: string, period: PlanPeriod, matchers: readonly HeaderMatcher[]): PlanColumn | Problem {
  // People break long headers over lines in Excel and type half-width parentheses.
  const key = headerKey(header);
  if (key === NO_HEADER) return { kind: 'no' };
  if (key === DIVISIONS_HEADER) return { kind: 'divisions' };
  const field = TEXT_FIELDS.find((f) => TEXT_HEADERS[f] === key);
  if (field) return { kind: 'text', field };
  for (const matcher of matchers) {
    const written = matcher.read.exec(key)?.[1];
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
    return matcher.column(year);
  }
  return { code: 'unknown-column', message: `列「${header}」は実施計画の列ではありません` };
}

/**
 * Reads a header row into the columns it names. The definition's fields may be any years of
 * the period; every other column, and a schedule column for each year of the period, must be
 * there exactly once.
 */
export function readPlanHeader(header: readonly Cell[], period: PlanPeriod, definition: CollectionDefinition): { columns?: PlanColumn[]; findings: Finding[] } {
  const findings: Finding[] = [];
  const fail = (problem: Problem) => findings.push({ severity: 'error', ...problem, line: HEADER_LINE });
  const matchers = headerMatchers(definition);
  const columns: PlanColumn[] = [];
  const seen = new Set<string>();
  header.forEach((cell, i) => {
    if (typeof cell !== 'string') return fail({ code: cell.code, message: `${i + 1}列目の見出し: ${cell.message}` });
    if (cell === '') return fail({ code: 'blank-header', message: `${i + 1}列目に見出しがありません` });
    const column = columnOfHeader(cell, period, matchers);
    if (isProblem(column)) return fail(column);
    const key = columnKey(column);
    if (seen.has(key)) return fail({ code: 'duplicate-column', message: `列「${cell}」が重複しています` });
    seen.add(key);
    columns.push(column);
  });
  for (const required of tableColumns(definition, period, {})) {
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
function readCell(plan: Pick<Plan, 'definition'>, item: PlanItem, column: PlanColumn, cell: string): Note[] {
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
    case 'schedule': {
      const entry = readScheduleEntry(cell);
      if (entry === undefined) {
        return error('unknown-schedule', `列「${header}」: スケジュール「${cell}」は使えません（${SCHEDULE_ENTRIES.join(' ')} または空欄）`);
      }
      item.schedule[column.year] = entry;
      return [];
    }
    case 'answer':
      return readAnswerCell(plan, item, column, cell, header);
  }
}

function readAnswerCell(plan: Pick<Plan, 'definition'>, item: PlanItem, column: Extract<PlanColumn, { kind: 'answer' }>, cell: string, header: string): Note[] {
  const { field, year } = column;
  const values = (item.values[field.id] ??= {});
  switch (field.kind) {
    case 'text':
      values[year] = cell;
      return [];
    case 'rating': {
      const scale = scaleOf(plan.definition, field);
      const reading = readRating(scale, cell);
      if (!reading.ok) return error('unknown-mark', `列「${header}」: ${unknownRatingMessage(scale, reading.value)}`);
      values[year] = reading.symbol;
      if (!reading.variant) return [];
      return [{ severity: 'info', code: 'mark-variant', message: `列「${header}」の「${cell}」を「${reading.symbol}」として読みました` }];
    }
    case 'number':
    case 'targetActual': {
      // The rate is computed from the figures, whatever a column of it says.
      if (column.part === 'rate') return [];
      const figure = cell === '' ? null : readFigure(cell, field.unit);
      if (figure === undefined) return error('not-a-number', `列「${header}」: 「${cell}」は数値ではありません`);
      if (field.kind === 'number') values[year] = figure;
      else values[year] = { ...((values[year] as TargetActualValue | undefined) ?? { target: null, actual: null }), [column.part!]: figure };
      return [];
    }
  }
}

// Item numbers are positive, so 0 marks an item whose number could not be read.
const UNKNOWN_NO = 0;

function readItem(plan: Pick<Plan, 'definition'>, columns: readonly PlanColumn[], row: TableRow): { no?: number; item?: PlanItem; findings: Finding[] } {
  const item: PlanItem = {
    no: UNKNOWN_NO,
    area: '',
    policy: '',
    initiative: '',
    overview: '',
    schedule: {},
    values: {},
    leadDivision: '',
    coDivisions: [],
  };
  const notes = columns.flatMap((column, i) => {
    const cell = row.cells[i] ?? '';
    if (typeof cell === 'string') return readCell(plan, item, column, cell);
    return error(cell.code, `列「${columnHeader(column)}」: ${cell.message}`);
  });
  const no = item.no === UNKNOWN_NO ? {} : { no: item.no };
  const findings = notes.map(({ severity, code, message }): Finding => ({ severity, code, ...no, line: row.line, message }));
  const failed = notes.some((n) => n.severity === 'error');
  return { ...no, ...(!failed && { item }), findings };
}

/** The years each field has a column for. */
function columnYears(definition: CollectionDefinition, columns: readonly PlanColumn[]): Record<string, string[]> {
  return Object.fromEntries(
    definition.fields.map((field) => [field.id, [...new Set(columns.flatMap((c) => (c.kind === 'answer' && c.field.id === field.id && c.part !== 'rate' ? [c.year] : [])))]]),
  );
}

/**
 * Reads a header row and the rows under it into plan items. Blank rows are skipped; any error
 * leaves the table out and is reported with its row.
 */
export function readPlanTable(
  header: readonly Cell[],
  rows: readonly TableRow[],
  period: PlanPeriod,
  definition: CollectionDefinition,
): { table?: Pick<Plan, 'fieldYears' | 'items'>; findings: Finding[] } {
  const { columns, findings } = readPlanHeader(header, period, definition);
  if (!columns) return { findings };
  const items: PlanItem[] = [];
  const firstLines = new Map<number, number>();
  for (const row of rows) {
    if (row.cells.every((cell) => cell === '')) continue;
    const reading = readItem({ definition }, columns, row);
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
  const fieldYears = columnYears(definition, columns);
  // A target column without its actual one (or the other way round) leaves the other blank.
  const filled = items.map((item) => ({
    ...item,
    // A form whose table shows no schedule leaves every year of it blank.
    schedule: Object.fromEntries(periodYears(period).map((y) => [y, item.schedule[y] ?? ''])),
    values: Object.fromEntries(
      definition.fields.map((field) => [field.id, Object.fromEntries(fieldYears[field.id]!.map((y) => [y, item.values[field.id]?.[y] ?? blankValue(field)]))]),
    ),
  }));
  return { table: { fieldYears, items: filled }, findings };
}
