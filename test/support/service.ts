import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSmtpSink, type SmtpSink } from '../../stack/smtp-sink';
import { removeRunInfo, writeRunInfo } from '../../stack/run-file';
import { type DevServer, startDevServer } from '../../stack/temporal-dev-server';
import { startWorker, type RunningWorker } from '../../worker/worker';

export interface TestService {
  dataDir: string;
  sentDir: string;
  server: DevServer;
  smtp: SmtpSink;
  worker: RunningWorker;
  stop(): Promise<void>;
}

/**
 * The real service for a test: a Temporal dev server, the SMTP sink and the worker, with the
 * data directory's run.json pointing at them so that the CLI finds them as a user's would.
 */
export async function startTestService(): Promise<TestService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'torimatome-service-'));
  const sentDir = join(dataDir, 'mail', 'sent');
  const server = await startDevServer({ dbFile: join(dataDir, 'temporal', 'temporal.sqlite'), ui: false });
  const smtp = await startSmtpSink({ sentDir });
  const worker = await startWorker({ temporal: { address: server.address, namespace: server.namespace }, smtpUrl: smtp.url, source: 'run.json' }, dataDir);
  await writeRunInfo(dataDir, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    dataDir,
    temporal: { address: server.address, namespace: server.namespace },
    smtp: { host: smtp.host, port: smtp.port },
  });
  return {
    dataDir,
    sentDir,
    server,
    smtp,
    worker,
    async stop() {
      await worker.stop();
      await smtp.stop();
      await server.stop();
      await removeRunInfo(dataDir);
    },
  };
}
