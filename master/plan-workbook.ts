import ExcelJS from 'exceljs';
import { compareFiscalYearCodes, fiscalYearCode, parseFiscalYear } from '../domain/fiscal-year';
import { canonicalPlan, isAraoDefinition, Plan, PlanPeriod, Slug } from '../domain/plan';
import type { Finding } from './findings';
import { type CollectionDefinition, CollectionDefinitionError, parseCollectionDefinition } from '../domain/collection-definition';
import { Cell, formatPeriod, PlanColumn, planTable, readPlanTable, readPositiveInteger, TableRow, tableCellValue } from './plan-table';
import { readXlsxCell, xlsxText } from './xlsx-cell';

const TABLE_SHEET = '実施計画';
/** What the table cannot carry, one key/value row each. */
const INFO_SHEET = '計画情報';
const INFO_LABELS = {
  id: '自治体ID',
  name: '自治体名',
  title: '計画名',
  version: '版',
  period: '計画期間',
  /** The collection definition as JSON; left out for Arao's, the default. */
  definition: '照会様式の定義',
} as const;

// A fixed stamp, so that the same plan gives the same workbook content whenever it is exported.
const STAMP = new Date(Date.UTC(2000, 0, 1));
const AUTHOR = 'torimatome';

function columnLayout(column: PlanColumn): { width: number; wrap: boolean } {
  switch (column.kind) {
    case 'no':
      return { width: 8, wrap: false };
    case 'text':
      return { width: column.field === 'overview' ? 48 : 24, wrap: true };
    case 'schedule':
      return { width: 12, wrap: false };
    case 'answer':
      return column.field.kind === 'text' ? { width: 60, wrap: true } : { width: 12, wrap: false };
    case 'divisions':
      return { width: 24, wrap: true };
  }
}

function addTableSheet(workbook: ExcelJS.Workbook, plan: Plan): void {
  const { columns, header, rows } = planTable(plan);
  const sheet = workbook.addWorksheet(TABLE_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((column) => {
    const { width, wrap } = columnLayout(column);
    return { width, style: { alignment: { vertical: 'top', wrapText: wrap } } };
  });
  const headerRow = sheet.addRow(header);
  headerRow.font = { bold: true };
  headerRow.alignment = { vertical: 'middle', wrapText: true };
  for (const cells of rows) {
    sheet.addRow(cells.map((text, i) => tableCellValue(columns[i], text)));
  }
}

function addInfoSheet(workbook: ExcelJS.Workbook, plan: Plan): void {
  const sheet = workbook.addWorksheet(INFO_SHEET);
  sheet.columns = [{ width: 12, style: { font: { bold: true } } }, { width: 48 }];
  sheet.addRows([
    [INFO_LABELS.id, xlsxText(plan.municipality.id)],
    [INFO_LABELS.name, xlsxText(plan.municipality.name)],
    [INFO_LABELS.title, xlsxText(plan.title)],
    [INFO_LABELS.version, plan.version],
    [INFO_LABELS.period, formatPeriod(plan.period)],
    ...(isAraoDefinition(plan.definition) ? [] : [[INFO_LABELS.definition, xlsxText(JSON.stringify(plan.definition))]]),
  ]);
}

/** The plan as a workbook that people edit in Excel and `readPlanWorkbook` reads back. */
export async function writePlanWorkbook(plan: Plan): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = AUTHOR;
  workbook.lastModifiedBy = AUTHOR;
  workbook.created = STAMP;
  workbook.modified = STAMP;
  addTableSheet(workbook, plan);
  addInfoSheet(workbook, plan);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

function sheetRows(sheet: ExcelJS.Worksheet): TableRow[] {
  const rows: TableRow[] = [];
  sheet.eachRow((row, line) => {
    const cells: Cell[] = [];
    for (let column = 1; column <= row.cellCount; column++) cells.push(readXlsxCell(row.getCell(column).value));
    // Formatting alone makes cells that hold nothing.
    while (cells.at(-1) === '') cells.pop();
    rows.push({ line, cells });
  });
  return rows;
}

function readPeriod(text: string): PlanPeriod | undefined {
  const ends = text.split(/[〜～~]/);
  if (ends.length !== 2) return undefined;
  try {
    const [from, to] = ends.map((end) => fiscalYearCode(parseFiscalYear(end))) as [string, string];
    return compareFiscalYearCodes(from, to) <= 0 ? { from, to } : undefined;
  } catch {
    return undefined;
  }
}

const nonEmpty = (text: string): string | undefined => (text === '' ? undefined : text);

interface PlanInfo {
  id: string;
  name: string;
  title: string;
  version: number;
  period: PlanPeriod;
  definition?: CollectionDefinition;
}

/** The definition a workbook carries, with its problems as findings of its row. */
function readDefinitionCell(text: string, line: number): { definition?: CollectionDefinition; findings: Finding[] } {
  const fail = (message: string): Finding => ({ severity: 'error', code: 'bad-definition', line, message: `シート「${INFO_SHEET}」の「${INFO_LABELS.definition}」: ${message}` });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { findings: [fail(`JSON として読めません（${(err as Error).message}）`)] };
  }
  try {
    return { definition: parseCollectionDefinition(json), findings: [] };
  } catch (err) {
    if (!(err instanceof CollectionDefinitionError)) throw err;
    return { findings: err.problems.map(fail) };
  }
}

