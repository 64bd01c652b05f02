import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { type CollectionDefinition, CollectionDefinitionError, parseCollectionDefinition } from '../domain/collection-definition';
import { type Command, Option } from 'commander';
import { readInputFile } from './read-input';
import { findDivision } from '../domain/division-directory';
import { serializePlan } from '../domain/plan';
import { stops } from '../master/findings';
import { importPlan, PlanInfo } from '../master/import';
import { renderImportReport } from '../master/import-report';
import { NO_OVERRIDES, Overrides } from '../master/overrides';
import { writePlanCsv } from '../master/plan-csv';
import { itemsOfDivision, renderPlan } from '../master/plan-view';
import { writePlanWorkbook } from '../master/plan-workbook';
import { DivisionDirectory } from '../domain/division-directory';
import { dataDir, loadDirectory, loadPlan, PLAN_KEY, readJsonFile, saveDirectory, savePlan, savePlanFile, SEEDS_DIR, UserError, writeFileAtomic } from '../store/master-files';

const exists = (path: string) => stat(path).then(() => true, () => false);
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
  definition?: string;
  info?: string;
}

/** The examples `plan init` writes: each a definition, a plan table, its plan information and a division directory. */
const EXAMPLES_DIR = join(SEEDS_DIR, 'examples');
const EXAMPLE_FILES = ['definition.json', 'plan.csv', 'info.json', 'divisions.json'] as const;

/** A collection definition file, or every problem in it at once, each naming its place. */
async function readDefinitionFile(path: string): Promise<CollectionDefinition> {
  const json = await readJsonFile(path, z.unknown(), '照会様式の定義');
  try {
    return parseCollectionDefinition(json);
  } catch (err) {
    if (err instanceof CollectionDefinitionError) throw new UserError(`照会様式の定義（${path}）に誤りがあります。何も書き込んでいません:\n${err.problems.map((p) => `- ${p}`).join('\n')}`);
    throw err;
  }
}

async function runInit(opts: { example: string; out?: string }): Promise<void> {
  const names = (await readdir(EXAMPLES_DIR)).sort();
  if (!names.includes(opts.example)) throw new UserError(`例「${opts.example}」はありません（${names.join('、')} のどれか）`);
  const out = resolve(opts.out ?? opts.example);
  for (const file of EXAMPLE_FILES) {
    if (await exists(join(out, file))) throw new UserError(`${join(out, file)} が既にあります。上書きしないので、別の --out を指定してください`);
  }
  await mkdir(out, { recursive: true });
  for (const file of EXAMPLE_FILES) await copyFile(join(EXAMPLES_DIR, opts.example, file), join(out, file));
  process.stdout.write(
    [
      `例「${opts.example}」を ${out} に書き出しました: ${EXAMPLE_FILES.join('、')}`,
      '照会様式（definition.json）と計画の表（plan.csv、Excel で編集できます）を自分の市のものに直してから、取り込んでください:',
      `  torimatome plan import --definition ${join(out, 'definition.json')} --info ${join(out, 'info.json')} --directory ${join(out, 'divisions.json')} ${join(out, 'plan.csv')}`,
      '',
    ].join('\n'),
  );
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
  // Read before anything is written: a definition with a mistake stops the import here.
  const definition = opts.definition ? await readDefinitionFile(opts.definition) : undefined;
  const info = opts.info ? await readJsonFile(opts.info, PlanInfo, '計画情報') : undefined;
  const outcome = await importPlan(source, { overrides, directory, current, ...(definition && { definition }), ...(info && { info }) });
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
    .description('read the status table (text from the PDF, a plan table .csv, or an .xlsx from `plan export`) into the plan master')
    .argument('<file>', 'status table text, plan table .csv (UTF-8 or Shift_JIS) or plan .xlsx')
    .option('--overrides <file>', 'JSON file with the decisions the table cannot tell by itself')
    .option('--directory <file>', 'division directory to check the divisions against (default: the one in use)')
    .option('--out <file>', 'write the plan master to this file instead of the one in use (plan/plan.json in the run store)')
    .option('--definition <file>', "the collection definition (JSON) the table is read with (default: the one the .xlsx carries, the master in use's, Arao's)")
    .option('--info <file>', "for a CSV: the municipality, plan title and period as JSON (default: the master in use's)")
    .action(runImport);
  plan
    .command('init')
    .description('write an example collection definition, plan table, plan information and division directory to start from')
    .requiredOption('--example <name>', 'four-step (S/A/B/C with 効果額) or two-rating (着手状況・達成度 with a numeric goal)')
    .option('--out <dir>', 'directory to write into (default: ./<name>)')
    .action(runInit);
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
