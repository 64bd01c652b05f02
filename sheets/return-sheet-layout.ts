/**
 * Where everything is on a division's return sheet. The writer puts things here and the reader
 * looks for them here, so the two cannot drift apart.
 */
import type { CollectionDefinition, CollectionField } from '../domain/collection-definition';
import { compareFiscalYearCodes } from '../domain/fiscal-year';
import { type Plan, type PlanItem, type PlanPeriod } from '../domain/plan';
import { type AnswerPart, cellText, columnHeader, type PlanColumn, tableColumns } from '../master/plan-table';
import { columnWidth } from './sheet-style';

/** The one sheet the division sees and fills in. */
export const ANSWER_SHEET = '回答';
/** What the sheet was written for; very hidden, so that only a program finds it. */
export const META_SHEET = '様式情報';
/** The values of the rating lists too long for Excel to hold in the list itself; hidden. */
export const LISTS_SHEET = '選択肢';

/** Rows above the table, each merged across it. */
export const HEADING_ROWS = {
  title: 1,
  deadline: 2,
  instructions: 3,
  legend: 4,
  contact: 5,
} as const;
export const HEADER_ROW = 7;
export const FIRST_ITEM_ROW = 8;

/** answer: the division must fill the row in; readonly: shown for information (another division leads). */
export type SheetRole = 'answer' | 'readonly';
export interface SheetItem {
  item: PlanItem;
  role: SheetRole;
}

/** What decides the columns: the cycle year, the plan years it is shown with and the definition. */
export interface SheetShape {
  year: string;
  period: PlanPeriod;
  /** Years before the cycle year the plan holds answers for, shown as the item's history. */
  pastYears: string[];
  definition: CollectionDefinition;
}

/** Ratings and figures are shown with their history; a year's text or target is read in the table, not the sheet. */
const showsHistory = (field: CollectionField) => field.kind === 'rating' || field.kind === 'number';

export function sheetShape(plan: Plan, year: string): SheetShape {
  const past = plan.definition.fields.filter(showsHistory).flatMap((field) => plan.fieldYears[field.id] ?? []);
  return {
    year,
    period: plan.period,
    pastYears: [...new Set(past)].filter((y) => compareFiscalYearCodes(y, year) < 0).sort(compareFiscalYearCodes),
    definition: plan.definition,
  };
}

/** A cell the division fills in: a field of the cycle year, or one figure of a target/actual field. */
export interface InputColumn {
  column: number;
  field: CollectionField;
  part?: Exclude<AnswerPart, 'rate'>;
}

export interface SheetLayout {
  /** Sheet column n (1-based) is columns[n - 1]. */
  columns: PlanColumn[];
  /** The cells a division fills in, in column order. */
  inputs: InputColumn[];
  /** 説明: after the plan's columns, where the division answers a warning (確認事項). */
  explanationColumn: number;
}

export const EXPLANATION_HEADER = '説明';
const EXPLANATION_WIDTH = 30;

/**
 * The table's columns as the cycle year sees them: each field for the cycle year, ratings and
 * figures with their past years. The cycle year's rate is not a column: it is computed once
 * target and actual come back, and a sheet holds no formula.
 */
export function sheetLayout(shape: SheetShape): SheetLayout {
  const years = Object.fromEntries(shape.definition.fields.map((field) => [field.id, showsHistory(field) ? [...shape.pastYears, shape.year] : [shape.year]]));
  const columns = tableColumns(shape.definition, shape.period, years).filter(
    (column) => !(column.kind === 'answer' && column.year === shape.year && column.part === 'rate'),
  );
  const inputs = columns.flatMap((column, i): InputColumn[] =>
    column.kind === 'answer' && column.year === shape.year
      ? [{ column: i + 1, field: column.field, ...(column.part !== undefined && column.part !== 'rate' && { part: column.part }) }]
      : [],
  );
  return { columns, inputs, explanationColumn: columns.length + 1 };
}

/** The header row as written: the plan's columns, then 説明. */
export function sheetHeaders(layout: SheetLayout): string[] {
  return [...layout.columns.map(columnHeader), EXPLANATION_HEADER];
}

export function sheetWidths(layout: SheetLayout): number[] {
  return [...layout.columns.map(columnWidth), EXPLANATION_WIDTH];
}

export function isInputColumn(layout: SheetLayout, column: number): boolean {
  return layout.inputs.some((input) => input.column === column);
}

/** The texts of an item's prefilled cells, in column order. */
export function prefilledTexts(layout: SheetLayout, item: PlanItem): string[] {
  return layout.columns.flatMap((column, i) => (isInputColumn(layout, i + 1) ? [] : [cellText(item, column)]));
}

/** Items in number order, one row each from FIRST_ITEM_ROW. */
export function itemRows(items: readonly SheetItem[]): Array<SheetItem & { row: number }> {
  return [...items].sort((a, b) => a.item.no - b.item.no).map((entry, i) => ({ ...entry, row: FIRST_ITEM_ROW + i }));
}
