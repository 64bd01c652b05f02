/** Reading a division's filled return sheet back, cell by cell, with what is wrong with it. */
import ExcelJS from 'exceljs';
import {
  type AnswerValues,
  blankValue,
  type CollectionDefinition,
  type CollectionField,
  type FieldValue,
  fieldName,
  readFigure,
  readRating,
  scaleOf,
  type TargetActualValue,
} from '../domain/collection-definition';
import { columnHeader, readPositiveInteger, type Unreadable } from '../master/plan-table';
import { FORMULA_CELL, readXlsxCell } from '../master/xlsx-cell';
import { itemFingerprint } from './item-fingerprint';
import { cellProblem, cutShort, fileProblem, itemProblem, RETURN_PROBLEMS as P, type ReturnProblem, sheetCellProblem } from './return-problems';
import { ANSWER_SHEET, FIRST_ITEM_ROW, HEADER_ROW, type InputColumn, isInputColumn, META_SHEET, prefilledTexts, type SheetItem, type SheetLayout, sheetHeaders, sheetLayout } from './return-sheet-layout';
import { readMetadataSheet, type SheetMetadata } from './return-sheet-meta';

/** What the reform office sent this division in this cycle. */
export interface ExpectedReturn {
  cycleId: string;
  year: string;
  divisionId: string;
  divisionName: string;
  sheetVersion: number;
  items: SheetItem[];
  /** The definition of the cycle's snapshot, that the sheet was written for. */
  definition: CollectionDefinition;
}

export interface ReturnAnswer {
  no: number;
  /** The cycle year's value of each field the sheet asks, by field id. */
  values: AnswerValues;
  /** What the division wrote in 説明, if anything. */
  explanation?: string;
}

export interface ReturnReading {
  ok: boolean;
  problems: ReturnProblem[];
  /** The answer rows, in item number order; empty unless ok. */
  answers: ReturnAnswer[];
  /** When refused for its cells, the answer rows that read well, to fill back into the sheet. */
  drafts?: ReturnAnswer[];
}

/** Problems listed one by one; past that, one more says how many were left out (a return record must stay small). */
export const MAX_LISTED_PROBLEMS = 50;

const refused = (problems: ReturnProblem[]): ReturnReading => {
  if (problems.length <= MAX_LISTED_PROBLEMS) return { ok: false, problems, answers: [] };
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS - 1);
  return { ok: false, problems: [...listed, fileProblem(P.moreProblems, problems.length - listed.length)], answers: [] };
};

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

/**
 * A cell's text for comparing what was sent with what came back: how the file encodes it
 * (shared or inline string, rich text, a number as text, CRLF) does not count, what it says does.
 */
function comparable(value: ExcelJS.CellValue): string {
  const cell = readXlsxCell(value);
  // A formula or a date never equals what was prefilled, which is always text or a number.
  if (typeof cell !== 'string') return `\u0000${cell.code}`;
  return cell.replace(/\r\n?/g, '\n');
}

/** What a message shows for a cell's content. */
function shownCell(value: ExcelJS.CellValue): string {
  const cell = readXlsxCell(value);
  if (typeof cell === 'string') return cell;
  return cell.code === FORMULA_CELL.code ? '（数式）' : '（日付など）';
}

type Reading<T> = { value: T; problems: ReturnProblem[] };

/** One input cell's text, or the problem of a cell that holds no text or number. */
function inputText(cell: ExcelJS.Cell, at: { cell: string; no: number }): Reading<string | undefined> {
  const text = readXlsxCell(cell.value);
  return typeof text === 'string' ? { value: text, problems: [] } : { value: undefined, problems: [cellProblem(unreadableKind(text), at)] };
}

function rangeText(field: Extract<CollectionField, { kind: 'number' | 'targetActual' }>): string {
  return field.min !== undefined && field.max !== undefined ? `${field.min}〜${field.max}` : field.min !== undefined ? `${field.min}以上` : `${field.max}以下`;
}

