/** The return sheet (回答様式) a division fills in: its items, prefilled and locked but for the answer cells. */
import ExcelJS from 'exceljs';
import { type AnswerValues, type CollectionDefinition, type CollectionField, type FieldValue, fieldName, type RatingScale, scaleOf, type TargetActualValue } from '../domain/collection-definition';
import { fiscalYearLabel, parseFiscalYear } from '../domain/fiscal-year';
import { japaneseDateTime } from '../domain/japanese-date';
import { fieldValue, type Plan, type PlanItem } from '../domain/plan';
import { cellText, columnHeader, tableCellValue } from '../master/plan-table';
import { xlsxText } from '../master/xlsx-cell';
import { itemFingerprint } from './item-fingerprint';
import {
  ANSWER_SHEET,
  EXPLANATION_HEADER,
  HEADER_ROW,
  HEADING_ROWS,
  type InputColumn,
  itemRows,
  LISTS_SHEET,
  prefilledTexts,
  type SheetItem,
  type SheetLayout,
  sheetHeaders,
  sheetLayout,
  sheetShape,
  sheetWidths,
} from './return-sheet-layout';
import { addMetadataSheet } from './return-sheet-meta';
import { ratingLegend } from './rating-legend';
import { a3Landscape, addBannerRow, addHeaderRow, columnAlignment, columnWidth, figureFormat, rowHeight, solidFill, THIN_BORDER } from './sheet-style';

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
  /** Values to fill back in, by item number and field id, e.g. when a return is sent back. */
  answers?: Record<number, AnswerValues>;
}

const INPUT_FILL = solidFill('FFFFF2CC');
const READONLY_FILL = solidFill('FFD9D9D9');
const READONLY_FONT: Partial<ExcelJS.Font> = { color: { argb: 'FF595959' } };
// Room to write a paragraph in an answer row that starts empty.
const ANSWER_MIN_LINES = 8;

function readonlyNote(item: PlanItem): string {
  return `（参考表示）この取組は主担当課の${item.leadDivision}が回答します。入力は不要です。`;
}

/** What the instructions ask of one field: 「取組状況（R4年度末時点）」には記号（○ △ × -）を選んで. */
function guideOf(definition: CollectionDefinition, layout: SheetLayout, field: CollectionField): string {
  const headers = layout.inputs.filter((input) => input.field === field).map((input) => `「${columnHeader(layout.columns[input.column - 1]!)}」`);
  const unit = 'unit' in field && field.unit !== '' ? `（単位：${field.unit}）` : '';
  const guide =
    field.guide ??
    (field.kind === 'text'
      ? '文章で'
      : field.kind === 'rating'
        ? `記号（${scaleOf(definition, field).values.map((v) => v.symbol).join(' ')}）を選んで`
        : `数値${unit}で`);
  return `${headers.join('と')}には${guide}`;
}

/** Title, deadline, how to fill it in, the rating legend and whom to ask, above the table. */
function addHeading(sheet: ExcelJS.Worksheet, input: ReturnSheetInput, layout: SheetLayout): void {
  const { meta, plan } = input;
  const widths = sheetWidths(layout);
  const fields = [...new Set(layout.inputs.map((i) => i.field))];
  const title = `${meta.municipalityName} ${plan.title} 取組状況調査（${fiscalYearLabel(parseFiscalYear(meta.year))}）回答様式　${meta.divisionName}`;
  const instructions =
    `黄色のセルに入力してください。${fields.map((field) => guideOf(plan.definition, layout, field)).join('、')}入力します。` +
    `確認事項（前年度より下がった記号など）をお知らせした場合は、「${EXPLANATION_HEADER}」に理由を書いてください。` +
    '灰色の行は他の課が主担当の取組で、参考として表示しています。その他のセルは変更できません。';
  addBannerRow(sheet, HEADING_ROWS.title, title, widths, { bold: true, size: 14 });
  addBannerRow(sheet, HEADING_ROWS.deadline, `提出期限　${japaneseDateTime(meta.deadline)}`, widths, { bold: true, color: { argb: 'FFC00000' } });
  addBannerRow(sheet, HEADING_ROWS.instructions, instructions, widths);
  addBannerRow(sheet, HEADING_ROWS.legend, ratingLegend(plan.definition, meta.year), widths);
  addBannerRow(sheet, HEADING_ROWS.contact, `問い合わせ先　${meta.contact}`, widths);
}

