/**
 * Where everything is on a division's return sheet. The writer puts things here and the reader
 * looks for them here, so the two cannot drift apart.
 */
import { compareFiscalYearCodes } from '../domain/fiscal-year';
import { type Plan, type PlanItem, type PlanPeriod } from '../domain/plan';
import { cellText, columnHeader, type PlanColumn, tableColumns } from '../master/plan-table';
import { columnWidth } from './sheet-style';

/** The one sheet the division sees and fills in. */
export const ANSWER_SHEET = '回答';
/** What the sheet was written for; very hidden, so that only a program finds it. */
export const META_SHEET = '様式情報';

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

/** What decides the columns: the cycle year and the plan years it is shown with. */
export interface SheetShape {
  year: string;
  period: PlanPeriod;
  /** Mark years before the cycle year, shown as the item's history. */
  pastMarkYears: string[];
}

export function sheetShape(plan: Plan, year: string): SheetShape {
  return {
    year,
    period: plan.period,
    pastMarkYears: plan.markYears.filter((y) => compareFiscalYearCodes(y, year) < 0).sort(compareFiscalYearCodes),
  };
}

export interface SheetLayout {
  /** Sheet column n (1-based) is columns[n - 1]. */
  columns: PlanColumn[];
  /** The two cells a division fills in: this year's status text and mark. */
  statusTextColumn: number;
  markColumn: number;
  /** 説明: after the plan's columns, where the division answers a warning (確認事項). */
  explanationColumn: number;
}

export const EXPLANATION_HEADER = '説明';
const EXPLANATION_WIDTH = 30;

/** The plan table's columns as the cycle year sees them: its status text, past marks, its mark. */
export function sheetLayout(shape: SheetShape): SheetLayout {
  const columns = tableColumns(shape.period, [shape.year], [...shape.pastMarkYears, shape.year]);
  const columnOf = (field: 'statusText' | 'marks') =>
    1 + columns.findIndex((c) => c.kind === 'year' && c.field === field && c.year === shape.year);
  return { columns, statusTextColumn: columnOf('statusText'), markColumn: columnOf('marks'), explanationColumn: columns.length + 1 };
}

/** The header row as written: the plan's columns, then 説明. */
export function sheetHeaders(layout: SheetLayout): string[] {
  return [...layout.columns.map(columnHeader), EXPLANATION_HEADER];
}

export function sheetWidths(layout: SheetLayout): number[] {
  return [...layout.columns.map(columnWidth), EXPLANATION_WIDTH];
}

export function isInputColumn(layout: SheetLayout, column: number): boolean {
  return column === layout.statusTextColumn || column === layout.markColumn;
}

/** The texts of an item's prefilled cells, in column order. */
export function prefilledTexts(layout: SheetLayout, item: PlanItem): string[] {
  return layout.columns.flatMap((column, i) => (isInputColumn(layout, i + 1) ? [] : [cellText(item, column)]));
}

/** Items in number order, one row each from FIRST_ITEM_ROW. */
export function itemRows(items: readonly SheetItem[]): Array<SheetItem & { row: number }> {
  return [...items].sort((a, b) => a.item.no - b.item.no).map((entry, i) => ({ ...entry, row: FIRST_ITEM_ROW + i }));
}