/** A figure cell: blank is null; a figure outside the field's range or with more decimals than it takes is refused. */
function readFigureCell(field: Extract<CollectionField, { kind: 'number' | 'targetActual' }>, header: string, text: string, at: { cell: string; no: number }): Reading<number | null> {
  if (text === '') return { value: null, problems: field.required ? [cellProblem(P.missingFigure, at, header)] : [] };
  const figure = readFigure(text, field.unit);
  if (figure === undefined) return { value: null, problems: [cellProblem(P.notAFigure, at, header, cutShort(text))] };
  if ((field.min !== undefined && figure < field.min) || (field.max !== undefined && figure > field.max)) {
    return { value: null, problems: [cellProblem(P.figureOutOfRange, at, header, figure, rangeText(field))] };
  }
  if (Number((figure * 10 ** field.decimals).toPrecision(12)) % 1 !== 0) return { value: null, problems: [cellProblem(P.tooManyDecimals, at, header, figure, field.decimals)] };
  return { value: figure, problems: [] };
}

/** The value of one field from its input cells. */
function readFieldValue(definition: CollectionDefinition, layout: SheetLayout, sheet: ExcelJS.Worksheet, field: CollectionField, no: number, row: number): Reading<FieldValue> {
  const inputs = layout.inputs.filter((input) => input.field === field);
  const cellOf = (input: InputColumn) => sheet.getCell(row, input.column);
  const at = (input: InputColumn) => ({ cell: cellOf(input).address, no });
  const header = (input: InputColumn) => columnHeader(layout.columns[input.column - 1]!);
  const read = inputs.map((input) => ({ input, ...inputText(cellOf(input), at(input)) }));
  const unreadable = read.flatMap((r) => r.problems);
  if (unreadable.length > 0) return { value: blankValue(field), problems: unreadable };
  const [first] = read;
  const text = first!.value!;
  switch (field.kind) {
    case 'text': {
      if (text === '') return { value: '', problems: field.required ? [cellProblem(P.missingStatusText, at(first!.input), header(first!.input))] : [] };
      const length = [...text].length;
      return { value: text, problems: length > field.maxLength ? [cellProblem(P.statusTextTooLong, at(first!.input), fieldName(field), length, field.maxLength)] : [] };
    }
    case 'rating': {
      const scale = scaleOf(definition, field);
      const reading = readRating(scale, text);
      if (!reading.ok) return { value: '', problems: [cellProblem(P.unknownMark, at(first!.input), scale, cutShort(reading.value))] };
      if (reading.symbol === '' && field.required) return { value: '', problems: [cellProblem(P.missingMark, at(first!.input), scale)] };
      return { value: reading.symbol, problems: [] };
    }
    case 'number':
      return readFigureCell(field, header(first!.input), text, at(first!.input));
    case 'targetActual': {
      const figures = read.map((r) => ({ part: r.input.part!, ...readFigureCell(field, header(r.input), r.value!, at(r.input)) }));
      const pair = { target: null, actual: null, ...Object.fromEntries(figures.map((f) => [f.part, f.value])) } as TargetActualValue;
      return { value: pair, problems: figures.flatMap((f) => f.problems) };
    }
  }
}

function readAnswerRow(sheet: ExcelJS.Worksheet, definition: CollectionDefinition, layout: SheetLayout, no: number, row: number): { answer?: ReturnAnswer; problems: ReturnProblem[] } {
  const values: AnswerValues = {};
  const problems: ReturnProblem[] = [];
  for (const field of new Set(layout.inputs.map((input) => input.field))) {
    const reading = readFieldValue(definition, layout, sheet, field, no, row);
    values[field.id] = reading.value;
    problems.push(...reading.problems);
  }
  // 説明 is free text the division may leave empty; anything unreadable there is simply not one.
  const explanation = readXlsxCell(sheet.getCell(row, layout.explanationColumn).value);
  if (problems.length > 0) return { problems };
  return { answer: { no, values, ...(typeof explanation === 'string' && explanation !== '' && { explanation }) }, problems };
}

