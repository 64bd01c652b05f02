import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../store/file-store';
import { type Manifest, MANIFEST } from '../../audit/archive';
import { readArchivedHistories } from '../../audit/histories';
import { replayCycle } from '../../audit/replay';
import { loadPublicKey, publicKeyPath } from '../../audit/signing-key';
import { buildTrail } from '../../audit/trail';
import { verifyArchive } from '../../audit/verify';
import { archiveWorkflowId } from '../../domain/workflow-ids';
import { submitReturn } from '../../service/submit-return';
import { fillReturnSheet } from '../../sheets/fill-return-sheet';
import { torimatome } from '../support/cli';
import { CYCLE_ID, filledWithSeed, type OpenCycle, openR4Cycle, seedPlan } from '../support/returns';

let cycle: OpenCycle;
let archive: string;
let dataDir: string;
/** What the test did, to hold the trail against. */
const did = { returns: [] as Array<{ divisionId: string; sha256: string; channel: string }>, requestSheets: new Map<string, string>() };
const FIXTURES = join(__dirname, '..', 'fixtures', 'workflow-changes');

async function hand(divisionId: string, data: Buffer, channel: 'upload' | 'mail') {
  const outcome = await submitReturn(cycle.client, dataDir, { cycleId: CYCLE_ID, divisionId, file: { data, fileName: `${divisionId}.xlsx` }, channel, submittedBy: `${divisionId}@city.arao.example` });
  did.returns.push({ divisionId, sha256: sha256(data), channel });
  return outcome;
}

beforeAll(async () => {
  cycle = await openR4Cycle();
  dataDir = cycle.service.dataDir;
  const cli = (...args: string[]) => torimatome({ cwd: dataDir, dataDir, actor: '行革 監査テスト' }, ...args);
  for (const id of ['somu', 'zaisei', 'kaikei']) did.requestSheets.set(id, sha256((await cycle.request(id)).attachments[0]!.content));
  const somuSheet = (await cycle.request('somu')).attachments[0]!.content;
  // 総務課: refused once (item 16 without a mark), then accepted, then sent back.
  await hand('somu', await fillReturnSheet(somuSheet, seedPlan.definition, 'R4', (no) => (no === 16 ? { values: { marks: '', statusText: 'x' } } : { values: { marks: seedPlan.items.find((i) => i.no === no)!.values.marks!.R4 as string, statusText: 'y' } })), 'upload');
  await hand('somu', await filledWithSeed(somuSheet), 'mail');
  expect((await cli('cycle', 'send-back', '--division', 'somu', '--comment', '16=研修の参加人数を書いてください')).code).toBe(0);
  await hand('zaisei', await filledWithSeed((await cycle.request('zaisei')).attachments[0]!.content), 'upload');
  expect((await cli('cycle', 'extend', '--division', 'kaikei', '--deadline', '2049-04-10')).code).toBe(0);
  expect((await cli('cycle', 'excuse', '--division', 'kaikei', '--reason', '担当者の長期不在')).code).toBe(0);
  expect((await cli('cycle', 'close')).code).toBe(0);
  // The archiver the close started waits for every division workflow to end.
  archive = (await cycle.client.workflow.getHandle(archiveWorkflowId(CYCLE_ID)).result()).dir;
}, 300_000);

afterAll(async () => {
  await cycle?.stop();
});

/** A copy of the archive to damage. */
function copy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'torimatome-archive-')), 'archive');
  cpSync(archive, dir, { recursive: true });
  return dir;
}

