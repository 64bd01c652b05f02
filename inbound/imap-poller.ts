import { ImapFlow, type ImapFlowError } from 'imapflow';
import { z } from 'zod';

/** The mailbox divisions' replies land in, on the city's own mail server. */
export interface ImapMailbox {
  host: string;
  port: number;
  /** TLS from the first byte (imaps, usually port 993); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user: string;
  pass: string;
  /** Default INBOX. */
  mailbox?: string;
}

export interface ImapPollerOptions {
  mailbox: ImapMailbox;
  /** Takes one raw RFC 5322 message; must be idempotent (by Message-ID), since a crash between its end and the flag repeats it. */
  handle: (raw: Buffer) => Promise<void>;
  /** The pause between passes, cut short when the server announces new mail. Default 30 s. */
  intervalMs?: number;
  log?: (line: string) => void;
}

export interface ImapPoller {
  /**
   * Runs a pass after the one in progress, if any, so that every message already in the mailbox
   * has been taken when it resolves; with the number of messages handled in the meantime.
   */
  pollOnce(): Promise<number>;
  /** Ends the loop after the message in hand, and logs out. Safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * The keyword a message gets once `handle` has taken it. A keyword of our own rather than \Seen,
 * so that a person reading the mailbox in a mail program neither hides replies from the service
 * nor has them taken again.
 */
export const HANDLED_FLAG = '$TorimatomeHandled';
const SEEN = '\\Seen';

const DEFAULT_INTERVAL_MS = 30_000;
const MAX_BACKOFF_MS = 60_000;
const AUTO_IDLE_DELAY_MS = 1_000;

/**
 * Feeds every message of an IMAP mailbox to `handle`, once, in UID order, across restarts: the
 * mailbox itself records what was handled, with a flag set only after `handle` resolved. A
 * message whose `handle` throws stays unflagged and is taken again at the next pass.
 *
 * Resolves once logged in and the mailbox is open, so a wrong address, password or mailbox
 * name shows at start; a connection lost later is retried with backoff.
 */
export async function startImapPoller(opts: ImapPollerOptions): Promise<ImapPoller> {
  const { mailbox, handle } = opts;
  const path = mailbox.mailbox ?? 'INBOX';
  const intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
  const where = `${mailbox.user}@${mailbox.host}:${mailbox.port}/${path}`;
  const log = (line: string) => opts.log?.(`IMAP ${where}: ${line}`);

  let client: ImapFlow | undefined;
  let stopped = false;
  let warnedNoKeywords = false;

  async function connected(): Promise<ImapFlow> {
    if (client?.usable) return client;
    const dead = client;
    client = undefined;
    dead?.close();
    const fresh = new ImapFlow({
      host: mailbox.host,
      port: mailbox.port,
      secure: mailbox.secure,
      auth: { user: mailbox.user, pass: mailbox.pass },
      logger: false,
      // Auto-IDLE never starts while a pass holds the mailbox lock, so it can start soon after
      // one: new mail then wakes the loop at once instead of after the pause.
      autoIdleDelay: AUTO_IDLE_DELAY_MS,
    });
    // Without a listener, an 'error' event would end the whole process.
    fresh.on('error', (err: Error) => log(`connection error: ${explain(err)}`));
    // While the mailbox sits selected between passes, imapflow IDLEs on it and hears new mail.
    fresh.on('exists', () => wake());
    fresh.on('close', () => {
      if (client !== fresh) return;
      client = undefined;
      if (stopped) return;
      log('the connection was closed; reconnecting');
      wake();
    });
    try {
      await fresh.connect();
    } catch (err) {
      fresh.close();
      throw err;
    }
    client = fresh;
    return fresh;
  }

  /** Our keyword where the mailbox keeps keywords, \Seen where it refuses them. */
  function handledFlag(imap: ImapFlow): string {
    const permanent = imap.mailbox ? imap.mailbox.permanentFlags : undefined;
    if (!permanent || permanent.has('\\*') || permanent.has(HANDLED_FLAG)) return HANDLED_FLAG;
    if (!warnedNoKeywords) {
      warnedNoKeywords = true;
      log(`the server does not keep the keyword ${HANDLED_FLAG}; handled messages are marked \\Seen instead, so do not read this mailbox with a mail program`);
    }
    return SEEN;
  }

  async function pass(): Promise<void> {
    if (stopped) return;
    const imap = await connected();
    const lock = await imap.getMailboxLock(path);
    try {
      // A selected mailbox learns of new mail only when the server syncs it; SEARCH alone may not.
      await imap.noop();
      const flag = handledFlag(imap);
      const found = await imap.search(flag === SEEN ? { seen: false } : { unKeyword: flag }, { uid: true });
      if (!Array.isArray(found)) throw new Error('the server refused the search for unhandled messages');
      for (const uid of found.sort((a, b) => a - b)) {
        if (stopped) break;
        if (await take(imap, uid, flag)) handledTotal++;
      }
    } finally {
      lock.release();
    }
  }

  async function take(imap: ImapFlow, uid: number, flag: string): Promise<boolean> {
    // imapflow fetches with BODY.PEEK, so even the \Seen fallback is set only by us, after handle.
    const message = await imap.fetchOne(String(uid), { source: true }, { uid: true });
    if (!message || !message.source) {
      log(`message UID ${uid} was removed before it could be read; skipping it`);
      return false;
    }
    try {
      await handle(message.source);
    } catch (err) {
      log(`handling message UID ${uid} failed; it stays unhandled and is taken again at the next pass: ${explain(err)}`);
      return false;
    }
    if (!(await imap.messageFlagsAdd(String(uid), [flag], { uid: true }))) {
      throw new Error(`the server refused to mark message UID ${uid} as handled`);
    }
    return true;
  }

  // Passes run one at a time, in the order asked for, whether by the loop or by pollOnce.
  let queue: Promise<unknown> = Promise.resolve();
  function passAfterOthers(): Promise<void> {
    const next = queue.then(pass);
    queue = next.catch(() => undefined);
    return next;
  }

  // Counted across passes: the pass in progress when pollOnce is called may take some of the
  // messages pollOnce is asked about.
  let handledTotal = 0;
  async function pollOnce(): Promise<number> {
    if (stopped) throw new Error(`the IMAP poller for ${where} is stopped`);
    const before = handledTotal;
    await passAfterOthers();
    return handledTotal - before;
  }

  // New mail or a lost connection cut the pause between passes short; nothing cuts a backoff
  // short but stop(), or a server that drops every connection would be hammered.
  let wakeRequested = false;
  let interruptPause: (() => void) | undefined;
  function wake(): void {
    wakeRequested = true;
    interruptPause?.();
  }
  function pause(ms: number, wakeable: boolean): Promise<void> {
    const over = () => stopped || (wakeable && wakeRequested);
    if (over()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        interruptPause = undefined;
        resolve();
      }
      interruptPause = () => {
        if (over()) done();
      };
    });
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      wakeRequested = false;
      try {
        await passAfterOthers();
        if (failures > 0) log('back in contact with the server');
        failures = 0;
      } catch (err) {
        if (stopped) break;
        failures++;
        const delayMs = Math.min(1_000 * 2 ** (failures - 1), MAX_BACKOFF_MS);
        log(`${explain(err)}; trying again in ${delayMs / 1000} s`);
        await pause(delayMs, false);
        continue;
      }
      await pause(intervalMs, true);
    }
  }

  try {
    const imap = await connected();
    (await imap.getMailboxLock(path)).release();
  } catch (err) {
    client?.close();
    throw new Error(`Cannot open the IMAP mailbox ${where}: ${explain(err)}`);
  }
  log(`watching for replies (every ${intervalMs / 1000} s, and on new mail)`);
  const running = run();

  let stopping: Promise<void> | undefined;
  return {
    pollOnce,
    stop: () =>
      (stopping ??= (async () => {
        stopped = true;
        interruptPause?.();
        await running;
        await queue;
        const last = client;
        client = undefined;
        await last?.logout().catch(() => last.close());
        log('stopped');
      })()),
  };
}

