import { ARAO_COLLECTION } from '../domain/arao-collection';
import type { CollectionDefinition } from '../domain/collection-definition';
import { type DivisionDirectory, findDivision, divisionById } from '../domain/division-directory';
import { z } from 'zod';
import { canonicalPlan, Municipality, Plan, type PlanItem, PlanPeriod, samePlanContent } from '../domain/plan';
import { readScheduleEntry, type ScheduleEntry } from '../domain/schedule';
import type { Finding } from './findings';
import { stops } from './findings';
import { groupRows } from './merged-labels';
import type { Overrides } from './overrides';
import { readCsv } from './plan-csv';
import { readPlanTable } from './plan-table';
import { readPlanWorkbook } from './plan-workbook';
import { parseSeedText, type SeedTable, showCells } from './seed-text';

export type SourceFormat = 'text' | 'csv' | 'xlsx' | 'json';

/** What a CSV plan table cannot carry: whose plan it is and its period. */
export const PlanInfo = z.strictObject({ municipality: Municipality, title: z.string().min(1), period: PlanPeriod });
export type PlanInfo = z.infer<typeof PlanInfo>;

export interface ImportOptions {
  overrides: Overrides;
  directory: DivisionDirectory;
  /** The master in use, if any: an unchanged import keeps its version, a changed one raises it. */
  current?: Plan;
  /** What a table (CSV or xlsx) is read as; else the one an xlsx carries, the master in use's, Arao's. */
  definition?: CollectionDefinition;
  /** Whose plan a CSV is and its period; else the master in use's. */
  info?: PlanInfo;
}

export interface ImportOutcome {
  format?: SourceFormat;
  /** Set only when nothing stops the import. */
  plan?: Plan;
  findings: Finding[];
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/**
 * Reads a plan master from the seed table's text, from a workbook made by `plan export`, or
 * from a plan master JSON (`plan show --json`, or a copy kept elsewhere).
 */
export async function importPlan(data: Buffer, options: ImportOptions): Promise<ImportOutcome> {
  if (data.length === 0 || /^[\s\u3000\uFEFF]*$/.test(data.toString('utf8'))) {
    return { findings: [{ severity: 'error', code: 'empty-file', message: 'ファイルが空です' }] };
  }
  let format: SourceFormat;
  let outcome: { plan?: Plan; findings: Finding[] };
  if (data.subarray(0, 4).equals(ZIP_MAGIC)) {
    format = 'xlsx';
    outcome = await readPlanWorkbook(data, options.definition, options.current?.definition ?? ARAO_COLLECTION);
  } else if (/^\uFEFF?\s*\{/.test(data.toString('utf8', 0, 64))) {
    format = 'json';
    outcome = readPlanJson(data);
  } else if (looksLikeCsv(data)) {
    format = 'csv';
    outcome = readPlanCsv(data, options);
  } else {
    format = 'text';
    outcome = readSeedText(data, options);
  }
  const { findings } = outcome;
  if (!outcome.plan || stops(findings)) return { format, findings };
  checkDivisions(outcome.plan, options.directory, findings);
  if (stops(findings)) return { format, findings };
  return { format, plan: versioned(outcome.plan, options.current, findings), findings };
}

function decodeText(data: Buffer, findings: Finding[]): string | undefined {
  if (data[0] === 0xff && data[1] === 0xfe) return new TextDecoder('utf-16le').decode(data.subarray(2));
  if (data[0] === 0xfe && data[1] === 0xff) return new TextDecoder('utf-16be').decode(data.subarray(2));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(data);
  } catch {
    // Japanese offices still save text as Shift_JIS (CP932); it is read, and the report says so.
  }
  try {
    const text = new TextDecoder('shift_jis', { fatal: true }).decode(data);
    findings.push({ severity: 'info', code: 'encoding-shift-jis', message: 'ファイルは Shift_JIS で書かれていたため、Shift_JIS として読みました' });
    return text;
  } catch {
    findings.push({ severity: 'error', code: 'unknown-encoding', message: 'ファイルの文字コードが UTF-8 でも Shift_JIS でもありません（Excel の .xls など、別の形式のファイルではありませんか）' });
    return undefined;
  }
}

/** A plan table as CSV starts with its header row, and that with 整理番号 (in UTF-8 or CP932). */
function looksLikeCsv(data: Buffer): boolean {
  const utf8 = data.toString('utf8', 0, 64).replace(/^\uFEFF/, '');
  const cp932 = new TextDecoder('shift_jis').decode(data.subarray(0, 64));
  return [utf8, cp932].some((text) => /^"?整理番号"?,/.test(text));
}

function readPlanCsv(data: Buffer, options: ImportOptions): { plan?: Plan; findings: Finding[] } {
  const findings: Finding[] = [];
  const text = decodeText(data, findings);
  if (text === undefined) return { findings };
  const info = options.info ?? options.current;
  if (!info) {
    findings.push({ severity: 'error', code: 'missing-plan-info', message: 'CSV には自治体・計画名・計画期間が書かれていません。--info で計画情報の JSON ファイル（plan init で書き出されます）を指定してください' });
    return { findings };
  }
  const csv = readCsv(text.replace(/^\uFEFF/, ''));
  if ('message' in csv) return { findings: [...findings, { severity: 'error', code: 'bad-csv', line: csv.line, message: csv.message }] };
  const trimmed = (cells: readonly string[]) => {
    const out = cells.map((cell) => cell.trim());
    while (out.at(-1) === '') out.pop();
    return out;
  };
  const [header = [], ...rows] = csv.rows.map(trimmed);
  const width = Math.max(header.length, ...rows.map((row) => row.length));
  const definition = options.definition ?? options.current?.definition ?? ARAO_COLLECTION;
  const read = readPlanTable(
    [...header, ...Array<string>(width - header.length).fill('')],
    rows.map((cells, i) => ({ line: i + 2, cells })),
    info.period,
    definition,
  );
  findings.push(...read.findings);
  if (!read.table) return { findings };
  const plan: Plan = {
    municipality: info.municipality,
    title: info.title,
    version: options.current?.version ?? 1,
    period: info.period,
    definition,
    ...read.table,
  };
  return { plan, findings };
}

function readPlanJson(data: Buffer): { plan?: Plan; findings: Finding[] } {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    return { findings: [{ severity: 'error', code: 'bad-json', message: `計画マスタの JSON として読めません: ${(err as Error).message}` }] };
  }
  const parsed = Plan.safeParse(json);
  if (parsed.success) return { plan: parsed.data, findings: [] };
  return {
    findings: parsed.error.issues.map((issue) => {
      const [key, index] = issue.path;
      const no = key === 'items' && typeof index === 'number' ? (json as { items: Array<{ no?: unknown }> }).items[index]?.no : undefined;
      return { severity: 'error', code: 'bad-plan-json', no: typeof no === 'number' ? no : undefined, message: `計画マスタの ${issue.path.join('.')} が正しくありません: ${issue.message}` };
    }),
  };
}

