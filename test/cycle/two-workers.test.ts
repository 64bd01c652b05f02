import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_SMTP_CONNECTIONS } from '../../activities/mailer';
import { assignItems, roleOf } from '../../domain/cycle';
import { cycleId, divisionWorkflowId } from '../../domain/workflow-ids';
import { fillReturnSheet } from '../../sheets/fill-return-sheet';
import { writeRunInfo } from '../../stack/run-file';
import { listSentMail, type SmtpSink, startSmtpSink } from '../../stack/smtp-sink';
import { type DevServer, startDevServer } from '../../stack/temporal-dev-server';
import { cycleKeys, storeReceived } from '../../store/file-store';
import { saveDirectory, savePlan } from '../../store/master-files';
import { openStore } from '../../store/open-store';
import { type SubmitResult, submitReturnUpdate } from '../../workflows/definitions';
import { connectClient } from '../../worker/settings';
import { syntheticAnswer, syntheticMaster } from '../bench/synthetic-plan';
import { spawnTorimatomeWith, torimatome } from '../support/cli';
import { useS3Server } from '../support/s3-bucket';

const DIVISIONS = 200;
const YEAR = 'R4';
const { plan, directory } = syntheticMaster(DIVISIONS, 2);
const CYCLE = cycleId(plan.municipality.id, YEAR);
const { assignments } = assignItems(plan, directory);
const answering = assignments.filter((a) => roleOf(a) === 'answer');
const answerOf = (no: number) => {
  const item = plan.items.find((i) => i.no === no);
  return item && syntheticAnswer(item, YEAR);
};

const s3 = useS3Server();
const stops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {});
}, 60_000);

interface Season {
  /** Every cell of every sheet of the consolidated table, by sheet and address. */
  table: Record<string, string>;
  statuses: Map<string, SubmitResult['status']>;
  /** The longest a submitter waited for its answer: a kill costs the retry of the check, in seconds. */
  longestSubmitMs: number;
  messageIds: string[];
  kills: number;
}

/** A worker process of its own, on its own data directory: killed with SIGKILL, as a machine is lost. */
function workerProcess(dataDir: string, env: NodeJS.ProcessEnv) {
  let child: ChildProcess | undefined;
  const outputs: Array<() => string> = [];
  const api = {
    /** What it printed, across its restarts: shown when a step fails. */
    output: () => outputs.map((o) => o()).join('\n--- restarted ---\n'),
    async start() {
      const started = spawnTorimatomeWith({ dataDir, env }, 'worker');
      child = started.child;
      outputs.push(started.output);
      await expect.poll(started.output, { timeout: 60_000, interval: 200 }).toContain('worker started');
    },
    kill(): Promise<void> {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGKILL');
      });
    },
  };
  stops.push(api.kill);
  return api;
}

/**
 * One season of the synthetic plan: launch, every answering division submits its filled sheet,
 * close, export. With `twoWorkers` the run data is in the bucket, two workers on data
 * directories of their own serve the task queue, the reform office works from a third machine,
 * and worker A is killed during the fan-out, worker B during the submits.
 */
