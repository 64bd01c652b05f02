import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycleKeys, readRef, storeFile, storeReceived } from '../../store/file-store';
import { localStore } from '../../store/local-store';
import { loadPlan, PLAN_KEY, savePlan } from '../../store/master-files';
import { migrateStore } from '../../store/migrate';
import { s3Store } from '../../store/s3-store';
import { loadSnapshot, takeSnapshot } from '../../store/snapshot';
import { torimatome } from '../support/cli';
import { useS3Server } from '../support/s3-bucket';

const CYCLE_ID = 'cycle-arao-R4';
const s3 = useS3Server();

const freshDir = () => mkdtempSync(join(tmpdir(), 'torimatome-migrate-'));

/** What a data directory holds after a cycle has run on it: run data, and what belongs to its machine. */
async function usedDataDir() {
  const dir = freshDir();
  const store = localStore(dir);
  const { plan } = await loadPlan(store);
  await savePlan(store, { ...plan, version: 2 }, undefined);
  const snapshot = await takeSnapshot(store, CYCLE_ID, 'arao', 'R4');
  const refs = [
    await storeFile(store, cycleKeys(CYCLE_ID).sheet('somu', 1), Buffer.from('the sheet sent to somu')),
    await storeReceived(store, Buffer.from('the return somu sent back'), 'xlsx'),
    await storeFile(store, 'inbound/mail/3f2a.eml', 'From: somu@city.arao.lg.jp\r\n\r\nreturn attached\r\n'),
  ];
  mkdirSync(join(dir, 'secrets'));
  writeFileSync(join(dir, 'secrets', 'token.key'), 'ab'.repeat(32));
  writeFileSync(join(dir, 'run.json'), '{"pid":1}\n');
  writeFileSync(join(dir, 'inbound', 'dropped.jsonl'), '{"reason":"outside-sender"}\n');
  // Left behind by a write that was cut off: never a file of the run data.
  writeFileSync(join(dir, 'cycles', CYCLE_ID, 'snapshot.json.123.abcd.tmp'), 'half a snapshot');
  const runData = [...refs.map((r) => r.path), cycleKeys(CYCLE_ID).snapshot, PLAN_KEY].sort();
  return { dir, store, snapshot, refs, runData };
}

describe('moving a data directory into a bucket', () => {
  it('copies every key of the run data unchanged, so old references, the snapshot and the plan resolve there', async () => {
    const { store, snapshot, refs, runData } = await usedDataDir();
    const bucket = s3Store((await s3.place()).settings);
    const progress: Array<[number, number]> = [];

    const report = await migrateStore(store, bucket, { onProgress: (done, total) => progress.push([done, total]) });

    expect(report).toEqual({ copied: runData.length, alreadyThere: 0, conflicts: [], bytes: expect.any(Number) });
    const sizes = await Promise.all(runData.map(async (key) => (await store.get(key))!.data.byteLength));
    expect(report.bytes).toBe(sizes.reduce((a, b) => a + b));
    expect(progress).toEqual(runData.map((_, i) => [i + 1, runData.length]));
    // Exactly the run data: no secret, no run file, no drop log, no temporary file.
    expect((await bucket.list('')).sort()).toEqual(runData);
    for (const ref of refs) expect(await readRef(bucket, ref)).toEqual(await readRef(store, ref));
    expect(await loadSnapshot(bucket, CYCLE_ID)).toEqual(snapshot);
    const master = await loadPlan(bucket);
    expect(master.version).toBeDefined();
    expect(master.plan.version).toBe(2);
  });

  it('copies nothing twice when run again, and leaves an object changed in the bucket as it is, reporting it', async () => {
    const { store, runData } = await usedDataDir();
    const bucket = s3Store((await s3.place()).settings);
    await migrateStore(store, bucket, { concurrency: 2 });

    expect(await migrateStore(store, bucket)).toEqual({ copied: 0, alreadyThere: runData.length, conflicts: [], bytes: 0 });

    const sheet = cycleKeys(CYCLE_ID).sheet('somu', 1);
    await bucket.put(sheet, 'a sheet rebuilt on the bucket');
    const added = await storeFile(store, cycleKeys(CYCLE_ID).sheet('kikaku', 1), 'the sheet sent to kikaku');
    const rerun = await migrateStore(store, bucket);
    expect(rerun).toEqual({ copied: 1, alreadyThere: runData.length - 1, conflicts: [sheet], bytes: added.bytes });
    expect((await bucket.get(sheet))!.data.toString()).toBe('a sheet rebuilt on the bucket');
    expect(await readRef(bucket, added)).toEqual(Buffer.from('the sheet sent to kikaku'));
  });

  it('with dryRun, counts what it would copy and writes nothing', async () => {
    const { store, runData } = await usedDataDir();
    const bucket = s3Store((await s3.place()).settings);
    await bucket.put(PLAN_KEY, 'another plan');

    const report = await migrateStore(store, bucket, { dryRun: true });

    expect(report).toMatchObject({ copied: runData.length - 1, alreadyThere: 0, conflicts: [PLAN_KEY] });
    expect(await bucket.list('')).toEqual([PLAN_KEY]);
  });
});

