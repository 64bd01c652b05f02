import type { Plan } from '../domain/plan';
import { planTable } from './plan-table';

// Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

function csvField(text: string): string {
  // A lone `-` (a rating or a rate that cannot be computed) and a negative figure are no formula to any spreadsheet.
  const safe = text !== '-' && !/^-\d+(\.\d+)?$/.test(text) && FORMULA_START.test(text) ? `'${text}` : text;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * Records as CSV for Excel: the BOM makes Excel read UTF-8 rather than Shift_JIS, and every
 * line, the last one too, ends in CRLF as RFC 4180 has it.
 */
export function writeCsv(records: readonly (readonly string[])[]): string {
  return `\uFEFF${records.map((row) => `${row.map(csvField).join(',')}\r\n`).join('')}`;
}

/**
 * Reads CSV as Excel writes it (RFC 4180: quoted fields with doubled quotes, CRLF or LF), into
 * rows of cells, or says where a quote is left open.
 */
export function readCsv(text: string): { rows: string[][] } | { line: number; message: string } {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let openedAt = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') {
      quoted = true;
      openedAt = line;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      line++;
    } else {
      cell += c;
    }
  }
  if (quoted) return { line: openedAt, message: `${openedAt}行目で始まる「"」が閉じていません` };
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return { rows };
}

/** The plan table as CSV for Excel. */
export function writePlanCsv(plan: Plan): string {
  const { header, rows } = planTable(plan);
  return writeCsv([header, ...rows]);
}
