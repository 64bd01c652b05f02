/** How the plan table is put on a sheet, shared by the return sheet and the consolidated table so that both look and print alike. */
import type ExcelJS from 'exceljs';
import type { PlanColumn } from '../master/plan-table';
import { xlsxText } from '../master/xlsx-cell';

// exceljs's PaperSize enum stops at A4; 8 is A3 in the OOXML paper size list.
const A3 = 8 as ExcelJS.PaperSize;

/** A3 landscape, one page wide, with the header row printed on every page. */
export function a3Landscape(headerRow: number): Partial<ExcelJS.PageSetup> {
  return {
    paperSize: A3,
    orientation: 'landscape',
    fitToPage: true,
    fitToWidth: 1,
    // 0: as many pages down as the table needs.
    fitToHeight: 0,
    printTitlesRow: `${headerRow}:${headerRow}`,
  };
}

export const THIN_BORDER: Partial<ExcelJS.Borders> = {
  top: { style: 'thin' },
  left: { style: 'thin' },
  bottom: { style: 'thin' },
  right: { style: 'thin' },
};

export const solidFill = (argb: string): ExcelJS.Fill => ({ type: 'pattern', pattern: 'solid', fgColor: { argb } });

const HEADER_FILL = solidFill('FFDDEBF7');

/** Width in Excel's units (about one half-width character). */
export function columnWidth(column: PlanColumn): number {
  switch (column.kind) {
    case 'no':
      return 6;
    case 'text':
      return column.field === 'overview' ? 40 : 18;
    case 'schedule':
      return 8;
    case 'answer':
      return column.field.kind === 'text' ? 60 : column.field.kind === 'rating' ? 8 : 12;
    case 'divisions':
      return 18;
  }
}

/** Short codes (item numbers, schedule entries, ratings) centred; figures to the right; prose wrapped from the top. */
export function columnAlignment(column: PlanColumn): Partial<ExcelJS.Alignment> {
  if (column.kind === 'no' || column.kind === 'schedule' || (column.kind === 'answer' && column.field.kind === 'rating')) {
    return { vertical: 'top', horizontal: 'center', wrapText: true };
  }
  if (column.kind === 'answer' && column.field.kind !== 'text') return { vertical: 'top', horizontal: 'right', wrapText: true };
  return { vertical: 'top', wrapText: true };
}

/** Excel's number format of a figure column: thousands separators and the field's decimals. */
export function figureFormat(column: PlanColumn): string | undefined {
  if (column.kind !== 'answer' || (column.field.kind !== 'number' && column.field.kind !== 'targetActual')) return undefined;
  const decimals = column.part === 'rate' ? column.field.kind === 'targetActual' && column.field.rateDecimals : column.field.decimals;
  return decimals ? `#,##0.${'0'.repeat(decimals)}` : '#,##0';
}

// Japanese glyphs take two width units, and a line of 11 pt Japanese text about 16 points.
const POINTS_PER_LINE = 16;
const PADDING = 4;
// Excel's highest row.
const MAX_ROW_HEIGHT = 409;

function displayWidth(line: string): number {
  let width = 0;
  for (const c of line) width += /[\u0000-\u00FF\uFF61-\uFF9F]/.test(c) ? 1 : 2;
  return width;
}

function lineCount(text: string, width: number): number {
  return text.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil(displayWidth(line) / Math.max(1, width - 1))), 0);
}

/**
 * A row height that shows all its wrapped text: Excel does not fit the height to the text when
 * it opens a file, and a protected sheet is where people would least think of doing it by hand.
 */
export function rowHeight(cells: ReadonlyArray<{ text: string; width: number }>, minLines = 1): number {
  const lines = Math.max(minLines, ...cells.map((cell) => lineCount(cell.text, cell.width)));
  return Math.min(MAX_ROW_HEIGHT, lines * POINTS_PER_LINE + PADDING);
}

/** A line of text above the table, merged across it. */
export function addBannerRow(sheet: ExcelJS.Worksheet, row: number, text: string, widths: readonly number[], font: Partial<ExcelJS.Font> = {}): void {
  sheet.mergeCells(row, 1, row, widths.length);
  const cell = sheet.getCell(row, 1);
  cell.value = xlsxText(text);
  cell.font = font;
  cell.alignment = { vertical: 'middle', wrapText: true };
  sheet.getRow(row).height = rowHeight([{ text, width: widths.reduce((sum, width) => sum + width, 0) }]);
}

export function addHeaderRow(sheet: ExcelJS.Worksheet, row: number, headers: readonly string[], widths: readonly number[]): void {
  const header = sheet.getRow(row);
  header.values = [...headers];
  header.height = rowHeight(headers.map((text, i) => ({ text, width: widths[i] ?? 0 })));
  header.eachCell((cell) => {
    cell.font = { bold: true };
    cell.fill = HEADER_FILL;
    cell.border = THIN_BORDER;
    cell.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
  });
}
