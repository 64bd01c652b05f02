/**
 * The very hidden sheet that says what a return sheet was written for: which cycle, division
 * and version, where each item's row is and a fingerprint of what was prefilled in it. exceljs
 * writes no custom document properties, so this is where such facts can travel with the file.
 */
import type ExcelJS from 'exceljs';
import { z } from 'zod';
import { FiscalYearCode } from '../domain/fiscal-year-code';
import { PlanPeriod } from '../domain/plan';
import { readXlsxCell, xlsxText } from '../master/xlsx-cell';
import { META_SHEET } from './return-sheet-layout';

export const SheetMetadata = z.object({
  cycleId: z.string().min(1),
  divisionId: z.string().min(1),
  divisionName: z.string().min(1),
  year: FiscalYearCode,
  sheetVersion: z.number().int().positive(),
  period: PlanPeriod,
  /** The years before the cycle year whose ratings and figures the sheet shows. */
  pastYears: z.array(FiscalYearCode),
  items: z.array(
    z.object({
      no: z.number().int().positive(),
      row: z.number().int().positive(),
      role: z.enum(['answer', 'readonly']),
      fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
});
export type SheetMetadata = z.infer<typeof SheetMetadata>;

// Key/value rows, then a header row and one row per item.
const FIELDS = ['cycleId', 'divisionId', 'divisionName', 'year', 'sheetVersion', 'periodFrom', 'periodTo', 'pastYears'] as const;
// What sheets written before the collection definition call pastYears: Arao's past marks were all its history.
const OLD_PAST_YEARS = 'pastMarkYears';
const ITEM_FIELDS = ['no', 'row', 'role', 'fingerprint'] as const;
const YEAR_SEPARATOR = ',';

export function addMetadataSheet(workbook: ExcelJS.Workbook, meta: SheetMetadata): void {
  const sheet = workbook.addWorksheet(META_SHEET, { state: 'veryHidden' });
  const values: Record<(typeof FIELDS)[number], string | number> = {
    cycleId: meta.cycleId,
    divisionId: meta.divisionId,
    divisionName: meta.divisionName,
    year: meta.year,
    sheetVersion: meta.sheetVersion,
    periodFrom: meta.period.from,
    periodTo: meta.period.to,
    pastYears: meta.pastYears.join(YEAR_SEPARATOR),
  };
  sheet.addRows(FIELDS.map((field) => {
    const value = values[field];
    return [field, typeof value === 'string' ? xlsxText(value) || null : value];
  }));
  sheet.addRow([...ITEM_FIELDS]);
  sheet.addRows(meta.items.map((item) => ITEM_FIELDS.map((field) => item[field])));
}

/** The metadata, or undefined when the sheet does not hold what `addMetadataSheet` writes. */
export function readMetadataSheet(sheet: ExcelJS.Worksheet): SheetMetadata | undefined {
  const rows: string[][] = [];
  sheet.eachRow((row) => {
    rows.push(ITEM_FIELDS.map((_, i) => {
      const cell = readXlsxCell(row.getCell(i + 1).value);
      return typeof cell === 'string' ? cell : '';
    }));
  });
  const itemsHeader = rows.findIndex((cells) => cells.join() === ITEM_FIELDS.join());
  if (itemsHeader < 0) return undefined;
  const fields = new Map(rows.slice(0, itemsHeader).map(([key = '', value = '']) => [key, value]));
  const parsed = SheetMetadata.safeParse({
    cycleId: fields.get('cycleId'),
    divisionId: fields.get('divisionId'),
    divisionName: fields.get('divisionName'),
    year: fields.get('year'),
    sheetVersion: Number(fields.get('sheetVersion')),
    period: { from: fields.get('periodFrom'), to: fields.get('periodTo') },
    pastYears: (fields.get('pastYears') ?? fields.get(OLD_PAST_YEARS))?.split(YEAR_SEPARATOR).filter((year) => year !== ''),
    items: rows.slice(itemsHeader + 1).map(([no, row, role, fingerprint]) => ({ no: Number(no), row: Number(row), role, fingerprint })),
  });
  return parsed.success ? parsed.data : undefined;
}