describe('torimatome store migrate', () => {
  it('moves the data directory into the bucket of TORIMATOME_S3_URL, showing progress, and fails on a conflict', async () => {
    const dir = freshDir();
    const dataDir = join(dir, 'data');
    const store = localStore(dataDir);
    // More keys than one progress step, as years of cycles are.
    const refs = await Promise.all(Array.from({ length: 501 }, (_, i) => storeFile(store, cycleKeys(CYCLE_ID).sheet(`div${i}`, 1), `sheet ${i}`)));
    const bytes = refs.reduce((sum, r) => sum + r.bytes, 0).toLocaleString('ja-JP');
    const { settings, env } = await s3.place();
    const bucket = s3Store(settings);
    const migrate = (...args: string[]) => torimatome({ cwd: dir, dataDir, env }, 'store', 'migrate', ...args);

    const dry = await migrate('--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('試行のため書き込んでいません');
    expect(dry.stdout).toContain(`501件（${bytes}バイト）をコピーします`);
    expect(await bucket.list('')).toEqual([]);

    const run = await migrate();
    expect(run.code).toBe(0);
    // Progress only: the SDK's warning about Node releases to come is not the operator's business.
    expect(run.stderr).toContain('500/501件を確認しました…');
    expect(run.stderr.split('\n').filter((line) => line && !/^\d+\/501件を確認しました…$/.test(line))).toEqual([]);
    expect(run.stdout).toBe(`data directory ${dataDir} から ${bucket.location} へ 501件（${bytes}バイト）をコピーしました。0件はコピー済みでした。\n`);
    expect(await readRef(bucket, refs[500]!)).toEqual(Buffer.from('sheet 500'));

    await bucket.put(refs[7]!.path, 'changed in the bucket');
    const again = await migrate();
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('0件（0バイト）をコピーしました。500件はコピー済みでした。');
    expect(again.stderr).toContain('1件は移行先に別の内容で置かれているため、上書きしていません');
    expect(again.stderr).toContain(`  - ${refs[7]!.path}`);
  }, 120_000);

  it('refuses to run without a bucket, or with half its settings, in words the operator can act on', async () => {
    const dir = freshDir();
    const run = await torimatome({ cwd: dir, dataDir: join(dir, 'data'), env: { TORIMATOME_S3_URL: '', TORIMATOME_S3_BUCKET: '' } }, 'store', 'migrate');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('store migrate copies the data directory into an S3 bucket, and none is set: set TORIMATOME_S3_URL=');
    const half = await torimatome({ cwd: dir, dataDir: join(dir, 'data'), env: { TORIMATOME_S3_URL: '', TORIMATOME_S3_BUCKET: '', TORIMATOME_S3_ENDPOINT: 'http://127.0.0.1:8333' } }, 'store', 'migrate');
    expect(half.code).toBe(1);
    expect(half.stderr).toBe('TORIMATOME_S3_ENDPOINT set without TORIMATOME_S3_BUCKET: set the bucket too, or TORIMATOME_S3_URL\n');
  }, 60_000);
});
