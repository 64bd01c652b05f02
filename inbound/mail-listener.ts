import { SMTPServer } from 'smtp-server';
import { listenSmtp } from '../stack/smtp-listen';

/**
 * The SMTP listener the return address's mail is delivered to (the embedded default; a city's
 * own mail server is read by the IMAP poller instead). A message is answered 250 only once it
 * has been handled; when handling fails (Temporal down, a full disk) it is answered 451, so the
 * sending server keeps it and tries again: nothing is lost.
 */

export interface MailListener {
  host: string;
  port: number;
  stop(): Promise<void>;
}

/** Larger than a 10 MB sheet in base64 with room to spare, so a too-large sheet gets its answer by mail. */
export const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

export async function startMailListener(opts: {
  handle: (raw: Buffer, envelope: { rcptTo: string[] }) => Promise<unknown>;
  log: (line: string) => void;
  host?: string;
  port?: number;
}): Promise<MailListener> {
  const host = opts.host ?? '127.0.0.1';
  const handling = new Set<Promise<unknown>>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    size: MAX_MESSAGE_BYTES,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('error', (err) => callback(err));
      stream.once('end', () => {
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error(`message larger than ${MAX_MESSAGE_BYTES} bytes`), { responseCode: 552 }));
          return;
        }
        const work = opts.handle(Buffer.concat(chunks), { rcptTo: session.envelope.rcptTo.map((r) => r.address) }).then(
          () => callback(),
          (err: Error) => {
            opts.log(`inbound mail: handling failed, the sender will retry: ${err.stack ?? err.message}`);
            callback(Object.assign(new Error('temporary failure, try again later'), { responseCode: 451 }));
          },
        );
        handling.add(work);
        void work.finally(() => handling.delete(work));
      });
    },
  });
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
