/** Reading a division's filled return sheet back, cell by cell, with what is wrong with it. */
import ExcelJS from 'exceljs';
import { readStatusMark, type StatusMark } from '../domain/status-mark';
import { columnHeader, type Unreadable } from '../master/plan-table';
import { FORMULA_CELL, readXlsxCell } from '../master/xlsx-cell';
import { cellProblem, fileProblem, itemProblem, RETURN_PROBLEMS as P, type ReturnProblem } from './return-problems';
import { ANSWER_SHEET, META_SHEET, type SheetItem, type SheetLayout, sheetLayout } from './return-sheet-layout';
import { readMetadataSheet, type SheetMetadata } from './return-sheet-meta';

/** What the reform office sent this division in this cycle. */
export interface ExpectedReturn {
  cycleId: string;
  year: string;
  divisionId: string;
  divisionName: string;
  sheetVersion: number;
  items: SheetItem[];
}

export interface ReturnAnswer {
  no: number;
  mark: StatusMark;
  statusText: string;
}

export interface ReturnReading {
  ok: boolean;
  problems: ReturnProblem[];
  /** The answer rows, in item number order; empty unless ok. */
  answers: ReturnAnswer[];
}

const refused = (problems: ReturnProblem[]): ReturnReading => ({ ok: false, problems, answers: [] });

/** Whether the file is this division's sheet for this cycle, in the current version. */
function identityProblems(found: SheetMetadata, expected: ExpectedReturn): ReturnProblem[] {
  const problems: ReturnProblem[] = [];
  if (found.cycleId !== expected.cycleId || found.year !== expected.year) problems.push(fileProblem(P.otherCycle, found, expected));
  if (found.divisionId !== expected.divisionId) problems.push(fileProblem(P.otherDivision, found, expected));
  // Versions count per cycle and division, so they only compare on the same sheet.
  if (problems.length === 0 && found.sheetVersion !== expected.sheetVersion) problems.push(fileProblem(P.outdatedSheet, found, expected));
  return problems;
}

const unreadableKind = (cell: Unreadable) => (cell.code === FORMULA_CELL.code ? P.formulaCell : P.unsupportedCell);

function readAnswerRow(sheet: ExcelJS.Worksheet, layout: SheetLayout, no: number, row: number): { answer?: ReturnAnswer; problems: ReturnProblem[] } {
  const problems: ReturnProblem[] = [];
  const textCell = sheet.getCell(row, layout.statusTextColumn);
  const markCell = sheet.getCell(row, layout.markColumn);
  const at = (cell: ExcelJS.Cell) => ({ cell: cell.address, no });

  const statusText = readXlsxCell(textCell.value);
  if (typeof statusText !== 'string') problems.push(cellProblem(unreadableKind(statusText), at(textCell)));
  else if (statusText === '') problems.push(cellProblem(P.missingStatusText, at(textCell), columnHeader(layout.columns[layout.statusTextColumn - 1]!)));

  const markText = readXlsxCell(markCell.value);
  let mark: StatusMark | undefined;
  if (typeof markText !== 'string') {
    problems.push(cellProblem(unreadableKind(markText), at(markCell)));
  } else {
    const reading = readStatusMark(markText);
    if (!reading.ok) problems.push(cellProblem(P.unknownMark, at(markCell), reading.value));
    else if (reading.mark === '') problems.push(cellProblem(P.missingMark, at(markCell)));
    else mark = reading.mark;
  }

  if (problems.length > 0 || mark === undefined || typeof statusText !== 'string') return { problems };
  return { answer: { no, mark, statusText }, problems };
}

/**
 * Reads a return sheet written by `writeReturnSheet` and filled in by the division. Only cell
 * values are read, never styles, so a sheet re-saved by another spreadsheet program reads the same.
 */
export async function readReturnSheet(data: Buffer, expected: ExpectedReturn): Promise<ReturnReading> {
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs types its input as its own ArrayBuffer-like `Buffer`; at run time JSZip takes a Node Buffer.
    await workbook.xlsx.load(data as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
  } catch {
    return refused([fileProblem(P.notXlsx)]);
  }
  const metaSheet = workbook.getWorksheet(META_SHEET);
  const meta = metaSheet && readMetadataSheet(metaSheet);
  if (!meta) return refused([fileProblem(P.otherForm)]);
  const identity = identityProblems(meta, expected);
  if (identity.length > 0) return refused(identity);
  const sheet = workbook.getWorksheet(ANSWER_SHEET);
  if (!sheet) return refused([fileProblem(P.missingSheet, ANSWER_SHEET)]);

  const layout = sheetLayout(meta);
  const rows = new Map(meta.items.map((item) => [item.no, item.row]));
  const problems: ReturnProblem[] = [];
  const answers: ReturnAnswer[] = [];
  const answerItems = expected.items.filter((entry) => entry.role === 'answer').map((entry) => entry.item.no).sort((a, b) => a - b);
  for (const no of answerItems) {
    const row = rows.get(no);
    if (row === undefined) {
      problems.push(itemProblem(P.missingItemRow, no));
      continue;
    }
    const reading = readAnswerRow(sheet, layout, no, row);
    problems.push(...reading.problems);
    if (reading.answer) answers.push(reading.answer);
  }
  return problems.length > 0 ? refused(problems) : { ok: true, problems, answers };
}