function readInfo(rows: readonly TableRow[]): { info?: PlanInfo; findings: Finding[] } {
  const findings: Finding[] = [];
  const fail = (message: string, line?: number) =>
    findings.push({ severity: 'error', code: 'bad-plan-info', ...(line !== undefined && { line }), message: `シート「${INFO_SHEET}」: ${message}` });
  const labels: readonly string[] = Object.values(INFO_LABELS);
  const entries = new Map<string, { text: string; line: number }>();
  for (const { line, cells } of rows) {
    const [key = '', value = ''] = cells;
    if (typeof key !== 'string') fail(key.message, line);
    else if (typeof value !== 'string') fail(`「${key}」: ${value.message}`, line);
    else if (key === '' && value === '') continue;
    else if (!labels.includes(key)) fail(`項目「${key}」は使えません（${labels.join('、')}）`, line);
    else if (entries.has(key)) fail(`項目「${key}」が重複しています`, line);
    else entries.set(key, { text: value, line });
  }
  const field = <T>(label: string, read: (text: string) => T | undefined, problem: (text: string) => string): T | undefined => {
    const entry = entries.get(label);
    if (!entry) {
      fail(`項目「${label}」がありません`);
      return undefined;
    }
    const value = read(entry.text);
    if (value === undefined) fail(problem(entry.text), entry.line);
    return value;
  };
  const id = field(INFO_LABELS.id, (t) => (Slug.safeParse(t).success ? t : undefined), (t) => `自治体ID「${t}」は英小文字で始まる英小文字・数字・ハイフンで書いてください（例: arao）`);
  const name = field(INFO_LABELS.name, nonEmpty, () => '自治体名が空です');
  const title = field(INFO_LABELS.title, nonEmpty, () => '計画名が空です');
  const version = field(INFO_LABELS.version, readPositiveInteger, (t) => `版「${t}」は正の整数ではありません`);
  const period = field(INFO_LABELS.period, readPeriod, (t) => `計画期間「${t}」が読めません（例: R1〜R5）`);
  const written = entries.get(INFO_LABELS.definition);
  const carried = written ? readDefinitionCell(written.text, written.line) : { findings: [] };
  findings.push(...carried.findings);
  if (findings.length > 0 || !id || !name || !title || !version || !period) return { findings };
  return { info: { id, name, title, version, period, ...(carried.definition && { definition: carried.definition }) }, findings };
}

const notXlsx: Finding = { severity: 'error', code: 'not-xlsx', message: 'Excelファイル（.xlsx）として読めません' };

/**
 * Reads a workbook written by `writePlanWorkbook` and edited by people. Gives a plan only
 * when nothing is wrong; division names are left for the caller to check. The definition given
 * wins over the one the workbook carries, which wins over `fallback`.
 */
export async function readPlanWorkbook(data: Buffer, given: CollectionDefinition | undefined, fallback: CollectionDefinition): Promise<{ plan?: Plan; findings: Finding[] }> {
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs types its input as its own ArrayBuffer-like `Buffer`; at run time JSZip takes a Node Buffer.
    await workbook.xlsx.load(data as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
  } catch {
    return { findings: [notXlsx] };
  }
  const infoSheet = workbook.getWorksheet(INFO_SHEET);
  const tableSheet = workbook.getWorksheet(TABLE_SHEET);
  if (!infoSheet || !tableSheet) {
    const missing = [tableSheet ? [] : [TABLE_SHEET], infoSheet ? [] : [INFO_SHEET]].flat();
    return {
      findings: missing.map((name) => ({ severity: 'error', code: 'missing-sheet', message: `シート「${name}」がありません` })),
    };
  }
  const { info, findings } = readInfo(sheetRows(infoSheet));
  if (!info) return { findings };
  const definition = given ?? info.definition ?? fallback;

  const rows = sheetRows(tableSheet);
  // Cells beyond the last header are data without a column; pad the header so they are reported.
  const width = Math.max(0, ...rows.map((row) => row.cells.length));
  const header = rows[0]?.line === 1 ? rows[0].cells : [];
  const paddedHeader = [...header, ...Array<Cell>(width - header.length).fill('')];
  const read = readPlanTable(paddedHeader, rows.filter((row) => row.line !== 1), info.period, definition);
  findings.push(...read.findings);
  if (!read.table) return { findings };
  const plan = Plan.parse({
    municipality: { id: info.id, name: info.name },
    title: info.title,
    version: info.version,
    period: info.period,
    definition,
    ...read.table,
  });
  return { plan: canonicalPlan(plan), findings };
}
