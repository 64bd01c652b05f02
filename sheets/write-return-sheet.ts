/** The return sheet (回答様式) a division fills in: its items, prefilled and locked but for the answer cells. */
import ExcelJS from 'exceljs';
import { fiscalYearLabel, parseFiscalYear } from '../domain/fiscal-year';
import { japaneseDateTime } from '../domain/japanese-date';
import type { Plan, PlanItem } from '../domain/plan';
import { STATUS_MARK_MEANINGS, STATUS_MARKS } from '../domain/status-mark';
import { cellText, columnHeader } from '../master/plan-table';
import { itemFingerprint } from './item-fingerprint';
import {
  ANSWER_SHEET,
  HEADER_ROW,
  HEADING_ROWS,
  isInputColumn,
  itemRows,
  prefilledTexts,
  type SheetItem,
  type SheetLayout,
  EXPLANATION_HEADER,
  sheetHeaders,
  sheetLayout,
  sheetShape,
  sheetWidths,
} from './return-sheet-layout';
import { addMetadataSheet } from './return-sheet-meta';
import { a3Landscape, addBannerRow, addHeaderRow, columnAlignment, columnWidth, rowHeight, solidFill, tableCellValue, THIN_BORDER } from './sheet-style';
import { statusLegend } from './status-legend';

// Callers that build a sheet need no other module for the item's role.
export type { SheetItem } from './return-sheet-layout';

export interface ReturnSheetMeta {
  cycleId: string;
  municipalityName: string;
  /** Fiscal year code of the cycle, e.g. 'R4'. */
  year: string;
  divisionId: string;
  divisionName: string;
  sheetVersion: number;
  /** ISO instant, e.g. 2023-03-31T23:59:59+09:00. */
  deadline: string;
  /** The reform office's name and address, shown as whom to ask. */
  contact: string;
}

export interface ReturnSheetInput {
  meta: ReturnSheetMeta;
  plan: Plan;
  items: SheetItem[];
  /** Values to fill back in, by item number, e.g. when a return is sent back. */
  answers?: Record<number, { mark: string; statusText: string }>;
}

const INPUT_FILL = solidFill('FFFFF2CC');
const READONLY_FILL = solidFill('FFD9D9D9');
const READONLY_FONT: Partial<ExcelJS.Font> = { color: { argb: 'FF595959' } };
// Room to write a paragraph in an answer row that starts empty.
const ANSWER_MIN_LINES = 8;

function readonlyNote(item: PlanItem): string {
  return `（参考表示）この取組は主担当課の${item.leadDivision}が回答します。入力は不要です。`;
}

/** Title, deadline, how to fill it in, the mark legend and whom to ask, above the table. */
function addHeading(sheet: ExcelJS.Worksheet, input: ReturnSheetInput, layout: SheetLayout): void {
  const { meta, plan } = input;
  const widths = sheetWidths(layout);
  const header = (column: number) => columnHeader(layout.columns[column - 1]!);
  const title = `${meta.municipalityName} ${plan.title} 取組状況調査（${fiscalYearLabel(parseFiscalYear(meta.year))}）回答様式　${meta.divisionName}`;
  const instructions =
    `黄色のセルに入力してください。「${header(layout.statusTextColumn)}」には年度末までの取組状況を文章で、` +
    `「${header(layout.markColumn)}」には記号（${STATUS_MARKS.join(' ')}）を選んで入力します。` +
    `確認事項（前年度より下がった記号など）をお知らせした場合は、「${EXPLANATION_HEADER}」に理由を書いてください。` +
    '灰色の行は他の課が主担当の取組で、参考として表示しています。その他のセルは変更できません。';
  addBannerRow(sheet, HEADING_ROWS.title, title, widths, { bold: true, size: 14 });
  addBannerRow(sheet, HEADING_ROWS.deadline, `提出期限　${japaneseDateTime(meta.deadline)}`, widths, { bold: true, color: { argb: 'FFC00000' } });
  addBannerRow(sheet, HEADING_ROWS.instructions, instructions, widths);
  addBannerRow(sheet, HEADING_ROWS.legend, statusLegend(meta.year), widths);
  addBannerRow(sheet, HEADING_ROWS.contact, `問い合わせ先　${meta.contact}`, widths);
}