async function season(twoWorkers: boolean): Promise<Season> {
  const root = mkdtempSync(join(tmpdir(), 'torimatome-two-workers-'));
  const [dirA, dirB] = ['worker-a', 'worker-b'].map((name) => join(root, name));
  // One worker works on the reform office's own machine; two share none with it.
  const office = twoWorkers ? join(root, 'office') : dirA;
  for (const dir of [office!, dirA!, dirB!]) mkdirSync(dir, { recursive: true });
  // What each machine of a two-VM installation shares: the bucket, and the keys of links and archives.
  const env: NodeJS.ProcessEnv = twoWorkers ? { ...(await s3.place()).env, TORIMATOME_TOKEN_KEY: randomBytes(32).toString('hex'), TORIMATOME_AUDIT_KEY: join(root, 'audit-signing-key.pem') } : {};
  const server: DevServer = await startDevServer({ dbFile: join(root, 'temporal.sqlite') });
  stops.push(() => server.stop());
  const sentDir = join(root, 'sent');
  const smtp: SmtpSink = await startSmtpSink({ sentDir });
  stops.push(() => smtp.stop());
  for (const dir of [office!, dirA!, dirB!]) {
    await writeRunInfo(dir, { pid: process.pid, startedAt: new Date().toISOString(), dataDir: dir, temporal: { address: server.address, namespace: server.namespace }, smtp: { host: smtp.host, port: smtp.port } });
  }
  const store = openStore(office!, env);
  await savePlan(store, plan, undefined);
  await saveDirectory(store, directory, undefined);
  const a = workerProcess(dirA!, env);
  const b = workerProcess(dirB!, env);
  const cli = async (...args: string[]) => {
    const run = await torimatome({ cwd: office!, dataDir: office!, env }, ...args);
    expect(run.code, `torimatome ${args.join(' ')}\n${run.stdout}\n${run.stderr}\n--- worker A ---\n${a.output().slice(-4000)}\n--- worker B ---\n${b.output().slice(-4000)}`).toBe(0);
    return run;
  };
  const mailsSent = async () => (await listSentMail(sentDir)).length;

  // The reform office makes the signing key that every worker's archives are signed with.
  if (twoWorkers) await cli('audit', 'keygen');
  await a.start();
  if (twoWorkers) await b.start();
  let kills = 0;

  const launch = cli('cycle', 'launch', '--year', YEAR, '--deadline', '2030-03-29');
  if (twoWorkers) {
    await expect.poll(mailsSent, { timeout: 120_000, interval: 50 }).toBeGreaterThanOrEqual(DIVISIONS / 3);
    await a.kill();
    kills++;
    await a.start();
  }
  await launch;
  const status = JSON.parse((await cli('cycle', 'status', '--year', YEAR, '--json')).stdout) as { divisions: Array<{ state: string }> };
  expect(status.divisions.filter((d) => d.state === 'waiting')).toHaveLength(answering.length);

  const client = await connectClient({ address: server.address, namespace: server.namespace });
  stops.push(() => client.connection.close());
  const statuses = new Map<string, SubmitResult['status']>();
  let longestSubmitMs = 0;
  const queue = [...answering];
  let killedB: Promise<void> | undefined;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const sheet = await store.get(cycleKeys(CYCLE).sheet(next.divisionId, 1));
        const file = await storeReceived(store, await fillReturnSheet(sheet!.data, plan.definition, YEAR, answerOf), 'xlsx');
        const asked = Date.now();
        const result = await client.workflow.getHandle(divisionWorkflowId(CYCLE, next.divisionId)).executeUpdate(submitReturnUpdate, {
          args: [{ file, fileName: `${YEAR}取組状況_${next.divisionId}.xlsx`, channel: 'cli', submittedBy: 'テスト担当' }],
        });
        longestSubmitMs = Math.max(longestSubmitMs, Date.now() - asked);
        statuses.set(next.divisionId, result.status);
        if (twoWorkers && !killedB && statuses.size >= answering.length / 3) {
          kills++;
          killedB = b.kill();
        }
      }
    }),
  );
  await killedB;

  await cli('cycle', 'close', '--year', YEAR);
  if (twoWorkers) {
    // B comes back after the close; it finds nothing left to do, and sends nothing again.
    const before = await mailsSent();
    await b.start();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await mailsSent()).toBe(before);
  }
  const tableFile = join(root, 'table.xlsx');
  await cli('cycle', 'export', '--year', YEAR, '--format', 'xlsx', '--out', tableFile);

  // Each submission was answered once: one completed update in its division's history.
  for (const { divisionId } of answering) {
    const history = await client.workflow.getHandle(divisionWorkflowId(CYCLE, divisionId)).fetchHistory();
    const completed = (history.events ?? []).filter((e) => e.workflowExecutionUpdateCompletedEventAttributes);
    expect(completed, divisionId).toHaveLength(1);
  }
  if (twoWorkers) {
    const archived = await cli('audit', 'archive', '--year', YEAR, '--out', join(root, 'archive'));
    expect(archived.stdout).toContain('アーカイブしました');
    const verified = await cli('audit', 'verify', join(root, 'archive'), '--public-key', join(office!, 'audit-public-key.pem'));
    expect(verified.stdout).toContain('署名: 正しい');
  }

  const messageIds = await Promise.all((await listSentMail(sentDir)).map(async (f) => /^Message-ID: (.+)$/im.exec(readFileSync(f, 'utf8'))![1]!.trim()));
  return { table: await cellsOf(tableFile), statuses, longestSubmitMs, messageIds, kills };
}

async function cellsOf(file: string): Promise<Record<string, string>> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  const cells: Record<string, string> = {};
  for (const sheet of workbook.worksheets) {
    sheet.eachRow({ includeEmpty: false }, (row) =>
      row.eachCell({ includeEmpty: false }, (cell) => {
        cells[`${sheet.name}!${cell.address}`] = JSON.stringify(cell.value);
      }),
    );
  }
  return cells;
}

describe('two workers that share no disk', () => {
  it('finish a season with one of them killed in the fan-out and the other in the submits, as one worker would', async () => {
    const one = await season(false);
    const two = await season(true);

    const requests = (s: Season) => s.messageIds.filter((id) => id.includes('.request.'));
    expect(new Set(requests(two)).size).toBe(DIVISIONS);
    // The same mails as one worker sends; a request's id names its sheet's hash, which the build time changes.
    const mailsOf = (s: Season) => new Set(s.messageIds.map((id) => id.replace(/(\.request\.[^.@]+)\.[0-9a-f]{12}@/, '$1@')));
    expect(mailsOf(two)).toEqual(mailsOf(one));
    // Only a kill repeats a mail, and only one in flight on a connection of the killed worker's pool.
    const repeated = two.messageIds.length - new Set(two.messageIds).size;
    console.log(`two workers: ${two.messageIds.length} mails, ${repeated} sent twice across ${two.kills} kills (one worker: ${one.messageIds.length} mails); longest submit ${two.longestSubmitMs} ms (one worker: ${one.longestSubmitMs} ms)`);
    expect(repeated).toBeLessThanOrEqual(two.kills * MAX_SMTP_CONNECTIONS);

    expect(two.statuses).toEqual(one.statuses);
    expect(two.table).toEqual(one.table);
  }, 1_200_000);
});