/** The header row's cells against the ones the layout writes: the first that differs, if any. */
function headerDifference(sheet: ExcelJS.Worksheet, layout: SheetLayout, headerRow: number): { cell: ExcelJS.Cell; original: string } | undefined {
  const row = sheet.getRow(headerRow);
  const headers = sheetHeaders(layout);
  const width = Math.max(headers.length, row.cellCount);
  for (let column = 1; column <= width; column++) {
    const original = headers[column - 1] ?? '';
    const cell = row.getCell(column);
    // People break long headers over lines; only the words count.
    if (comparable(cell.value).replace(/\s/g, '') !== original.replace(/\s/g, '')) return { cell, original };
  }
  return undefined;
}

// Rows looked through for a header row that moved: the heading and a few rows put above it.
const HEADER_SEARCH_ROWS = 50;

/**
 * A column added, removed or moved shifts every header after it, and a row added or removed
 * above the table moves the header row: either is one problem, named at the first cell that
 * differs or at the header's new row, not one per cell.
 */
function headerProblems(sheet: ExcelJS.Worksheet, layout: SheetLayout): ReturnProblem[] {
  const difference = headerDifference(sheet, layout, HEADER_ROW);
  if (!difference) return [];
  for (let row = 1; row <= HEADER_SEARCH_ROWS; row++) {
    if (row !== HEADER_ROW && !headerDifference(sheet, layout, row)) return [sheetCellProblem(P.movedHeader, `A${row}`, HEADER_ROW, row)];
  }
  return [sheetCellProblem(P.changedHeader, difference.cell.address, difference.original, shownCell(difference.cell.value))];
}

const headerMatches = (sheet: ExcelJS.Worksheet, layout: SheetLayout) => headerDifference(sheet, layout, HEADER_ROW) === undefined;

/** Whether a workbook without its metadata sheet still looks like a return sheet: a table headed 整理番号 where ours is. */
function looksLikeReturnSheet(workbook: ExcelJS.Workbook): boolean {
  return workbook.worksheets.some((sheet) => comparable(sheet.getCell(HEADER_ROW, 1).value) === columnHeader({ kind: 'no' }));
}

/** The metadata agrees with what the reform office sent: every item it lists, with that item's fingerprint. */
function metadataAgrees(meta: SheetMetadata, layout: SheetLayout, expected: ReadonlyMap<number, SheetItem>): boolean {
  const rows = new Set<number>();
  const nos = new Set<number>();
  return meta.items.every((entry) => {
    const sent = expected.get(entry.no);
    if (!sent || entry.row < FIRST_ITEM_ROW || rows.has(entry.row) || nos.has(entry.no)) return false;
    rows.add(entry.row);
    nos.add(entry.no);
    return itemFingerprint(prefilledTexts(layout, sent.item)) === entry.fingerprint;
  });
}

interface Placement {
  /** Items whose row is where it was written. */
  inPlace: Set<number>;
  /** Rows added, rows gone and rows moved, in row order. */
  problems: ReturnProblem[];
}

/**
 * The entries of `sequence` that keep their order, as many as can (indices into it), and of
 * those the most that `preferred` marks: what stayed in order when rows moved, preferring rows
 * still where they were written, so that of two swapped rows both are named and not a third.
 */
function longestOrderedRun(sequence: readonly number[], preferred: readonly boolean[]): Set<number> {
  // Each entry counts 1, a preferred one a little more, never as much as another entry.
  const weight = (i: number) => 1 + (preferred[i] ? 1 / (sequence.length + 1) : 0);
  const best = sequence.map((_, i) => weight(i));
  const previous = sequence.map(() => -1);
  for (let i = 0; i < sequence.length; i++) {
    for (let j = 0; j < i; j++) {
      if (sequence[j]! < sequence[i]! && best[j]! + weight(i) > best[i]!) {
        best[i] = best[j]! + weight(i);
        previous[i] = j;
      }
    }
  }
  const run = new Set<number>();
  let i = best.indexOf(Math.max(0, ...best));
  while (i >= 0) {
    run.add(i);
    i = previous[i]!;
  }
  return run;
}

/** Consecutive rows as runs: [8, 9, 12] is [[8, 9], [12, 12]]. */
function runsOf(rows: readonly number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const row of [...rows].sort((a, b) => a - b)) {
    const last = runs[runs.length - 1];
    if (last && row === last[1] + 1) last[1] = row;
    else runs.push([row, row]);
  }
  return runs;
}