const MARK_LIST: ExcelJS.DataValidation = {
  type: 'list',
  allowBlank: true,
  formulae: [`"${STATUS_MARKS.join(',')}"`],
  showErrorMessage: true,
  errorStyle: 'stop',
  errorTitle: '取組状況の記号',
  error: `${STATUS_MARKS.join(' ')} のいずれかを選んでください`,
  showInputMessage: true,
  promptTitle: '取組状況の記号',
  prompt: STATUS_MARKS.map((mark) => `${mark} ${STATUS_MARK_MEANINGS[mark]}`).join('　'),
};

function addItemRow(sheet: ExcelJS.Worksheet, layout: SheetLayout, entry: SheetItem & { row: number }, input: { mark: string; statusText: string }): void {
  const texts = layout.columns.map((column, i) => {
    if (i + 1 === layout.statusTextColumn) return input.statusText;
    if (i + 1 === layout.markColumn) return input.mark;
    return cellText(entry.item, column);
  });
  const row = sheet.getRow(entry.row);
  row.values = texts.map((text, i) => tableCellValue(layout.columns[i], text));
  const answer = entry.role === 'answer';
  row.height = rowHeight(
    texts.map((text, i) => ({ text, width: columnWidth(layout.columns[i]!) })),
    answer ? ANSWER_MIN_LINES : 1,
  );
  layout.columns.forEach((column, i) => {
    const cell = row.getCell(i + 1);
    cell.border = THIN_BORDER;
    cell.alignment = columnAlignment(column);
    if (!answer) {
      cell.fill = READONLY_FILL;
      cell.font = READONLY_FONT;
    } else if (isInputColumn(layout, i + 1)) {
      cell.fill = INPUT_FILL;
      cell.protection = { locked: false };
    }
  });
  const explanation = row.getCell(layout.explanationColumn);
  explanation.border = THIN_BORDER;
  explanation.alignment = { vertical: 'top', wrapText: true };
  if (answer) {
    row.getCell(layout.markColumn).dataValidation = MARK_LIST;
    explanation.protection = { locked: false };
  } else {
    explanation.fill = READONLY_FILL;
  }
}

/** What the answer cells start with: a value given back, else what the plan already holds. */
function inputValues(entry: SheetItem, year: string, answers: ReturnSheetInput['answers']): { mark: string; statusText: string } {
  if (entry.role === 'readonly') return { mark: '', statusText: readonlyNote(entry.item) };
  return answers?.[entry.item.no] ?? { mark: entry.item.marks[year] ?? '', statusText: entry.item.statusText[year] ?? '' };
}

/** The division's return sheet as an xlsx file. */
export async function writeReturnSheet(input: ReturnSheetInput): Promise<Buffer> {
  const { meta, plan } = input;
  const shape = sheetShape(plan, meta.year);
  const layout = sheetLayout(shape);
  const rows = itemRows(input.items);

  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'torimatome';
  const sheet = workbook.addWorksheet(ANSWER_SHEET, {
    views: [{ state: 'frozen', ySplit: HEADER_ROW }],
    pageSetup: a3Landscape(HEADER_ROW),
  });
  sheet.columns = sheetWidths(layout).map((width) => ({ width }));
  addHeading(sheet, input, layout);
  addHeaderRow(sheet, HEADER_ROW, sheetHeaders(layout), sheetWidths(layout));
  for (const entry of rows) addItemRow(sheet, layout, entry, inputValues(entry, meta.year, input.answers));
  // No password: exceljs would hash it 100,000 times (about 300 ms a sheet), and anyone can
  // strip sheet protection anyway. The lock is a guide; the fingerprints below catch changes.
  await sheet.protect('', { selectLockedCells: true, selectUnlockedCells: true, formatColumns: true, formatRows: true });

  addMetadataSheet(workbook, {
    cycleId: meta.cycleId,
    divisionId: meta.divisionId,
    divisionName: meta.divisionName,
    year: meta.year,
    sheetVersion: meta.sheetVersion,
    period: shape.period,
    pastMarkYears: shape.pastMarkYears,
    items: rows.map((entry) => ({
      no: entry.item.no,
      row: entry.row,
      role: entry.role,
      fingerprint: itemFingerprint(prefilledTexts(layout, entry.item)),
    })),
  });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
