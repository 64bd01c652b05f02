import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_SMTP_CONNECTIONS } from '../activities/mailer';
import { serializePlan } from '../domain/plan';
import { writeRunInfo } from '../stack/run-file';
import { listSentMail, type SmtpSink, startSmtpSink } from '../stack/smtp-sink';
import { type DevServer, startDevServer } from '../stack/temporal-dev-server';
import { syntheticMaster } from './bench/synthetic-plan';
import { spawnTorimatome, torimatome } from './support/cli';

const DIVISIONS = 60;

/**
 * The service meets what real machines do: a worker killed mid-fan-out, a Temporal server that
 * goes away and comes back on the same SQLite file, an SMTP relay that is down for a while.
 * Every cycle still ends complete, and a mail is repeated only where a kill fell between the
 * relay's acceptance and the outbox record (README, "Mail and crashes").
 */
describe('surviving faults', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'torimatome-faults-'));
  const sentDir = join(dataDir, 'mail', 'sent');
  let server: DevServer;
  let smtp: SmtpSink;
  let worker: ChildProcess | undefined;
  const cli = (...args: string[]) => torimatome({ cwd: dataDir, dataDir, actor: '行革担当' }, ...args);

  async function startWorker(): Promise<void> {
    const started = spawnTorimatome(dataDir, 'worker');
    await expect.poll(started.output, { timeout: 60_000, interval: 200 }).toContain('worker started');
    worker = started.child;
  }

  function killWorker(): Promise<void> {
    const child = worker!;
    worker = undefined;
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  const mails = async () => (await listSentMail(sentDir)).map((f) => readFileSync(f, 'utf8'));
  const messageIds = (all: string[]) => all.map((m) => /^Message-ID: (.+)$/im.exec(m)![1]!.trim());

  afterAll(async () => {
    if (worker) await killWorker();
    await smtp?.stop();
    await server?.stop();
  });

  it('kills the worker three times mid-fan-out, restarts the server, stops the SMTP relay: every mail arrives', async () => {
    const { plan, directory } = syntheticMaster(DIVISIONS, 2);
    mkdirSync(join(dataDir, 'plan'), { recursive: true });
    writeFileSync(join(dataDir, 'plan', 'plan.json'), serializePlan(plan));
    writeFileSync(join(dataDir, 'plan', 'divisions.json'), JSON.stringify(directory));
    const dbFile = join(dataDir, 'temporal', 'temporal.sqlite');
    server = await startDevServer({ dbFile });
    smtp = await startSmtpSink({ sentDir });
    const runInfo = { pid: process.pid, startedAt: new Date().toISOString(), dataDir, temporal: { address: server.address, namespace: server.namespace }, smtp: { host: smtp.host, port: smtp.port } };
    await writeRunInfo(dataDir, runInfo);
    await startWorker();

    expect((await cli('cycle', 'launch', '--year', 'R4', '--deadline', '2030-03-29')).code).toBe(0);
    // The launch command waits for the whole fan-out, so kills are made while it is under way.
    const launch = cli('cycle', 'launch', '--year', 'R5', '--deadline', '2030-03-29');
    let kills = 0;
    for (let round = 0; round < 3; round++) {
      const before = (await listSentMail(sentDir)).length;
      const target = before + 3 + Math.floor(Math.random() * 10);
      await expect.poll(async () => (await listSentMail(sentDir)).length, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(Math.min(target, DIVISIONS * 2));
      await killWorker();
      kills++;
      await startWorker();
    }
    expect((await launch).code).toBe(0);

    // The server goes away and comes back on the same port and SQLite file.
    await server.stop();
    server = await startDevServer({ dbFile, port: Number(server.address.split(':')[1]) });
    const status = JSON.parse((await cli('cycle', 'status', '--year', 'R5', '--json')).stdout);
    expect(status.divisions.filter((d: { state: string }) => d.state === 'waiting')).toHaveLength(DIVISIONS);

    // The relay is down while R4 closes: result mails wait, the reform office is told, nothing is lost.
    await smtp.stop();
    const closing = cli('cycle', 'close', '--year', 'R4');
    const soon = { TORIMATOME_MAIL_ALERT_AFTER: '1' };
    await expect
      .poll(async () => (await torimatome({ cwd: dataDir, dataDir, env: soon }, 'cycle', 'status', '--year', 'R4')).stdout, { timeout: 60_000, interval: 1_000 })
      .toContain('通が送れていません');
    smtp = await startSmtpSink({ sentDir, port: smtp.port });
    expect((await closing).code).toBe(0);

    const all = await mails();
    const ids = messageIds(all);
    const requests = ids.filter((id) => id.includes('.request.'));
    const results = ids.filter((id) => id.includes('.result.'));
    expect(new Set(requests).size).toBe(DIVISIONS * 2);
    expect(new Set(results).size).toBe(DIVISIONS);
    // Only a kill can repeat a mail, and only those in flight on the pool's connections.
    const duplicates = ids.length - new Set(ids).size;
    expect(duplicates).toBeLessThanOrEqual(kills * MAX_SMTP_CONNECTIONS);
  }, 600_000);
});