/** imapflow's errors say "Command failed" and keep the server's words aside. */
function explain(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { responseText, code } = err as ImapFlowError;
  return [err.message, responseText, code && `(${code})`].filter(Boolean).join(' ');
}

const ImapUrl = z.url({ protocol: /^imaps?$/, error: 'not an imap:// or imaps:// URL' }).transform((text, ctx): ImapMailbox => {
  const url = new URL(text);
  const secure = url.protocol === 'imaps:';
  const port = url.port ? Number(url.port) : secure ? 993 : 143;
  let parts: { user: string; pass: string; mailbox: string };
  try {
    parts = {
      user: decodeURIComponent(url.username),
      pass: decodeURIComponent(url.password),
      mailbox: decodeURIComponent(url.pathname.replace(/^\//, '')),
    };
  } catch {
    ctx.addIssue({ code: 'custom', message: 'a %-escape in it is broken' });
    return z.NEVER;
  }
  if (!parts.user || !parts.pass) {
    ctx.addIssue({ code: 'custom', message: 'it names no user or no password' });
    return z.NEVER;
  }
  // Node keeps the brackets of an IPv6 address in the host name; connecting wants it bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, secure, user: parts.user, pass: parts.pass, mailbox: parts.mailbox || 'INBOX' };
});

/**
 * The mailbox TORIMATOME_IMAP_URL names (imap://user:pass@host:143/INBOX, or imaps:// for TLS
 * on 993; user and password %-escaped), or undefined when it is not set.
 */
export function imapMailboxFromEnv(env: NodeJS.ProcessEnv = process.env): ImapMailbox | undefined {
  const text = env.TORIMATOME_IMAP_URL?.trim();
  if (!text) return undefined;
  const parsed = ImapUrl.safeParse(text);
  if (!parsed.success) {
    // The value holds a password: the message names the problem, never the value.
    const problems = parsed.error.issues.map((issue) => issue.message).join('; ');
    throw new Error(`TORIMATOME_IMAP_URL is not usable (${problems}): expected imap://user:password@host:143/INBOX, or imaps://user:password@host:993/INBOX for TLS, with special characters in the user and password %-escaped`);
  }
  return parsed.data;
}