/**
 * Finds each item's row by its number in the 整理番号 column, against the row the metadata
 * says it was written to: rows added (also a copied row, a blank row inside the table and a
 * note under it), rows gone and rows moved. An item whose row is in place but whose number was
 * changed counts as in place; the prefilled check then names its number cell. Rows that only
 * shifted because a row was added or removed above them are not named again.
 */
function placeRows(sheet: ExcelJS.Worksheet, layout: SheetLayout, meta: SheetMetadata): Placement {
  const width = layout.columns.length;
  const tableRows = new Map<number, { no?: number; firstCell: string }>();
  sheet.eachRow((row, rowNumber) => {
    if (rowNumber < FIRST_ITEM_ROW) return;
    for (let column = 1; column <= width; column++) {
      const cell = row.getCell(column);
      if (comparable(cell.value) === '') continue;
      const no = readPositiveInteger(comparable(row.getCell(1).value));
      tableRows.set(rowNumber, { ...(no !== undefined && { no }), firstCell: cell.address });
      return;
    }
  });
  const metaNos = new Set(meta.items.map((entry) => entry.no));
  const rowsOf = new Map<number, number[]>();
  for (const [row, { no }] of tableRows) if (no !== undefined && metaNos.has(no)) rowsOf.set(no, [...(rowsOf.get(no) ?? []), row]);

  const found = new Map<number, number>();
  const claimed = new Set<number>();
  const claim = (no: number, row: number) => {
    found.set(no, row);
    claimed.add(row);
  };
  for (const entry of meta.items) if (rowsOf.get(entry.no)?.includes(entry.row)) claim(entry.no, entry.row);
  for (const entry of meta.items) {
    if (found.has(entry.no)) continue;
    const elsewhere = rowsOf.get(entry.no)?.find((row) => !claimed.has(row));
    if (elsewhere !== undefined) claim(entry.no, elsewhere);
  }
  for (const entry of meta.items) {
    if (found.has(entry.no) || claimed.has(entry.row)) continue;
    const there = tableRows.get(entry.row);
    if (there && (there.no === undefined || !metaNos.has(there.no))) claim(entry.no, entry.row);
  }

  const written = [...meta.items].sort((a, b) => a.row - b.row);
  const gone = written.filter((entry) => !found.has(entry.no));
  const goneRows = new Set(gone.map((entry) => entry.row));
  // The table has no blank row: one among the items was added, unless it is an item's own row emptied.
  const lastItemRow = Math.max(0, ...found.values());
  const blank: number[] = [];
  for (let row = FIRST_ITEM_ROW; row < lastItemRow; row++) if (!tableRows.has(row) && !goneRows.has(row)) blank.push(row);
  const added = [...[...tableRows.keys()].filter((row) => !claimed.has(row)), ...blank];

  const problems: Array<{ row: number; problem: ReturnProblem }> = [];
  // Rows added together (a pasted block, a note under the table) are one problem.
  for (const [first, last] of runsOf(added)) problems.push({ row: first, problem: sheetCellProblem(P.addedRow, tableRows.get(first)?.firstCell ?? `A${first}`, first, last) });
  for (const entry of gone) problems.push({ row: entry.row, problem: itemProblem(P.deletedRow, entry.no, entry.row) });
  // Rows that kept their order among themselves did not move, whatever was added or removed above them.
  const present = written.filter((entry) => found.has(entry.no)).sort((a, b) => found.get(a.no)! - found.get(b.no)!);
  const kept = longestOrderedRun(present.map((entry) => entry.row), present.map((entry) => found.get(entry.no) === entry.row));
  const moved = (entry: SheetMetadata['items'][number]) => {
    const row = found.get(entry.no)!;
    problems.push({ row, problem: cellProblem(P.movedRow, { cell: `A${row}`, no: entry.no }, entry.row, row) });
  };
  present.forEach((entry, i) => kept.has(i) || moved(entry));
  // A shift nothing above explains (no row added or gone was found) is named as the move it is.
  if (problems.length === 0) present.filter((entry) => found.get(entry.no) !== entry.row).forEach(moved);
  return {
    inPlace: new Set(meta.items.filter((entry) => found.get(entry.no) === entry.row).map((entry) => entry.no)),
    problems: problems.sort((a, b) => a.row - b.row).map(({ problem }) => problem),
  };
}