// Excel keeps a list written in the rule itself only up to 255 characters.
const INLINE_LIST_LIMIT = 255;
// Excel's limits on the prompt shown beside a selected cell.
const PROMPT_LIMIT = 255;

const cut = (text: string, limit: number) => ([...text].length > limit ? `${[...text].slice(0, limit - 1).join('')}…` : text);

/**
 * The drop-down of a rating: its symbols in the rule where they fit, else a range of the hidden
 * list sheet (one column per scale).
 */
function ratingList(definition: CollectionDefinition, scale: RatingScale): ExcelJS.DataValidation {
  const symbols = scale.values.map((value) => value.symbol);
  const inline = `"${symbols.join(',')}"`;
  const column = String.fromCharCode(65 + definition.scales.indexOf(scale));
  const fits = inline.length - 2 <= INLINE_LIST_LIMIT && symbols.every((symbol) => !symbol.includes(',') && !symbol.includes('"'));
  return {
    type: 'list',
    allowBlank: true,
    formulae: [fits ? inline : `'${LISTS_SHEET}'!$${column}$1:$${column}$${symbols.length}`],
    showErrorMessage: true,
    errorStyle: 'stop',
    errorTitle: cut(`${scale.name}の記号`, 32),
    error: cut(`${symbols.join(' ')} のいずれかを選んでください`, PROMPT_LIMIT),
    showInputMessage: true,
    promptTitle: cut(`${scale.name}の記号`, 32),
    prompt: cut(scale.values.map((value) => `${value.symbol} ${value.label}`).join('　'), PROMPT_LIMIT),
  };
}

/** A figure's rule: a warning, not a stop, so that full-width digits typed in still go in and the check reads them. */
function figureRule(field: Extract<CollectionField, { kind: 'number' | 'targetActual' }>): ExcelJS.DataValidation {
  const range = field.min !== undefined && field.max !== undefined ? `${field.min}〜${field.max}` : field.min !== undefined ? `${field.min}以上` : field.max !== undefined ? `${field.max}以下` : '';
  const unit = field.unit === '' ? '' : `（単位：${field.unit}）`;
  const bounds =
    field.min !== undefined && field.max !== undefined
      ? { operator: 'between' as const, formulae: [field.min, field.max] }
      : field.min !== undefined
        ? { operator: 'greaterThanOrEqual' as const, formulae: [field.min] }
        : field.max !== undefined
          ? { operator: 'lessThanOrEqual' as const, formulae: [field.max] }
          : { operator: 'between' as const, formulae: [-1e15, 1e15] };
  return {
    type: 'decimal',
    allowBlank: true,
    ...bounds,
    showErrorMessage: true,
    errorStyle: 'warning',
    errorTitle: cut(fieldName(field), 32),
    error: cut(`数値${range ? `（${range}）` : ''}を入力してください${unit}`, PROMPT_LIMIT),
    showInputMessage: true,
    promptTitle: cut(fieldName(field), 32),
    prompt: cut(`数値を入力してください${unit}${field.decimals > 0 ? `。小数は${field.decimals}桁まで` : ''}`, PROMPT_LIMIT),
  };
}

/** The value an input cell starts with. */
function inputCellValue(input: InputColumn, value: FieldValue): ExcelJS.CellValue {
  if (input.part !== undefined) return (value as TargetActualValue)[input.part];
  if (typeof value === 'string') return xlsxText(value) || null;
  return value as number | null;
}

function inputCellText(input: InputColumn, value: FieldValue): string {
  const cell = inputCellValue(input, value);
  return cell === null ? '' : String(cell);
}

