import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { archiveCycle, CycleNotFinished, isArchive, isFolder } from '../audit/archive';
import { type CycleHistories, fetchCycleHistories, readArchivedHistories } from '../audit/histories';
import { replayCycle } from '../audit/replay';
import { createSigningKey, keyFingerprint, loadPublicKey, loadSigningKey, publicKeyPath, signingKeyPath } from '../audit/signing-key';
import { buildTrail, trailCsv, trailWorkbook } from '../audit/trail';
import { verifyArchive } from '../audit/verify';
import { cycleId } from '../domain/workflow-ids';
import { dataDir, loadPlan, UserError } from '../store/master-files';
import { targetCycle, withClient, yearArg } from './cycle-target';
import { openStore } from '../store/open-store';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** An archive folder, a cycle id (`cycle-arao-R4`) or a fiscal year (`R4`) of the plan in use. */
async function cycleHistories(target: string): Promise<CycleHistories> {
  if (await isFolder(target)) {
    if (!isArchive(target)) throw new UserError(`${target} は torimatome のアーカイブではありません（manifest.json がありません）。`);
    return readArchivedHistories(target);
  }
  const dir = dataDir();
  const id = target.startsWith('cycle-') ? target : cycleId((await loadPlan(openStore(dir))).plan.municipality.id, yearArg(target));
  return withClient(async (client) => {
    try {
      return await fetchCycleHistories(client, id);
    } catch (err) {
      // fetchHistory answers a gRPC NOT_FOUND (5), not the SDK's WorkflowNotFoundError.
      if (err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === 5)) throw new UserError(`Temporal に ${id} の履歴がありません。保存期間を過ぎた照会は、アーカイブのフォルダを指定してください。`);
      throw err;
    }
  });
}

async function runKeygen(opts: { force?: boolean }): Promise<void> {
  const dir = dataDir();
  const existing = signingKeyPath(dir);
  if (!opts.force && existsSync(existing)) {
    throw new UserError(`署名鍵はすでにあります: ${existing}（作り直すと、それまでのアーカイブは新しい公開鍵では検証できません。--force で作り直します）`);
  }
  const { privatePath, publicPath } = await createSigningKey(dir);
  say(`署名鍵を作りました: ${privatePath}（行革担当課で保管してください）`);
  say(`公開鍵: ${publicPath}（${keyFingerprint(await loadPublicKey(publicPath))}。監査人に渡してください）`);
}

async function runArchive(opts: { year?: string; out?: string }): Promise<void> {
  await withClient(async (client, dir) => {
    const id = await targetCycle(client, dir, opts.year, { orLatestClosed: true });
    let shown = 0;
    try {
      const { dir: archived, manifest, created } = await archiveCycle(client, {
        dataDir: dir,
        cycleId: id,
        signingKey: await loadSigningKey(dir),
        outDir: opts.out,
        progress: (done, total) => {
          if (done === total || done - shown >= 50) say(`  書き出しています: ${(shown = done)} / ${total ?? '…'}`);
        },
      });
      say(`${created ? 'アーカイブしました' : 'アーカイブはすでにあります'}: ${archived}（${manifest.entries.length}ファイル、署名 ${manifest.signedBy}）`);
    } catch (err) {
      if (err instanceof CycleNotFinished) throw new UserError(`${id} はまだ終わっていないワークフローがあるため、アーカイブできません（${err.running.length}件）。cycle close の後にもう一度実行してください。`);
      throw err;
    }
  });
}

async function runVerify(archive: string, opts: { publicKey?: string }): Promise<void> {
  if (!isArchive(archive)) throw new UserError(`${archive} は torimatome のアーカイブではありません（manifest.json がありません）。`);
  const key = await loadPublicKey(opts.publicKey ?? publicKeyPath(dataDir()));
  const result = await verifyArchive(archive, key);
  say(result.signatureValid ? `署名: 正しい（${keyFingerprint(key)}）` : `署名: 正しくありません（manifest.json が書き換えられたか、別の鍵で署名されています。検証に使った鍵: ${keyFingerprint(key)}）`);
  for (const path of result.changed) say(`  変更: ${path}`);
  for (const path of result.added) say(`  追加: ${path}`);
  for (const path of result.removed) say(`  削除: ${path}`);
  if (!result.ok) throw new UserError(`アーカイブ ${archive} は改変されています。`);
  say(`アーカイブ ${archive} は作成時のままです。`);
}

async function runReplay(target: string): Promise<void> {
  const cycle = await cycleHistories(target);
  const outcomes = await replayCycle(cycle);
  for (const o of outcomes) {
    say(o.ok ? `  再実行できました: ${o.workflowId}` : `  非決定性: ${o.workflowId}（イベント ${o.eventId ?? '不明'}）: ${o.error}`);
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  if (failed > 0) throw new UserError(`${cycle.cycleId}: ${outcomes.length}件中${failed}件のワークフローが現在のコードで再実行できません。`);
  say(`${cycle.cycleId}: ${outcomes.length}件のワークフローすべてが現在のコードで再実行できました。`);
}

async function runTrail(target: string, opts: { out?: string }): Promise<void> {
  const entries = buildTrail(await cycleHistories(target));
  if (!opts.out) {
    process.stdout.write(trailCsv(entries));
    return;
  }
  const format = extname(opts.out).toLowerCase();
  if (format !== '.xlsx' && format !== '.csv') throw new UserError(`--out は .xlsx か .csv のファイル名にしてください: ${opts.out}`);
  await writeFile(resolve(opts.out), format === '.xlsx' ? await trailWorkbook(entries) : trailCsv(entries));
  say(`監査証跡を書き出しました: ${opts.out}（${entries.length}件）`);
}

export function addAuditCommands(program: Command): void {
  const audit = program.command('audit').description("auditors' tools: archive a closed cycle, verify an archive, replay it, read its trail");
  audit.command('keygen').description("make the reform office's Ed25519 key that signs archives").option('--force', 'replace an existing key').action(runKeygen);
  audit
    .command('archive')
    .description("archive a closed cycle: every history, every file they reference, a signed manifest")
    .option('--year <year>', 'fiscal year of the cycle (default: the open or latest one)')
    .option('--out <dir>', 'archive folder (default: <data dir>/archive/<cycle id>)')
    .action(runArchive);
  audit
    .command('verify')
    .description('check an archive against its signed manifest')
    .argument('<archive>', 'archive folder')
    .option('--public-key <pem>', "the reform office's public key (default: <data dir>/audit-public-key.pem)")
    .action(runVerify);
  audit.command('replay').description("replay each history against today's workflow code").argument('<target>', 'archive folder, cycle id or fiscal year').action(runReplay);
  audit
    .command('trail')
    .description('the timeline of each division, from the histories alone')
    .argument('<target>', 'archive folder, cycle id or fiscal year')
    .option('--out <file>', 'write .xlsx or .csv (default: CSV on standard output)')
    .action(runTrail);
}
