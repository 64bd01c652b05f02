import type { Client } from '@temporalio/client';
import { createMailer } from '../activities/mailer';
import { type ImapMailbox, type ImapPoller, startImapPoller } from '../inbound/imap-poller';
import { type ListenerLimits, type MailListener, startMailListener } from '../inbound/mail-listener';
import { handleReply, isReturnRecipient, type ReplyDeps } from '../inbound/mail-reply';
import type { InboundSettings } from '../inbound/return-address';
import { loadTokenKey } from '../inbound/return-tokens';
import { startWebServer, type WebServer, type WebServerOptions } from '../web/server';

/**
 * The ways people reach the service besides the CLI: the web server (division pages, the
 * reform office's page) and the SMTP listener that takes mail replies.
 */
export interface Channels {
  web: WebServer;
  mail?: MailListener;
  imap?: ImapPoller;
  stop(): Promise<void>;
}

export interface ChannelOptions {
  dataDir: string;
  client: Client;
  smtpUrl: string;
  inbound: InboundSettings;
  web: WebServerOptions;
  /** Where the SMTP listener for replies listens; absent: none (replies come by IMAP or not at all). */
  mail?: { host?: string; port?: number; limits?: ListenerLimits };
  /** A city's own mailbox for replies, read by IMAP. */
  imap?: ImapMailbox;
  log: (line: string) => void;
}

export async function startChannels(opts: ChannelOptions): Promise<Channels> {
  const tokenKey = await loadTokenKey(opts.dataDir);
  const web = await startWebServer({ dataDir: opts.dataDir, client: opts.client, tokenKey, log: opts.log }, opts.web);
  // Links in answers point at the page; without a public address set, at this server.
  const inbound: InboundSettings = { ...opts.inbound, publicUrl: opts.inbound.publicUrl ?? web.url };
  const mailer = createMailer(opts.smtpUrl);
  const replies: ReplyDeps = { dataDir: opts.dataDir, client: opts.client, mailer, tokenKey, settings: inbound, log: opts.log };
  const mail = opts.mail
    ? await startMailListener({
        ...opts.mail,
        log: opts.log,
        acceptRecipient: (address) => isReturnRecipient(replies, address),
        handle: async (raw, envelope) => {
          const outcome = await handleReply(replies, raw, envelope);
          // The one drop the sending server should hear of: no From could ever be answered.
          return outcome.dropped === 'malformed-from' ? { refused: 'the From header is not one mailbox address that can be answered' } : undefined;
        },
      })
    : undefined;
  const imap = opts.imap
    ? await startImapPoller({
        mailbox: opts.imap,
        log: opts.log,
        handle: async (raw) => {
          await handleReply(replies, raw);
        },
      })
    : undefined;
  let stopping: Promise<void> | undefined;
  return {
    web,
    mail,
    imap,
    stop: () =>
      (stopping ??= (async () => {
        await imap?.stop();
        await mail?.stop();
        await web.stop();
        mailer.close();
      })()),
  };
}