function addItemRow(sheet: ExcelJS.Worksheet, plan: Plan, layout: SheetLayout, entry: SheetItem & { row: number }, values: AnswerValues): void {
  const inputAt = new Map(layout.inputs.map((input) => [input.column, input]));
  const answer = entry.role === 'answer';
  // A row another division answers shows a note in its first text cell instead of answers.
  const noteColumn = answer ? undefined : (layout.inputs.find((input) => input.field.kind === 'text') ?? layout.inputs[0])?.column;
  const texts = layout.columns.map((column, i) => {
    const input = inputAt.get(i + 1);
    if (i + 1 === noteColumn) return readonlyNote(entry.item);
    if (input) return answer ? inputCellText(input, values[input.field.id]!) : '';
    return cellText(entry.item, column);
  });
  const row = sheet.getRow(entry.row);
  row.values = texts.map((text, i) => {
    const input = inputAt.get(i + 1);
    if (i + 1 === noteColumn) return xlsxText(text);
    if (input && answer) return inputCellValue(input, values[input.field.id]!);
    return tableCellValue(layout.columns[i], text);
  });
  row.height = rowHeight(
    texts.map((text, i) => ({ text, width: columnWidth(layout.columns[i]!) })),
    answer ? ANSWER_MIN_LINES : 1,
  );
  layout.columns.forEach((column, i) => {
    const cell = row.getCell(i + 1);
    cell.border = THIN_BORDER;
    cell.alignment = columnAlignment(column);
    const format = figureFormat(column);
    if (format) cell.numFmt = format;
    if (!answer) {
      cell.fill = READONLY_FILL;
      cell.font = READONLY_FONT;
    } else if (inputAt.has(i + 1)) {
      cell.fill = INPUT_FILL;
      cell.protection = { locked: false };
    }
  });
  const explanation = row.getCell(layout.explanationColumn);
  explanation.border = THIN_BORDER;
  explanation.alignment = { vertical: 'top', wrapText: true };
  if (answer) {
    for (const input of layout.inputs) {
      const { field } = input;
      if (field.kind === 'rating') row.getCell(input.column).dataValidation = ratingList(plan.definition, scaleOf(plan.definition, field));
      else if (field.kind === 'number' || field.kind === 'targetActual') row.getCell(input.column).dataValidation = figureRule(field);
    }
    explanation.protection = { locked: false };
  } else {
    explanation.fill = READONLY_FILL;
  }
}

/** What the answer cells start with: a value given back, else what the plan already holds. */
function inputValues(plan: Plan, entry: SheetItem, year: string, answers: ReturnSheetInput['answers']): AnswerValues {
  const given = answers?.[entry.item.no];
  return Object.fromEntries(plan.definition.fields.map((field) => [field.id, given?.[field.id] ?? fieldValue(plan, entry.item, field.id, year)]));
}

/** The symbols of the scales whose list does not fit in the rule, one column per scale, very hidden. */
function addListsSheet(workbook: ExcelJS.Workbook, definition: CollectionDefinition): void {
  const long = definition.scales.filter((scale) => !(ratingList(definition, scale).formulae[0] as string).startsWith('"'));
  if (long.length === 0) return;
  const sheet = workbook.addWorksheet(LISTS_SHEET, { state: 'hidden' });
  for (const scale of long) {
    const column = definition.scales.indexOf(scale) + 1;
    scale.values.forEach((value, i) => (sheet.getCell(i + 1, column).value = xlsxText(value.symbol)));
  }
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
  for (const entry of rows) addItemRow(sheet, plan, layout, entry, inputValues(plan, entry, meta.year, input.answers));
  // No password: exceljs would hash it 100,000 times (about 300 ms a sheet), and anyone can
  // strip sheet protection anyway. The lock is a guide; the fingerprints below catch changes.
  await sheet.protect('', { selectLockedCells: true, selectUnlockedCells: true, formatColumns: true, formatRows: true });

  addListsSheet(workbook, plan.definition);
  addMetadataSheet(workbook, {
    cycleId: meta.cycleId,
    divisionId: meta.divisionId,
    divisionName: meta.divisionName,
    year: meta.year,
    sheetVersion: meta.sheetVersion,
    period: shape.period,
    pastYears: shape.pastYears,
    items: rows.map((entry) => ({
      no: entry.item.no,
      row: entry.row,
      role: entry.role,
      fingerprint: itemFingerprint(prefilledTexts(layout, entry.item)),
    })),
  });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
