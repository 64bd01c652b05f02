import type { Command } from 'commander';
import { dataDir, UserError } from '../master/store';
import { startEmbeddedService } from './embedded-service';
import { readRunInfo, runFilePath } from '../stack/run-file';
import { connectClient, resolveSettings } from '../worker/settings';

const say = (line: string) => process.stdout.write(`${line}\n`);


/** Resolves when the operator asks the process to stop (Ctrl-C, or a service manager). */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
}

/**
 * The service against a city's own Temporal and mail relay: the worker, and the web server
 * (TORIMATOME_WEB_HOST/PORT, default 127.0.0.1:8080) with, when TORIMATOME_MAIL_PORT is set,
 * the SMTP listener for mail replies.
 */
async function runWorker(): Promise<void> {
  const dir = dataDir();
  const settings = await resolveSettings(dir);
  const { startWorker } = require('../worker/worker') as typeof import('../worker/worker');
  const { startChannels } = require('../stack/channels') as typeof import('../stack/channels');
  const { imapMailboxFromEnv } = require('../inbound/imap-poller') as typeof import('../inbound/imap-poller');
  const env = process.env;
  const client = await connectClient(settings.temporal);
  const channels = await startChannels({
    dataDir: dir,
    client,
    smtpUrl: settings.smtpUrl,
    inbound: settings.inbound,
    web: { host: env.TORIMATOME_WEB_HOST || '127.0.0.1', port: Number.parseInt(env.TORIMATOME_WEB_PORT || '8080', 10) },
    mail: env.TORIMATOME_MAIL_PORT ? { host: env.TORIMATOME_MAIL_HOST || '127.0.0.1', port: Number.parseInt(env.TORIMATOME_MAIL_PORT, 10) } : undefined,
    imap: imapMailboxFromEnv(env),
    log: say,
  });
  const worker = await startWorker({ ...settings, inbound: { ...settings.inbound, publicUrl: settings.inbound.publicUrl ?? channels.web.url } }, dir);
  say(`worker started: Temporal ${settings.temporal.address} (namespace ${settings.temporal.namespace}, from ${settings.source}), data ${dir}`);
  say(`web: ${channels.web.url}${channels.mail ? `, mail replies: smtp://${channels.mail.host}:${channels.mail.port}` : ''}`);
  await Promise.race([untilStopped(), worker.done]);
  await worker.stop();
  await channels.stop();
  await client.connection.close();
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
  say(`  Web:          ${service.channels.web.url}/office（行革担当課のページ。利用者は torimatome office passwd <名前> で登録）`);
  if (service.channels.mail) say(`  返信の受付:   smtp://${service.channels.mail.host}:${service.channels.mail.port}（各課の返信メールをここに配送します）`);
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