function readSeedText(data: Buffer, options: ImportOptions): { plan?: Plan; findings: Finding[] } {
  const findings: Finding[] = [];
  const text = decodeText(data, findings);
  if (text === undefined) return { findings };
  const parsed = parseSeedText(text);
  findings.push(...parsed.findings);
  if (!parsed.table || stops(findings)) return { findings };
  const { overrides } = options;
  const known = new Set(parsed.table.rows.map((r) => String(r.no)));
  for (const no of [...Object.keys(overrides.items), ...Object.keys(overrides.loneLabels)]) {
    if (!known.has(no)) findings.push({ severity: 'error', code: 'override-unknown-item', no: Number(no), message: `overrides ファイルに、表にない整理番号${no}があります` });
  }
  if (!overrides.plan) {
    findings.push({
      severity: 'decision',
      code: 'missing-municipality',
      message: '表には自治体と計画名が書かれていません。overrides ファイルに "plan": { "municipality": { "id": "arao", "name": "荒尾市" }, "title": "行政改革実施計画" } のように書いてください',
    });
  }
  const grouping = groupRows(parsed.table.rows, overrides, findings);
  const items = buildItems(parsed.table, grouping, overrides, findings);
  if (!overrides.plan || !grouping || stops(findings)) return { findings };
  const { columns } = parsed.table;
  const plan: Plan = {
    municipality: overrides.plan.municipality,
    title: overrides.plan.title,
    version: 1,
    period: { from: columns.scheduleYears[0]!, to: columns.scheduleYears[columns.scheduleYears.length - 1]! },
    definition: ARAO_COLLECTION,
    fieldYears: { statusText: [columns.statusTextYear], marks: columns.markYears },
    items,
  };
  return { plan, findings };
}

