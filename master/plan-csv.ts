import type { Plan } from '../domain/plan';
import { planTable } from './plan-table';

// Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

function csvField(text: string): string {
  // A lone `-` is the status mark 翌年度以降実施, and no spreadsheet reads it as a formula.
  const safe = text !== '-' && FORMULA_START.test(text) ? `'${text}` : text;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * Records as CSV for Excel: the BOM makes Excel read UTF-8 rather than Shift_JIS, and every
 * line, the last one too, ends in CRLF as RFC 4180 has it.
 */
export function writeCsv(records: readonly (readonly string[])[]): string {
  return `\uFEFF${records.map((row) => `${row.map(csvField).join(',')}\r\n`).join('')}`;
}

/** The plan table as CSV for Excel. */
export function writePlanCsv(plan: Plan): string {
  const { header, rows } = planTable(plan);
  return writeCsv([header, ...rows]);
}
