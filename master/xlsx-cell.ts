import type { CellValue } from 'exceljs';
import type { Cell, Unreadable } from './plan-table';

// XML 1.0 cannot hold these code units, and XML parsers turn CR into LF. OOXML strings
// (ST_Xstring) carry them as _xHHHH_, and a literal `_xHHHH_` by escaping its underscore the
// same way. Excel and exceljs decode that when reading, but exceljs does not encode when writing.
const XML_UNSAFE = /[\x00-\x08\x0B-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|_(?=x[0-9A-Fa-f]{4}_)/g;

/** A string as an xlsx cell must hold it to read back the same, in Excel and in exceljs. */
export function xlsxText(text: string): string {
  return text.replace(XML_UNSAFE, (c) => `_x${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`);
}

export const FORMULA_CELL: Unreadable = { code: 'formula-cell', message: '数式ではなく値を入力してください（数式の入ったセルは読めません）' };
export const UNSUPPORTED_CELL: Unreadable = { code: 'unsupported-cell', message: '文字か数字を入力してください（日付・TRUE/FALSE・エラー値のセルは読めません）' };

/** A cell of a sheet read as text, or why it cannot be. */
export function readXlsxCell(value: CellValue): Cell {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'object' || value instanceof Date) return UNSUPPORTED_CELL;
  if ('richText' in value) return value.richText.map((run) => run.text).join('').trim();
  // The result is only what Excel last computed; the plan must hold what people wrote.
  if ('formula' in value || 'sharedFormula' in value) return FORMULA_CELL;
  // exceljs gives a link's text as whatever the cell held, rich text included.
  if ('hyperlink' in value) return readXlsxCell(value.text as CellValue);
  return UNSUPPORTED_CELL;
}
