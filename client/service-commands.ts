import type { Command } from 'commander';
import { dataDir, UserError } from '../store/master-files';
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
 * The service against a city's own Temporal and mail relay: the worker and, when configured,
 * the channels: the web server (TORIMATOME_WEB_PORT, on TORIMATOME_WEB_HOST or 127.0.0.1), the
 * SMTP listener for mail replies (TORIMATOME_MAIL_PORT) and the IMAP poller
 * (TORIMATOME_IMAP_URL). More workers for the same service need none of them.
 */
async function runWorker(): Promise<void> {
  const dir = dataDir();
  const settings = await resolveSettings(dir);
  const { startWorker } = require('../worker/worker') as typeof import('../worker/worker');
  const { startChannels } = require('../stack/channels') as typeof import('../stack/channels');
  const { imapMailboxFromEnv } = require('../inbound/imap-poller') as typeof import('../inbound/imap-poller');
  const { listenerLimits } = require('../inbound/mail-listener') as typeof import('../inbound/mail-listener');
  const { trustProxySetting } = require('../web/server') as typeof import('../web/server');
  const env = process.env;
  const port = (name: string) => {
    const value = Number(env[name]);
    if (!Number.isInteger(value) || value < 1 || value > 65535) throw new UserError(`${name} must be a port number (1-65535): ${env[name]}`);
    return value;
  };
  const client = await connectClient(settings.temporal);
  const channels = env.TORIMATOME_WEB_PORT
    ? await startChannels({
        dataDir: dir,
        client,
        smtpUrl: settings.smtpUrl,
        inbound: settings.inbound,
        web: { host: env.TORIMATOME_WEB_HOST || '127.0.0.1', port: port('TORIMATOME_WEB_PORT'), trustProxy: trustProxySetting(env) },
        mail: env.TORIMATOME_MAIL_PORT ? { host: env.TORIMATOME_MAIL_HOST || '127.0.0.1', port: port('TORIMATOME_MAIL_PORT'), limits: listenerLimits(env) } : undefined,
        imap: imapMailboxFromEnv(env),
        log: say,
      })
    : undefined;
  const publicUrl = settings.inbound.publicUrl ?? channels?.web.url;
  const worker = await startWorker({ ...settings, inbound: { ...settings.inbound, publicUrl } }, dir);
  say(`worker started: Temporal ${settings.temporal.address} (namespace ${settings.temporal.namespace}, from ${settings.source}), data ${dir}, up to ${worker.cachedWorkflows} workflows cached`);
  if (channels) say(`web: ${channels.web.url}${channels.mail ? `, mail replies: smtp://${channels.mail.host}:${channels.mail.port}` : ''}${channels.imap ? ', mail replies by IMAP' : ''}`);
  else if (!publicUrl) say('no TORIMATOME_WEB_PORT or TORIMATOME_PUBLIC_URL: mails go out without a link to the division page');
  await Promise.race([untilStopped(), worker.done]);
  await worker.stop();
  await channels?.stop();
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
