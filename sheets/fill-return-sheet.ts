import ExcelJS from 'exceljs';

export interface Answer {
  mark: string;
  statusText: string;
  /** Written in 説明, for a warning. */
  explanation?: string;
}

/** The first cell whose text, spaces removed, is the header, found the way a person looks. */
function findHeader(sheet: ExcelJS.Worksheet, text: string): { row: number; col: number } {
  for (let r = 1; r <= Math.min(sheet.rowCount, 30); r++) {
    const row = sheet.getRow(r);
    for (let c = 1; c <= row.cellCount; c++) {
      if (String(row.getCell(c).value ?? '').replace(/\s/g, '') === text) return { row: r, col: c };
    }
  }
  throw new Error(`the sheet has no header ${text}`);
}

/**
 * Fills a division's sheet as its staff would in Excel: finds this year's mark and status text
 * columns by their headers and types into the unlocked cells of the items `answer` gives a
 * value for. Used by the demo and the tests, which act as divisions.
 */
export async function fillReturnSheet(sheetFile: Buffer, year: string, answer: (no: number) => Answer | undefined): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(sheetFile as unknown as ArrayBuffer);
  const sheet = workbook.worksheets.find((s) => s.state === 'visible');
  if (!sheet) throw new Error('the workbook has no visible sheet');
  const no = findHeader(sheet, '整理番号');
  const markCol = findHeader(sheet, `取組状況（${year}年度末時点）`).col;
  const textCol = findHeader(sheet, `取組状況（${year}年度末見込み）`).col;
  const explanationCol = findHeader(sheet, '説明').col;
  for (let r = no.row + 1; r <= sheet.rowCount; r++) {
    const row = sheet.getRow(r);
    const itemNo = Number(row.getCell(no.col).value);
    const markCell = row.getCell(markCol);
    if (!Number.isInteger(itemNo) || itemNo <= 0 || markCell.protection?.locked !== false) continue;
    const value = answer(itemNo);
    if (!value) continue;
    markCell.value = value.mark;
    row.getCell(textCol).value = value.statusText;
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
