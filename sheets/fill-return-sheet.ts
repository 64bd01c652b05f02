import ExcelJS from 'exceljs';
import type { AnswerValues, CollectionDefinition } from '../domain/collection-definition';
import { columnHeader, yearColumns } from '../master/plan-table';

export interface Answer {
  /** The year's value of each field to type in, by field id; a field left out is not touched. */
  values: AnswerValues;
  /** Written in 説明, for a warning. */
  explanation?: string;
}

/** The first cell whose text, spaces removed, is the header, found the way a person looks. */
function findHeader(sheet: ExcelJS.Worksheet, text: string): { row: number; col: number } {
  const wanted = text.replace(/\s/g, '');
  for (let r = 1; r <= Math.min(sheet.rowCount, 30); r++) {
    const row = sheet.getRow(r);
    for (let c = 1; c <= row.cellCount; c++) {
      if (String(row.getCell(c).value ?? '').replace(/\s/g, '') === wanted) return { row: r, col: c };
    }
  }
  throw new Error(`the sheet has no header ${text}`);
}

/**
 * Fills a division's sheet as its staff would in Excel: finds this year's columns of each field
 * by their headers and types into the unlocked cells of the items `answer` gives a value for.
 * Used by the demo and the tests, which act as divisions.
 */
export async function fillReturnSheet(sheetFile: Buffer, definition: CollectionDefinition, year: string, answer: (no: number) => Answer | undefined): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(sheetFile as unknown as ArrayBuffer);
  const sheet = workbook.worksheets.find((s) => s.state === 'visible');
  if (!sheet) throw new Error('the workbook has no visible sheet');
  const no = findHeader(sheet, '整理番号');
  // The cycle year's rate is computed, not typed: the sheet has no column for it.
  const columns = yearColumns(definition, year)
    .filter((column) => column.part !== 'rate')
    .map((column) => ({ column, col: findHeader(sheet, columnHeader(column)).col }));
  const explanationCol = findHeader(sheet, '説明').col;
  for (let r = no.row + 1; r <= sheet.rowCount; r++) {
    const row = sheet.getRow(r);
    const itemNo = Number(row.getCell(no.col).value);
    if (!Number.isInteger(itemNo) || itemNo <= 0 || row.getCell(columns[0]!.col).protection?.locked !== false) continue;
    const value = answer(itemNo);
    if (!value) continue;
    for (const { column, col } of columns) {
      if (!(column.field.id in value.values)) continue;
      const given = value.values[column.field.id]!;
      const typed = column.part === undefined ? given : (given as Record<string, unknown>)[column.part];
      row.getCell(col).value = typed === null || typed === undefined ? null : (typed as string | number);
    }
    if (value.explanation) row.getCell(explanationCol).value = value.explanation;
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** The value of the cell under a header in the row of an item, for checking a sheet. */
export async function sheetValue(sheetFile: Buffer, header: string, itemNo: number): Promise<unknown> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(sheetFile as unknown as ArrayBuffer);
  const sheet = workbook.worksheets.find((s) => s.state === 'visible')!;
  const no = findHeader(sheet, '整理番号');
  const col = findHeader(sheet, header).col;
  for (let r = no.row + 1; r <= sheet.rowCount; r++) {
    if (Number(sheet.getRow(r).getCell(no.col).value) === itemNo) return sheet.getRow(r).getCell(col).value;
  }
  return undefined;
}
