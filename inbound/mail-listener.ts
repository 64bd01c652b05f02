import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { wholeNumberSetting } from '../worker/settings';
import { listenSmtp } from '../stack/smtp-listen';
import { MessageWindows } from './mail-rate';
import { plainAddress } from './mail-sender';

/**
 * The SMTP listener the return address's mail is delivered to (the embedded default; a city's
 * own mail server is read by the IMAP poller instead). A message is answered 250 only once it
 * has been handled; when handling fails (Temporal down, a full disk) it is answered 451, so the
 * sending server keeps it and tries again: nothing is lost. What can never be handled is
 * refused with a 5xx in the session, so no server retries it and nobody is mailed about it:
 * a recipient that is not the return address, a sender address that is not one, a message over
 * the size limit (cut off as soon as it passes it, never buffered).
 */

export interface MailListener {
  host: string;
  port: number;
  stop(): Promise<void>;
}

/** Larger than a 10 MB sheet in base64 with room to spare, so a too-large sheet gets its answer by mail. */
export const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

export interface ListenerLimits {
  /** Sessions open at once; one more is answered 421. */
  maxSessions: number;
  /** Messages one envelope sender may hand in per hour; more are answered 451. */
  perSenderPerHour: number;
  /** Messages all senders together may hand in per minute; more are answered 451. */
  perMinute: number;
  maxMessageBytes: number;
}

// A division hands in a sheet and a few corrections; 2,000 respondents at a deadline are a few per second.
export const LISTENER_LIMITS: Readonly<ListenerLimits> = { maxSessions: 20, perSenderPerHour: 30, perMinute: 300, maxMessageBytes: MAX_MESSAGE_BYTES };
const MAX_RECIPIENTS = 10;
const HOUR_MS = 60 * 60 * 1000;

const LIMIT_VARIABLES = {
  maxSessions: 'TORIMATOME_MAIL_MAX_SESSIONS',
  perSenderPerHour: 'TORIMATOME_MAIL_PER_SENDER_PER_HOUR',
  perMinute: 'TORIMATOME_MAIL_PER_MINUTE',
} as const;

/** The listener's limits, each settable by its environment variable; a bad value is refused at start. */
export function listenerLimits(env: NodeJS.ProcessEnv): ListenerLimits {
  const limits: ListenerLimits = { ...LISTENER_LIMITS };
  for (const [name, variable] of Object.entries(LIMIT_VARIABLES) as Array<[keyof typeof LIMIT_VARIABLES, string]>) {
    const value = wholeNumberSetting(env, variable);
    if (value !== undefined) limits[name] = value;
  }
  return limits;
}

/** What handling a message came to: taken (250), or refused for good (550) with the reason. */
export type Handled = { refused: string } | undefined;

const smtpError = (responseCode: number, message: string) => Object.assign(new Error(message), { responseCode });

export async function startMailListener(opts: {
  handle: (raw: Buffer, envelope: { mailFrom: string; rcptTo: string[] }) => Promise<Handled>;
  /** Whether a RCPT TO address is one this listener takes mail for. */
  acceptRecipient: (address: string) => Promise<boolean>;
  log: (line: string) => void;
  host?: string;
  port?: number;
  limits?: ListenerLimits;
}): Promise<MailListener> {
  const host = opts.host ?? '127.0.0.1';
  const limits = opts.limits ?? LISTENER_LIMITS;
  const perSender = new MessageWindows(limits.perSenderPerHour, HOUR_MS);
  const everyone = new MessageWindows(limits.perMinute, 60 * 1000);
  const handling = new Set<Promise<unknown>>();
  const tooLarge = `message larger than ${limits.maxMessageBytes} bytes`;
  const server: SMTPServer = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    size: limits.maxMessageBytes,
    maxClients: limits.maxSessions,
    onMailFrom(address, _session, callback) {
      // '' is the null sender of a bounce, which must be taken (RFC 5321) and is never answered.
      if (address.address !== '' && !plainAddress(address.address)) return callback(smtpError(550, `sender address not accepted: ${address.address}`));
      if (!everyone.take('')) return callback(smtpError(451, 'too many messages, try again later'));
      if (!perSender.take(address.address.toLowerCase())) return callback(smtpError(451, 'too many messages from this sender, try again later'));
      callback();
    },
    onRcptTo(address, session, callback) {
      if (session.envelope.rcptTo.length >= MAX_RECIPIENTS) return callback(smtpError(452, 'too many recipients'));
      opts.acceptRecipient(address.address).then(
        (accepted) => callback(accepted ? undefined : smtpError(550, `no such mailbox here: ${address.address}`)),
        (err: Error) => {
          opts.log(`inbound mail: recipient check failed, the sender will retry: ${err.stack ?? err.message}`);
          callback(smtpError(451, 'temporary failure, try again later'));
        },
      );
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let bytes = 0;
      let answered = false;
      const answer = (err?: Error) => {
        if (answered) return;
        answered = true;
        callback(err);
      };
      stream.on('data', (chunk: Buffer) => {
        if (answered) return;
        bytes += chunk.length;
        if (bytes <= limits.maxMessageBytes) {
          chunks.push(chunk);
          return;
        }
        chunks.length = 0;
        cutOff(session);
        answer(smtpError(552, tooLarge));
      });
      stream.once('error', (err) => answer(err));
      stream.once('end', () => {
        if (answered) return;
        const envelope = { mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', rcptTo: session.envelope.rcptTo.map((r) => r.address) };
        const work = opts.handle(Buffer.concat(chunks), envelope).then(
          (handled) => answer(handled ? smtpError(550, handled.refused) : undefined),
          (err: Error) => {
            opts.log(`inbound mail: handling failed, the sender will retry: ${err.stack ?? err.message}`);
            answer(smtpError(451, 'temporary failure, try again later'));
          },
        );
        handling.add(work);
        void work.finally(() => handling.delete(work));
      });
    },
  });

  /**
   * Answers 552 at once and hangs up: smtp-server would read the rest of the message to the
   * final dot before answering, however long a sender that ignored the SIZE it was told keeps
   * sending. The connection is found by the session's id, which smtp-server gives both.
   */
  function cutOff(session: SMTPServerSession): void {
    const connection = [...server.connections].find((c) => (c as unknown as { id: string }).id === session.id) as unknown as
      | { send(code: number, text: string): void; close(): void }
      | undefined;
    if (!connection) return;
    connection.send(552, tooLarge);
    connection.close();
  }

  const port = await listenSmtp(server, host, opts.port);
  return {
    host,
    port,
    async stop() {
      await new Promise<void>((resolve) => server.close(resolve));
      await Promise.all(handling);
    },
  };
}
