import { join } from 'node:path';
import { type RunningWorker, startWorker } from '../worker/worker';
import { removeRunInfo, writeRunInfo } from './run-file';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { type DevServer, startDevServer } from './temporal-dev-server';

export interface EmbeddedService {
  server: DevServer;
  smtp: SmtpSink;
  worker: RunningWorker;
  /** Where every delivered mail is kept as its own .eml file. */
  sentDir: string;
  stop(): Promise<void>;
}

/**
 * The whole service on embedded defaults, as `torimatome dev`, the demo and the tests run it: a
 * Temporal dev server on SQLite in the data directory, the SMTP sink and the worker, with
 * `<data dir>/run.json` telling every other command where they are.
 */
export async function startEmbeddedService(dataDir: string, opts: { ui: boolean; log?: (line: string) => void }): Promise<EmbeddedService> {
  const sentDir = join(dataDir, 'mail', 'sent');
  const server = await startDevServer({ dbFile: join(dataDir, 'temporal', 'temporal.sqlite'), ui: opts.ui, log: opts.log });
  const smtp = await startSmtpSink({ sentDir });
  const worker = await startWorker({ temporal: { address: server.address, namespace: server.namespace }, smtpUrl: smtp.url, source: 'run.json' }, dataDir);
  await writeRunInfo(dataDir, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    dataDir,
    temporal: { address: server.address, namespace: server.namespace, uiUrl: server.uiUrl },
    smtp: { host: smtp.host, port: smtp.port },
  });
  return {
    server,
    smtp,
    worker,
    sentDir,
    async stop() {
      await worker.stop();
      await smtp.stop();
      await server.stop();
      await removeRunInfo(dataDir);
    },
  };
}
