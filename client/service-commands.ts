import { join } from 'node:path';
import type { Command } from 'commander';
import { dataDir, UserError } from '../master/store';
import { startSmtpSink } from '../stack/smtp-sink';
import { readRunInfo, removeRunInfo, writeRunInfo } from '../stack/run-file';
import { startDevServer } from '../stack/temporal-dev-server';
import { resolveSettings } from '../worker/settings';
import type { startWorker as StartWorker } from '../worker/worker';

const say = (line: string) => process.stdout.write(`${line}\n`);

// The worker brings Temporal's native runtime and the workflow bundler; only these two
// commands need them, so the rest of the CLI starts without loading them.
const startWorker: typeof StartWorker = (...args) => (require('../worker/worker') as { startWorker: typeof StartWorker }).startWorker(...args);

/** Resolves when the operator asks the process to stop (Ctrl-C, or a service manager). */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
}

async function runWorker(): Promise<void> {
  const dir = dataDir();
  const settings = await resolveSettings(dir);
  const worker = await startWorker(settings, dir);
  say(`worker started: Temporal ${settings.temporal.address} (namespace ${settings.temporal.namespace}, from ${settings.source}), data ${dir}`);
  await Promise.race([untilStopped(), worker.done]);
  await worker.stop();
}

/**
 * The whole service on embedded defaults: a Temporal dev server on SQLite in the data directory,
 * an SMTP server that keeps every delivery as a file, and the worker, in one process tree.
 */
async function runDev(): Promise<void> {
  const dir = dataDir();
  const running = await readRunInfo(dir);
  if (running) throw new UserError(`この データディレクトリ（${dir}）のサービスはすでに動いています（pid ${running.pid}）。`);
  say(`データディレクトリ: ${dir}`);
  say('Temporal サーバを起動しています（初回は Temporal CLI のビルドに数分かかります）…');
  const server = await startDevServer({ dbFile: join(dir, 'temporal', 'temporal.sqlite'), ui: true, log: (line) => say(`  ${line}`) });
  const smtp = await startSmtpSink({ sentDir: join(dir, 'mail', 'sent') });
  const worker = await startWorker({ temporal: { address: server.address, namespace: server.namespace }, smtpUrl: smtp.url, source: 'run.json' }, dir);
  await writeRunInfo(dir, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    dataDir: dir,
    temporal: { address: server.address, namespace: server.namespace, uiUrl: server.uiUrl },
    smtp: { host: smtp.host, port: smtp.port },
  });
  say('');
  say('torimatome が動いています。Ctrl-C で止まります。');
  say(`  Temporal:     ${server.address}（namespace ${server.namespace}）`);
  if (server.uiUrl) say(`  Temporal UI:  ${server.uiUrl}`);
  say(`  SMTP:         ${smtp.url}（送ったメールは ${join(dir, 'mail', 'sent')} に .eml で残ります）`);
  say(`  接続情報:     ${join(dir, 'run.json')}`);
  say('');
  say('別の端末で、たとえば:');
  say('  npx torimatome plan show');
  say('  npx torimatome cycle launch --year R5 --deadline 2024-03-29');
  say('  npx torimatome cycle status');
  say('  npm run demo        # R4 の照会を最初から最後まで実演します');
  await Promise.race([untilStopped(), worker.done]);
  say('止めています…');
  await worker.stop();
  await smtp.stop();
  await server.stop();
  await removeRunInfo(dir);
}

export function addServiceCommands(program: Command): void {
  program.command('worker').description('run the worker against TEMPORAL_ADDRESS and SMTP_URL (or the running dev stack)').action(runWorker);
  program.command('dev').description('run the whole service on embedded defaults: Temporal dev server, SMTP server, worker').action(runDev);
}