function buildItems(table: SeedTable, grouping: ReturnType<typeof groupRows>, overrides: Overrides, findings: Finding[]): PlanItem[] {
  const { columns } = table;
  return table.rows.map((row, i) => {
    const override = overrides.items[String(row.no)];
    const settledBy = (what: string) =>
      findings.push({ severity: 'info', code: 'override-applied', no: row.no, line: row.line, message: `${what}を overrides で決めました（${override!.reason}）` });
    let area = grouping?.[i]?.area ?? '';
    let policy = grouping?.[i]?.policy ?? '';
    if (override?.area !== undefined) {
      area = override.area;
      settledBy(`基本方針「${area}」`);
    }
    if (override?.policy !== undefined) {
      policy = override.policy;
      settledBy(`施策「${policy}」`);
    }

    let schedule: ScheduleEntry[] | undefined = row.schedule;
    if (override?.schedule) {
      if (override.schedule.length !== columns.scheduleYears.length) {
        findings.push({ severity: 'error', code: 'override-invalid', no: row.no, message: `overrides の schedule は${columns.scheduleYears.length}年度分（${columns.scheduleYears.join('、')}）必要です` });
      }
      schedule = override.schedule.map((c) => readScheduleEntry(c) ?? '');
      settledBy(`スケジュール（${showCells(schedule)}）`);
    } else if (!schedule) {
      findings.push({
        severity: 'decision',
        code: 'schedule-ambiguous',
        no: row.no,
        line: row.line,
        message: `スケジュールのセルが${row.scheduleCells.length}個（${showCells(row.scheduleCells)}）あり、余分な「→」を除いても計画として読めません。overrides ファイルの items に "${row.no}": { "schedule": [${columns.scheduleYears.map((y) => `"${y}の値"`).join(', ')}], "reason": "…" } と書いて決めてください`,
      });
    }

    let divisions = row.divisions;
    if (override?.divisions) {
      divisions = override.divisions;
      settledBy(`担当課（${divisions.join('、')}）`);
    } else if (divisions.length === 0) {
      findings.push({
        severity: 'decision',
        code: 'missing-division',
        no: row.no,
        line: row.line,
        message: `担当課の記載がありません。overrides ファイルの items に "${row.no}": { "divisions": ["担当課名"], "reason": "…" } と書いて決めてください`,
      });
    }

    return {
      no: row.no,
      area,
      policy,
      initiative: row.initiative,
      overview: row.overview,
      schedule: Object.fromEntries(columns.scheduleYears.map((y, j) => [y, schedule?.[j] ?? ''])),
      values: {
        statusText: { [columns.statusTextYear]: row.statusText },
        marks: Object.fromEntries(columns.markYears.map((y, j) => [y, row.marks[j]!])),
      },
      leadDivision: divisions[0] ?? '',
      coDivisions: divisions.slice(1),
    };
  });
}

/** Every division an item names must be in the directory, as a division or a group. */
function checkDivisions(plan: Plan, directory: DivisionDirectory, findings: Finding[]): void {
  const groupItems = new Map<string, number[]>();
  for (const item of plan.items) {
    for (const name of [item.leadDivision, ...item.coDivisions]) {
      const ref = findDivision(directory, name);
      if (!ref) {
        findings.push({ severity: 'error', code: 'unknown-division', no: item.no, message: `担当課「${name}」が課の名簿（第${directory.version}版）にありません。名前を確かめるか、名簿に加えてください` });
      } else if (ref.kind === 'group') {
        groupItems.set(ref.group.name, [...(groupItems.get(ref.group.name) ?? []), item.no]);
      }
    }
  }
  for (const [name, nos] of groupItems) {
    const group = directory.groups.find((g) => g.name === name)!;
    const members = group.members.map((id) => divisionById(directory, id).name).join('、');
    findings.push({
      severity: 'info',
      code: 'division-group',
      no: nos[0],
      message: `「${name}」（整理番号${nos.join('、')}）は課ではなく課のグループです。取りまとめ役は${divisionById(directory, group.coordinator).name}、構成は${members}です`,
    });
  }
}

function versioned(plan: Plan, current: Plan | undefined, findings: Finding[]): Plan {
  const parsed = Plan.safeParse(plan);
  if (!parsed.success) {
    // The readers build plans that satisfy the schema; reaching here is a defect, not bad input.
    throw new Error(`import produced an invalid plan: ${parsed.error.message}`);
  }
  let version = parsed.data.version;
  if (current && current.municipality.id === plan.municipality.id) {
    version = samePlanContent(current, parsed.data) ? current.version : Math.max(current.version + 1, version);
    findings.push({
      severity: 'info',
      code: 'version',
      message: version === current.version ? `使用中の計画（第${current.version}版）と内容が同じため、版は変えません` : `使用中の計画（第${current.version}版）から内容が変わったため、第${version}版とします`,
    });
  }
  return canonicalPlan({ ...parsed.data, version });
}
