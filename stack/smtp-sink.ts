import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { writeFileAtomic } from '../store/master-files';
import { listenSmtp } from './smtp-listen';

export interface SmtpSink {
  host: string;
  port: number;
  /** smtp://host:port, for nodemailer's createTransport. */
  url: string;
  /** Stops taking mail and waits until every message received so far is on disk. */
  stop(): Promise<void>;
}

export interface SmtpSinkOptions {
  /** Where each delivered message lands as its own .eml file. */
  sentDir: string;
  host?: string;
  /** 0 or absent: a free port. */
  port?: number;
}

// 000001-20261126T114200123Z-ab12cd.eml: arrival number, arrival time, and a random part.
const SENT_FILE = /^(\d+)-\d{8}T\d{9}Z-[0-9a-f]+\.eml$/;

/**
 * A real SMTP server in this process that keeps every message it is given, standing in for the
 * mail relay in development and tests. Each delivery is a file of its own, named by arrival and
 * never by Message-ID, so a mail sent twice shows as two files: that is how a test sees a
 * duplicate. Anyone may send to anyone in plain text; it listens on loopback only by default.
 */
export async function startSmtpSink(opts: SmtpSinkOptions): Promise<SmtpSink> {
  const host = opts.host ?? '127.0.0.1';
  await mkdir(opts.sentDir, { recursive: true });
  let lastNumber = await highestNumber(opts.sentDir);
  const writing = new Set<Promise<void>>();

  const server = new SMTPServer({
    authOptional: true,
    // Without STARTTLS on offer, nodemailer stays in plain text instead of trying TLS with the
    // server's self-signed test certificate.
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 5_000,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('error', (err) => callback(err));
      stream.once('end', () => {
        // Numbered when the message is complete, the moment the sender is told it was accepted.
        const arrived = new Date();
        const path = join(opts.sentDir, sentFileName(++lastNumber, arrived));
        const write = writeFileAtomic(path, Buffer.concat([envelopeHeaders(session), ...chunks])).then(
          () => callback(),
          (err: Error) => callback(err),
        );
        writing.add(write);
        void write.finally(() => writing.delete(write));
      });
    },
  });
  const port = await listenSmtp(server, host, opts.port);

  let stopping: Promise<void> | undefined;
  return {
    host,
    port,
    url: `smtp://${host}:${port}`,
    stop: () =>
      (stopping ??= (async () => {
        await new Promise<void>((resolve) => server.close(resolve));
        await Promise.all(writing);
      })()),
  };
}

/** The messages under `sentDir`, oldest first. */
export async function listSentMail(sentDir: string): Promise<string[]> {
  const numbered = (await sentFiles(sentDir)).sort((a, b) => a.number - b.number);
  return numbered.map(({ name }) => join(sentDir, name));
}

function sentFileName(number: number, arrived: Date): string {
  const stamp = arrived.toISOString().replace(/[-:.]/g, '');
  return `${String(number).padStart(6, '0')}-${stamp}-${randomBytes(3).toString('hex')}.eml`;
}

async function highestNumber(sentDir: string): Promise<number> {
  return Math.max(0, ...(await sentFiles(sentDir)).map(({ number }) => number));
}

async function sentFiles(sentDir: string): Promise<{ name: string; number: number }[]> {
  let names: string[];
  try {
    names = await readdir(sentDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.flatMap((name) => {
    const match = SENT_FILE.exec(name);
    return match ? [{ name, number: Number(match[1]) }] : [];
  });
}

/**
 * The envelope, which the message itself does not carry: Bcc recipients appear nowhere else.
 * Written as headers on top, as a mail server does on final delivery, so the file stays a
 * plain .eml that any mail reader opens.
 */
function envelopeHeaders(session: SMTPServerSession): Buffer {
  const { mailFrom, rcptTo } = session.envelope;
  const from = mailFrom ? `<${mailFrom.address}>` : '<>';
  const to = rcptTo.map((r) => `<${r.address}>`).join(', ');
  return Buffer.from(`X-Envelope-From: ${from}\r\nX-Envelope-To: ${to}\r\n`);
}
