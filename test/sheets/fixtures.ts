import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { ARAO_COLLECTION } from '../../domain/arao-collection';
import { planBeforeYear } from '../../domain/cycle';
import { Plan } from '../../domain/plan';
import { fillReturnSheet } from '../../sheets/fill-return-sheet';
import type { ExpectedReturn } from '../../sheets/read-return-sheet';
import { type ReturnSheetInput, type SheetItem, writeReturnSheet } from '../../sheets/write-return-sheet';
import { SEED_PLAN_PATH } from '../support/seed';

export const seedPlan = (): Plan => Plan.parse(JSON.parse(readFileSync(SEED_PLAN_PATH, 'utf8')));

/** The plan as it stood before the year's collection: no status text or mark for `year`. */
export const withoutYear = (plan: Plan, year: string): Plan => Plan.parse(planBeforeYear(plan, year));

/** What a division answers (it leads the item) and sees (it is a co-division). */
export function divisionItems(plan: Plan, divisionName: string): SheetItem[] {
  return plan.items.flatMap((item): SheetItem[] => {
    if (item.leadDivision === divisionName) return [{ item, role: 'answer' }];
    if (item.coDivisions.includes(divisionName)) return [{ item, role: 'readonly' }];
    return [];
  });
}

export const CYCLE_ID = 'cycle-arao-R4';
export const SOMU = { divisionId: 'somu', divisionName: '総務課' };

export function sheetInput(plan: Plan, division = SOMU, changes: Partial<ReturnSheetInput> = {}): ReturnSheetInput {
  return {
    meta: {
      cycleId: CYCLE_ID,
      municipalityName: '荒尾市',
      year: 'R4',
      ...division,
      sheetVersion: 1,
      deadline: '2023-03-31T23:59:59+09:00',
      contact: '文化企画課（bunka-kikaku@city.arao.example）',
    },
    plan,
    items: divisionItems(plan, division.divisionName),
    ...changes,
  };
}

export function expectedReturn(plan: Plan, changes: Partial<ExpectedReturn> = {}): ExpectedReturn {
  return { cycleId: CYCLE_ID, year: 'R4', ...SOMU, sheetVersion: 1, items: divisionItems(plan, SOMU.divisionName), definition: plan.definition, ...changes };
}

/** The 総務課 sheet for R4, written from the plan without R4. */
export const somuSheet = (): Promise<Buffer> => writeReturnSheet(sheetInput(withoutYear(seedPlan(), 'R4')));

type LoadInput = Parameters<ExcelJS.Xlsx['load']>[0];

export async function load(data: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(data as unknown as LoadInput);
  return workbook;
}

/** A workbook after someone changed it in Excel. */
export async function edited(data: Buffer, change: (workbook: ExcelJS.Workbook) => void): Promise<Buffer> {
  const workbook = await load(data);
  change(workbook);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** Arao's answer of an item: its status mark and its status text, under their field ids. */
export function araoAnswer(mark: string, statusText: string, explanation?: string): { values: { marks: string; statusText: string }; explanation?: string } {
  return { values: { marks: mark, statusText }, ...(explanation !== undefined && { explanation }) };
}

/** What 総務課 answers for an item: the seed's R4 mark and status text. */
export function seedAnswer(no: number): { no: number; values: { marks: string; statusText: string } } {
  const item = seedPlan().items.find((i) => i.no === no);
  if (!item) throw new Error(`the seed has no item ${no}`);
  return { no, ...araoAnswer((item.values.marks?.R4 as string) ?? '', (item.values.statusText?.R4 as string) ?? '') };
}

/** The 総務課 sheet filled in as its staff would, every answer row with the seed's R4 values. */
export async function filledSomuSheet(): Promise<Buffer> {
  return fillReturnSheet(await somuSheet(), ARAO_COLLECTION, 'R4', seedAnswer);
}

/** What the reform office expects back from 総務課 for R4. */
export const somuExpected = (): ExpectedReturn => expectedReturn(withoutYear(seedPlan(), 'R4'));