/**
 * The prefilled (locked) cells of an item's row against what was sent: the fingerprint says
 * whether anything changed, and the plan item sent names the cell and its original value.
 */
function prefilledProblems(sheet: ExcelJS.Worksheet, layout: SheetLayout, entry: SheetMetadata['items'][number], sent: SheetItem): ReturnProblem[] {
  const columns = layout.columns.map((_, i) => i + 1).filter((column) => !isInputColumn(layout, column));
  const cells = columns.map((column) => sheet.getCell(entry.row, column));
  if (itemFingerprint(cells.map((cell) => comparable(cell.value))) === entry.fingerprint) return [];
  const originals = prefilledTexts(layout, sent.item);
  return cells.flatMap((cell, i) => {
    const original = originals[i]!;
    if (comparable(cell.value) === original.trim().replace(/\r\n?/g, '\n')) return [];
    const header = columnHeader(layout.columns[columns[i]! - 1]!);
    return [cellProblem(P.prefilledChanged, { cell: cell.address, no: entry.no }, header, original, shownCell(cell.value))];
  });
}

/**
 * Reads a return sheet written by `writeReturnSheet` and filled in by the division. Only cell
 * values are read, never styles, so a sheet re-saved by another spreadsheet program reads the same.
 * This parses the whole workbook in memory: a file from outside goes through `readReturnFile`,
 * which checks it first and runs this in a process of its own.
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
  if (!metaSheet) return refused([fileProblem(looksLikeReturnSheet(workbook) ? P.missingMetaSheet : P.otherForm)]);
  const meta = readMetadataSheet(metaSheet);
  if (!meta) return refused([fileProblem(P.changedMetaSheet)]);
  const identity = identityProblems(meta, expected);
  if (identity.length > 0) return refused(identity);

  const layout = sheetLayout({ ...meta, definition: expected.definition });
  const sheet = workbook.getWorksheet(ANSWER_SHEET);
  if (!sheet) {
    const renamed = workbook.worksheets.find((other) => other !== metaSheet && headerMatches(other, layout));
    return refused([renamed ? fileProblem(P.renamedSheet, ANSWER_SHEET, renamed.name) : fileProblem(P.missingSheet, ANSWER_SHEET)]);
  }
  const sent = new Map(expected.items.map((entry) => [entry.item.no, entry]));
  if (!metadataAgrees(meta, layout, sent)) return refused([fileProblem(P.changedMetaSheet)]);
  // A column added, removed or moved shifts every cell after it: that one problem, not one per cell.
  const header = headerProblems(sheet, layout);
  if (header.length > 0) return refused(header);

  const placement = placeRows(sheet, layout, meta);
  const problems: ReturnProblem[] = [...placement.problems];
  const answers: ReturnAnswer[] = [];
  const written = new Map(meta.items.map((entry) => [entry.no, entry]));
  const answerItems = new Set(expected.items.filter((entry) => entry.role === 'answer').map((entry) => entry.item.no));
  for (const no of [...new Set([...written.keys(), ...answerItems])].sort((a, b) => a - b)) {
    const entry = written.get(no);
    if (entry === undefined) {
      problems.push(itemProblem(P.missingItemRow, no));
      continue;
    }
    // A row that is gone or moved is already named; its cells are not where the metadata says.
    if (!placement.inPlace.has(no)) continue;
    problems.push(...prefilledProblems(sheet, layout, entry, sent.get(no)!));
    if (!answerItems.has(no)) continue;
    const reading = readAnswerRow(sheet, expected.definition, layout, no, entry.row);
    problems.push(...reading.problems);
    if (reading.answer) answers.push(reading.answer);
  }
  return problems.length > 0 ? { ...refused(problems), drafts: answers } : { ok: true, problems, answers };
}
