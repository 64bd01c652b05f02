import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { planBeforeYear } from '../domain/cycle';
import { cycleId } from '../domain/workflow-ids';
import { DivisionDirectory } from '../domain/division-directory';
import { fieldValue, Plan } from '../domain/plan';
import { dataDir, PLAN_KEY, savePlan, SEEDS_DIR, UserError } from '../store/master-files';
import { openStore } from '../store/open-store';
import { hasSnapshot } from '../store/snapshot';
import { fillReturnSheet } from '../sheets/fill-return-sheet';
import type { EmbeddedService } from '../stack/embedded-service';
import { startEmbeddedService } from './embedded-service';
import { readRunInfo } from '../stack/run-file';
import { readSentMail } from '../stack/sent-mail';

const YEAR = 'R4';
const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Each step is the `torimatome` command a person would type, run as its own process against
 * the service in run.json; the operator's TEMPORAL_ADDRESS and SMTP_URL are not passed on, so
 * the demo never reaches a real cluster or a real mailbox.
 */
async function step(dir: string, ...args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, TORIMATOME_DATA_DIR: dir, TORIMATOME_ACTOR: process.env.TORIMATOME_ACTOR ?? '実演' };
  delete env.TEMPORAL_ADDRESS;
  delete env.SMTP_URL;
  say(`$ torimatome ${args.join(' ')}`);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, 'bin.cjs'), ...args], { env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
}

async function runDemo(): Promise<void> {
  const dir = dataDir();
  const seedPlan = Plan.parse(JSON.parse(await readFile(join(SEEDS_DIR, 'plan.json'), 'utf8')));
  const id = cycleId(seedPlan.municipality.id, YEAR);
  if (await hasSnapshot(openStore(dir), id)) {
    throw new UserError(`このデータディレクトリ（${dir}）では ${id} がすでに実行されています。空のデータディレクトリで実行してください（例: TORIMATOME_DATA_DIR=./demo-data npm run demo）。`);
  }
  if (await openStore(dir).version(PLAN_KEY)) {
    throw new UserError(`データディレクトリ（${dir}）にすでに計画マスタがあります。実演は空のデータディレクトリで実行してください（例: TORIMATOME_DATA_DIR=./demo-data npm run demo）。`);
  }
  let embedded: EmbeddedService | undefined;
  if (!(await readRunInfo(dir))) {
    say('サービスが動いていないため、組み込みのサービスを起動します…');
    embedded = await startEmbeddedService(dir, { ui: false, log: (line) => say(`  ${line}`) });
  }
  try {
    say(`R4（令和4年度）の照会を、返ってきた回答がまだない状態の計画マスタから実演します。データ: ${dir}`);
    await savePlan(openStore(dir), planBeforeYear(seedPlan, YEAR), undefined);
    say(await step(dir, 'cycle', 'launch', '--year', YEAR, '--deadline', '2023-03-31'));

    const directory = DivisionDirectory.parse(JSON.parse(await readFile(join(SEEDS_DIR, 'divisions.json'), 'utf8')));
    const answer = (no: number) => {
      const item = seedPlan.items.find((i) => i.no === no);
      return item && { values: Object.fromEntries(seedPlan.definition.fields.map((field) => [field.id, fieldValue(seedPlan, item, field.id, YEAR)])) };
    };
    const filledDir = join(dir, 'demo', 'returns');
    await mkdir(filledDir, { recursive: true });
    for (const mail of await readSentMail(join(dir, 'mail', 'sent'))) {
      const division = directory.divisions.find((d) => d.contact === mail.to[0]);
      if (!division || !mail.subject.startsWith('【依頼】') || mail.attachments.length !== 1) continue;
      say(`${division.name}として、届いた様式に回答を入力して提出します。`);
      const filled = join(filledDir, `${division.id}.xlsx`);
      await writeFile(filled, await fillReturnSheet(mail.attachments[0]!.content, seedPlan.definition, YEAR, answer));
      say(await step(dir, 'submit', '--division', division.name, filled));
    }
    say(await step(dir, 'cycle', 'status'));
    say(await step(dir, 'cycle', 'close'));
    for (const format of ['xlsx', 'csv']) say(await step(dir, 'cycle', 'export', '--format', format, '--out', join(dir, 'demo', `${id}.${format}`)));
    say('実演が終わりました。');
    say(`  送ったメール:   ${join(dir, 'mail', 'sent')}`);
    say(`  取りまとめ表:   ${join(dir, 'demo', `${id}.xlsx`)}（CSV: ${join(dir, 'demo', `${id}.csv`)}）`);
  } finally {
    await embedded?.stop();
  }
}

export function addDemoCommand(program: Command): void {
  program.command('demo').description('run the whole R4 collection on the running service (or an embedded one), acting as the divisions').action(runDemo);
}
