import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/master-files';
import { portIfFree } from './free-port';
import { imapMailboxFromEnv } from '../inbound/imap-poller';
import { listenerLimits } from '../inbound/mail-listener';
import { connectClient, inboundSettings, workerSettings } from '../worker/settings';
import { type RunningWorker, startWorker } from '../worker/worker';
import { trustProxySetting } from '../web/server';
import { type Channels, startChannels } from './channels';
import { removeRunInfo, writeRunInfo } from './run-file';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { type DevServer, startDevServer } from './temporal-dev-server';

const channelPortsPath = (dataDir: string) => join(dataDir, 'channel-ports.json');

async function readChannelPorts(dataDir: string): Promise<{ web?: number; mail?: number } | undefined> {
  const path = channelPortsPath(dataDir);
  if (!existsSync(path)) return undefined;
  const ports = JSON.parse(await readFile(path, 'utf8')) as { web?: unknown; mail?: unknown };
  const valid = (p: unknown) => (typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536 ? p : undefined);
  return { web: valid(ports.web), mail: valid(ports.mail) };
}

export interface EmbeddedService {
  server: DevServer;
  smtp: SmtpSink;
  worker: RunningWorker;
  channels: Channels;
  /** Where every delivered mail is kept as its own .eml file. */
  sentDir: string;
  stop(): Promise<void>;
}

/**
 * The whole service on embedded defaults, as `torimatome dev`, the demo and the tests run it: a
 * Temporal dev server on SQLite in the data directory, the SMTP sink, the web server, the SMTP
 * listener for mail replies and the worker, with `<data dir>/run.json` telling every other
 * command where they are.
 */
export async function startEmbeddedService(
  dataDir: string,
  opts: { ui: boolean; log?: (line: string) => void; env?: NodeJS.ProcessEnv },
): Promise<EmbeddedService> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const sentDir = join(dataDir, 'mail', 'sent');
  const server = await startDevServer({ dbFile: join(dataDir, 'temporal', 'temporal.sqlite'), ui: opts.ui, log: opts.log });
  const smtp = await startSmtpSink({ sentDir });
  const temporal = { address: server.address, namespace: server.namespace };
  const client = await connectClient(temporal);
  // Links and reply addresses in mails already sent name these ports: a restart keeps them if it can.
  const earlier = await readChannelPorts(dataDir);
  const host = (name: string) => env[name] || '127.0.0.1';
  const port = async (name: string, previous: number | undefined, hostName: string) =>
    env[name] ? Number.parseInt(env[name], 10) : portIfFree(host(hostName), previous ?? 0);
  const channels = await startChannels({
    dataDir,
    client,
    smtpUrl: smtp.url,
    inbound: inboundSettings(env),
    web: { host: host('TORIMATOME_WEB_HOST'), port: await port('TORIMATOME_WEB_PORT', earlier?.web, 'TORIMATOME_WEB_HOST'), trustProxy: trustProxySetting(env) },
    mail: { host: host('TORIMATOME_MAIL_HOST'), port: await port('TORIMATOME_MAIL_PORT', earlier?.mail, 'TORIMATOME_MAIL_HOST'), limits: listenerLimits(env) },
    imap: imapMailboxFromEnv(env),
    log,
  });
  await writeFileAtomic(channelPortsPath(dataDir), `${JSON.stringify({ web: channels.web.port, mail: channels.mail?.port })}\n`);
  const inbound = inboundSettings(env, channels.web.url);
  const worker = await startWorker({ temporal, smtpUrl: smtp.url, inbound, worker: workerSettings(env), source: 'run.json' }, dataDir);
  await writeRunInfo(dataDir, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    dataDir,
    temporal: { ...temporal, uiUrl: server.uiUrl },
    smtp: { host: smtp.host, port: smtp.port },
    web: { url: channels.web.url },
    inboundMail: channels.mail && { host: channels.mail.host, port: channels.mail.port },
  });
  return {
    server,
    smtp,
    worker,
    channels,
    sentDir,
    async stop() {
      await worker.stop();
      await channels.stop();
      await client.connection.close();
      await smtp.stop();
      await server.stop();
      await removeRunInfo(dataDir);
    },
  };
}
