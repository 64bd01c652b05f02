import type { Command } from 'commander';
import { dataDir, UserError } from '../master/store';
import { startEmbeddedService } from './embedded-service';
import { readRunInfo, runFilePath } from '../stack/run-file';
import { resolveSettings } from '../worker/settings';

const say = (line: string) => process.stdout.write(`${line}\n`);


/** Resolves when the operator asks the process to stop (Ctrl-C, or a service manager). */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
}

async function runWorker(): Promise<void> {
  const dir = dataDir();
  const settings = await resolveSettings(dir);
  const { startWorker } = require('../worker/worker') as typeof import('../worker/worker');
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
  if (running) throw new UserError(`このデータディレクトリ（${dir}）のサービスはすでに動いています（pid ${running.pid}）。`);
  say(`データディレクトリ: ${dir}`);
  say('Temporal サーバを起動しています（初回は Temporal CLI のビルドに数分かかります）…');
  const service = await startEmbeddedService(dir, { ui: true, log: (line) => say(`  ${line}`) });
  say('');
  say('torimatome が動いています。Ctrl-C で止まります。');
  say(`  Temporal:     ${service.server.address}（namespace ${service.server.namespace}）`);
  if (service.server.uiUrl) say(`  Temporal UI:  ${service.server.uiUrl}`);
  say(`  SMTP:         ${service.smtp.url}（送ったメールは ${service.sentDir} に .eml で残ります）`);
  say(`  接続情報:     ${runFilePath(dir)}`);
  say('');
  say('別の端末で、たとえば:');
  say('  npx torimatome plan show');
  say('  npx torimatome cycle launch --year R5 --deadline 2024-03-29');
  say('  npx torimatome cycle status');
  say('  npm run demo        # R4 の照会を最初から最後まで実演します');
  await Promise.race([untilStopped(), service.worker.done]);
  say('止めています…');
  await service.stop();
}

export function addServiceCommands(program: Command): void {
  program.command('worker').description('run the worker against TEMPORAL_ADDRESS and SMTP_URL (or the running dev stack)').action(runWorker);
  program.command('dev').description('run the whole service on embedded defaults: Temporal dev server, SMTP server, worker').action(runDev);
}
