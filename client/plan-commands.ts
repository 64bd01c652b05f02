import { basename, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { readInputFile } from './read-input';
import { findDivision } from '../domain/division-directory';
import { serializePlan } from '../domain/plan';
import { stops } from '../master/findings';
import { importPlan } from '../master/import';
import { renderImportReport } from '../master/import-report';
import { NO_OVERRIDES, Overrides } from '../master/overrides';
import { writePlanCsv } from '../master/plan-csv';
import { itemsOfDivision, renderPlan } from '../master/plan-view';
import { writePlanWorkbook } from '../master/plan-workbook';
import { DivisionDirectory } from '../domain/division-directory';
import { dataDir, loadDirectory, loadPlan, PLAN_KEY, readJsonFile, saveDirectory, savePlan, savePlanFile, UserError, writeFileAtomic } from '../store/master-files';
import { openStore } from '../store/open-store';

/** Resolves a division given by id or Japanese name, as every command that takes one does. */
export function resolveDivisionArg(directory: DivisionDirectory, value: string): string {
  const ref = findDivision(directory, value);
  if (!ref) throw new UserError(`課「${value}」が課の名簿（第${directory.version}版）にありません（ID でも名前でも指定できます）`);
  if (ref.kind === 'group') throw new UserError(`「${value}」は課のグループです。グループに属する課を ID か名前で指定してください`);
  return ref.division.id;
}

interface ImportOpts {
  overrides?: string;
  directory?: string;
  out?: string;
}

async function runImport(file: string, opts: ImportOpts): Promise<void> {
  const dir = dataDir();
  const store = openStore(dir);
  const source = await readInputFile(file);
  const overrides = opts.overrides ? await readJsonFile(opts.overrides, Overrides, 'overrides ファイル') : NO_OVERRIDES;
  const inUse = await loadDirectory(store);
  const { directory, source: usedDirectory } = opts.directory
    ? { directory: await readJsonFile(opts.directory, DivisionDirectory, '課の名簿'), source: opts.directory }
    : inUse;
  // Versions count changes to the master in use; a plan written elsewhere starts its own count.
  const master = opts.out ? undefined : await loadPlan(store);
  const current = master?.version !== undefined ? master.plan : undefined;
  const outcome = await importPlan(source, { overrides, directory, current });
  const context = { source: file, overrides: opts.overrides, directory: usedDirectory };
  const target = opts.out ? resolve(opts.out) : `${store.location}: ${PLAN_KEY}`;

  if (!outcome.plan || stops(outcome.findings)) {
    process.stderr.write(renderImportReport(outcome, context));
    throw new UserError('取込を中止しました。上の「エラー」「要判断」を直してから、もう一度実行してください。');
  }
  const reportPath = opts.out ? `${target}.report.md` : join(dir, 'plan', 'import-report.md');
  const report = renderImportReport(outcome, { ...context, written: target });
  // Over the versions read: an import racing a close (which raises the master's version) is refused, not lost.
  if (opts.out) await savePlanFile(target, outcome.plan);
  else await savePlan(store, outcome.plan, master?.version);
  if (opts.directory && !opts.out) await saveDirectory(store, directory, inUse.version);
  await writeFileAtomic(reportPath, report);
  process.stdout.write(report);
  process.stdout.write(`\n取込結果を ${reportPath} に保存しました。\n`);
}

async function runExport(opts: { format: 'xlsx' | 'csv'; out?: string }): Promise<void> {
  const { plan } = await loadPlan(openStore(dataDir()));
  const content = opts.format === 'xlsx' ? await writePlanWorkbook(plan) : writePlanCsv(plan);
  if (opts.out === '-') {
    process.stdout.write(content);
    return;
  }
  const out = resolve(opts.out ?? `${plan.municipality.id}-plan-v${plan.version}.${opts.format}`);
  await writeFileAtomic(out, content);
  process.stdout.write(`計画マスタ（第${plan.version}版、${plan.items.length}項目）を ${basename(out)} に書き出しました: ${out}\n`);
}

async function runShow(opts: { json?: boolean; division?: string }): Promise<void> {
  const dir = dataDir();
  const { plan } = await loadPlan(openStore(dir));
  let items = plan.items;
  if (opts.division) {
    const { directory } = await loadDirectory(openStore(dir));
    items = itemsOfDivision(plan, directory, resolveDivisionArg(directory, opts.division));
  }
  process.stdout.write(opts.json ? serializePlan({ ...plan, items }) : renderPlan(plan, items));
}

/** Adds `plan import|export|show` under the program, inheriting its error handling. */
export function addPlanCommands(program: Command): void {
  const plan = program.command('plan').description('the plan master: the plan items and who answers for them');
  plan
    .command('import')
    .description('read the status table (text from the PDF, or an .xlsx from `plan export`) into the plan master')
    .argument('<file>', 'status table text or plan .xlsx')
    .option('--overrides <file>', 'JSON file with the decisions the table cannot tell by itself')
    .option('--directory <file>', 'division directory to check the divisions against (default: the one in use)')
    .option('--out <file>', 'write the plan master to this file instead of the one in use (plan/plan.json in the run store)')
    .action(runImport);
  plan
    .command('export')
    .description('write the plan master as a table the reform office can edit in Excel')
    .addOption(new Option('--format <format>', 'table format').choices(['xlsx', 'csv']).makeOptionMandatory())
    .option('--out <file>', 'output file, or - for standard output (default: <municipality>-plan-v<version>.<format>)')
    .action(runExport);
  plan
    .command('show')
    .description('print the plan items grouped by area and policy, with divisions and past marks')
    .option('--json', 'print the plan master JSON instead')
    .option('--division <division>', 'only the items of this division (id or Japanese name)')
    .action(runShow);
}
