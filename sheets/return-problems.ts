/**
 * Every way a return can be refused, with the Japanese message the division reads. New checks
 * add an entry here, so that codes stay unique and messages stay in one voice.
 */
import { fiscalYearLabel, parseFiscalYear } from '../domain/fiscal-year';
import { STATUS_MARKS } from '../domain/status-mark';
import { FORMULA_CELL, UNSUPPORTED_CELL } from '../master/xlsx-cell';

export interface ReturnProblem {
  code: string;
  /** Japanese; names the cell and the item where there is one. */
  message: string;
  /** Address such as `P12`. */
  cell?: string;
  no?: number;
}

export interface ProblemKind<A extends unknown[]> {
  code: string;
  message: (...args: A) => string;
}

const kind = <A extends unknown[]>(code: string, message: (...args: A) => string): ProblemKind<A> => ({ code, message });

interface SheetIdentity {
  cycleId: string;
  year: string;
  divisionId: string;
  divisionName: string;
  sheetVersion: number;
}

const yearLabel = (year: string) => fiscalYearLabel(parseFiscalYear(year));

export const RETURN_PROBLEMS = {
  notXlsx: kind('not-xlsx', () => 'Excelファイル（.xlsx）として読めません。お送りした回答様式に入力し、そのまま提出してください'),
  otherForm: kind('other-form', () => '他の様式のファイルです。お送りした回答様式に入力して提出してください'),
  otherCycle: kind('other-cycle', (found: SheetIdentity, expected: SheetIdentity) =>
    `このファイルは別の調査（${yearLabel(found.year)}、調査ID ${found.cycleId}）の回答様式です。` +
    `${yearLabel(expected.year)}の調査（調査ID ${expected.cycleId}）の回答様式に入力してください`),
  otherDivision: kind('other-division', (found: SheetIdentity, expected: SheetIdentity) =>
    `このファイルは${found.divisionName}（${found.divisionId}）の回答様式です。` +
    `${expected.divisionName}（${expected.divisionId}）の回答様式に入力してください`),
  outdatedSheet: kind('outdated-sheet', (found: SheetIdentity, expected: SheetIdentity) =>
    `このファイルは${found.sheetVersion < expected.sheetVersion ? '古い' : '別の版の'}回答様式（第${found.sheetVersion}版）です。` +
    `最新の回答様式（第${expected.sheetVersion}版）に入力し直してください`),
  missingSheet: kind('missing-sheet', (name: string) => `シート「${name}」がありません。お送りした回答様式のシートを消したり名前を変えたりせずに提出してください`),
  missingItemRow: kind('missing-item-row', () => 'この取組の行が回答様式にありません。最新の回答様式に入力し直してください'),
  missingMark: kind('missing-mark', () => '取組状況の記号が入力されていません'),
  unknownMark: kind('unknown-mark', (value: string) => `取組状況の記号「${value}」は使えません（${STATUS_MARKS.join(' ')} のいずれかを選んでください）`),
  missingStatusText: kind('missing-status-text', (header: string) => `「${header}」が入力されていません`),
  formulaCell: kind(FORMULA_CELL.code, () => FORMULA_CELL.message),
  unsupportedCell: kind(UNSUPPORTED_CELL.code, () => UNSUPPORTED_CELL.message),
};

/** A problem with the file as a whole. */
export function fileProblem<A extends unknown[]>(problem: ProblemKind<A>, ...args: A): ReturnProblem {
  return { code: problem.code, message: problem.message(...args) };
}

/** A problem with an item that has no cell to point at. */
export function itemProblem<A extends unknown[]>(problem: ProblemKind<A>, no: number, ...args: A): ReturnProblem {
  return { code: problem.code, message: `整理番号${no}: ${problem.message(...args)}`, no };
}

/** A problem with one cell of an item's row: `セル P12（整理番号14）: …`. */
export function cellProblem<A extends unknown[]>(problem: ProblemKind<A>, at: { cell: string; no: number }, ...args: A): ReturnProblem {
  return { code: problem.code, message: `セル ${at.cell}（整理番号${at.no}）: ${problem.message(...args)}`, cell: at.cell, no: at.no };
}