describe('the archive of a closed cycle', () => {
  it('is written at close with every history and every file they reference, and verifies', async () => {
    const manifest = JSON.parse(readFileSync(join(archive, MANIFEST), 'utf8')) as Manifest;
    const paths = manifest.entries.map((e) => e.path);
    expect(paths).toContain(`histories/${CYCLE_ID}.json`);
    expect(paths).toContain('histories/division-arao-R4-somu.json');
    expect(paths).toContain(`files/cycles/${CYCLE_ID}/sheets/somu-v1.xlsx`);
    expect(paths).toContain(`files/cycles/${CYCLE_ID}/sheets/somu-v2.xlsx`);
    expect(paths).toContain(`files/cycles/${CYCLE_ID}/result/${CYCLE_ID}-consolidated.xlsx`);
    for (const { sha256: hash } of did.returns) expect(paths).toContain(`files/received/${hash.slice(0, 2)}/${hash}.xlsx`);
    const result = await verifyArchive(archive, await loadPublicKey(publicKeyPath(dataDir)));
    expect(result).toEqual({ signatureValid: true, changed: [], added: [], removed: [], ok: true });
  });

  it('tells a byte changed, a file removed or added, and a file rewritten together with its manifest entry', async () => {
    const key = await loadPublicKey(publicKeyPath(dataDir));
    const sheet = `files/cycles/${CYCLE_ID}/sheets/zaisei-v1.xlsx`;

    const changed = copy();
    const bytes = readFileSync(join(changed, sheet));
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(join(changed, sheet), bytes);
    expect(await verifyArchive(changed, key)).toMatchObject({ ok: false, signatureValid: true, changed: [sheet], added: [], removed: [] });

    const removed = copy();
    rmSync(join(removed, 'histories/division-arao-R4-zaisei.json'));
    expect(await verifyArchive(removed, key)).toMatchObject({ ok: false, signatureValid: true, changed: [], removed: ['histories/division-arao-R4-zaisei.json'] });

    const added = copy();
    writeFileSync(join(added, 'files/extra.xlsx'), 'x');
    expect(await verifyArchive(added, key)).toMatchObject({ ok: false, added: ['files/extra.xlsx'] });

    const rewritten = copy();
    writeFileSync(join(rewritten, sheet), 'a different sheet');
    const manifest = JSON.parse(readFileSync(join(rewritten, MANIFEST), 'utf8')) as Manifest;
    const entry = manifest.entries.find((e) => e.path === sheet)!;
    Object.assign(entry, { sha256: sha256('a different sheet'), bytes: 17 });
    writeFileSync(join(rewritten, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    expect(await verifyArchive(rewritten, key)).toMatchObject({ ok: false, signatureValid: false, changed: [], added: [], removed: [] });

    // The command says the same, and fails.
    const verify = await torimatome({ cwd: dataDir, dataDir }, 'audit', 'verify', rewritten);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain('署名: 正しくありません');
  });

  it("replays every history against today's code, and catches a non-deterministic change unless it is behind patched()", async () => {
    const histories = await readArchivedHistories(archive);
    expect(histories.histories.map((h) => h.workflowType).sort()).toContain('divisionWorkflow');
    expect((await replayCycle(histories)).every((o) => o.ok)).toBe(true);
    const somu = { cycleId: CYCLE_ID, histories: histories.histories.filter((h) => h.workflowId === 'division-arao-R4-somu') };
    const [broken] = await replayCycle(somu, join(FIXTURES, 'unguarded.ts'));
    expect(broken).toMatchObject({ workflowId: 'division-arao-R4-somu', ok: false, eventId: 5 });
    expect(broken!.error).toContain('Nondeterminism');
    expect(await replayCycle(somu, join(FIXTURES, 'guarded.ts'))).toMatchObject([{ ok: true }]);
  }, 120_000);
});

describe('the audit commands', () => {
  it('archives a closed cycle on demand into a folder of choice, and makes a signing key only when asked twice with --force', async () => {
    const cli = (...args: string[]) => torimatome({ cwd: dataDir, dataDir }, ...args);
    const out = join(mkdtempSync(join(tmpdir(), 'torimatome-on-demand-')), 'R4');
    const archived = await cli('audit', 'archive', '--year', 'R4', '--out', out);
    expect(archived.stderr).toBe('');
    expect(archived.stdout).toContain(`アーカイブしました: ${out}`);
    const verified = await cli('audit', 'verify', out);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('作成時のままです');
    // Run again, it finds its own work done.
    expect((await cli('audit', 'archive', '--year', 'R4', '--out', out)).stdout).toContain('アーカイブはすでにあります');

    const keygen = await cli('audit', 'keygen');
    expect(keygen.code).toBe(1);
    expect(keygen.stderr).toContain('署名鍵はすでにあります');
    const fresh = mkdtempSync(join(tmpdir(), 'torimatome-keygen-'));
    const made = await torimatome({ cwd: fresh, dataDir: fresh }, 'audit', 'keygen');
    expect(made.code).toBe(0);
    expect(readFileSync(publicKeyPath(fresh), 'utf8')).toContain('BEGIN PUBLIC KEY');
    // An archive signed with another key does not verify against this one.
    const other = await torimatome({ cwd: fresh, dataDir: fresh }, 'audit', 'verify', out);
    expect(other.code).toBe(1);
    expect(other.stdout).toContain('署名: 正しくありません');
  }, 120_000);
});

describe("the trail, from the archive's histories alone", () => {
  it('holds each mail with its recipients and attachment, each return with its hash and channel, each action with its actor', async () => {
    const trail = buildTrail(await readArchivedHistories(archive));
    const of = (divisionId: string, kind: string) => trail.filter((e) => e.divisionId === divisionId && e.kind === kind);

    for (const [divisionId, sheet] of did.requestSheets) {
      expect(of(divisionId, 'requestMail')).toMatchObject([{ recipients: [`${divisionId}@city.arao.example`], fileSha256: sheet }]);
    }
    for (const divisionId of ['somu', 'zaisei']) {
      const received = of(divisionId, 'returnReceived').map((e) => ({ sha256: e.fileSha256, channel: e.channel, actor: e.actor }));
      expect(received).toEqual(did.returns.filter((r) => r.divisionId === divisionId).map((r) => ({ sha256: r.sha256, channel: r.channel, actor: `${divisionId}@city.arao.example` })));
    }
    const checks = of('somu', 'checkResult');
    expect(checks.map((e) => e.result)).toEqual(['不備', '受付']);
    expect(checks[0]!.details).toMatch(/セル [A-Z]+\d+（整理番号16）: 取組状況の記号が入力されていません/);

    const sendBack = of('somu', 'sendBack');
    expect(sendBack.length).toBeGreaterThan(0);
    expect(sendBack[0]).toMatchObject({ actor: '行革 監査テスト' });
    expect(sendBack.map((e) => e.details).join('\n')).toContain('研修の参加人数を書いてください');
    expect(sendBack.some((e) => e.recipients?.includes('somu@city.arao.example'))).toBe(true);
    expect(of('kaikei', 'extension')).toMatchObject([{ actor: '行革 監査テスト' }]);
    expect(of('kaikei', 'excuse')).toMatchObject([{ actor: '行革 監査テスト' }]);
    expect(of('kaikei', 'excuse')[0]!.details).toContain('担当者の長期不在');
    expect(trail.filter((e) => e.kind === 'close')).toMatchObject([{ actor: '行革 監査テスト' }]);
    expect(trail.filter((e) => e.kind === 'launch')).toMatchObject([{ actor: '文化企画課 行革担当' }]);
    const table = sha256(readFileSync(join(dataDir, `cycles/${CYCLE_ID}/result/${CYCLE_ID}-consolidated.xlsx`)));
    expect(of('zaisei', 'resultMail')).toMatchObject([{ recipients: ['zaisei@city.arao.example'], fileSha256: table }]);
  });
});

describe('an archive whose workflows Temporal no longer keeps', () => {
  it('still replays, and yields its trail, from the archive alone', async () => {
    // What the namespace's retention does, done now: the histories are gone from Temporal.
    const { histories } = await readArchivedHistories(archive);
    for (const { workflowId } of histories) {
      await cycle.client.workflowService.deleteWorkflowExecution({ namespace: cycle.service.server.namespace, workflowExecution: { workflowId } });
    }
    await expect
      .poll(() => cycle.client.workflow.getHandle(CYCLE_ID).describe().then(() => 'kept', () => 'gone'), { timeout: 30_000, interval: 500 })
      .toBe('gone');
    const cli = (...args: string[]) => torimatome({ cwd: dataDir, dataDir }, ...args);
    const live = await cli('audit', 'replay', CYCLE_ID);
    expect(live.code).toBe(1);
    expect(live.stderr).toContain(`Temporal に ${CYCLE_ID} の履歴がありません`);

    // Moved away from the data directory, as an auditor would keep it.
    const kept = copy();
    const replay = await cli('audit', 'replay', kept);
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain(`${histories.length}件のワークフローすべてが現在のコードで再実行できました`);
    const out = join(kept, '..', 'trail.csv');
    const trail = await cli('audit', 'trail', kept, '--out', out);
    expect(trail.code).toBe(0);
    const csv = readFileSync(out, 'utf8');
    for (const { sha256: hash } of did.returns) expect(csv).toContain(hash);
  }, 120_000);
});
