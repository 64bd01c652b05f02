import { connect, type Socket } from 'node:net';

/**
 * An SMTP client speaking the protocol line by line, for what nodemailer will not send: a null
 * sender, a message that ignores the advertised SIZE, a session held open.
 */
export class SmtpSession {
  private received = '';
  private waiting?: (reply: string) => void;
  private readonly replies: string[] = [];
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1');
      // A reply ends with a line whose code is followed by a space (RFC 5321 4.2.1).
      for (let end = this.received.search(/^\d{3}(?: [^\r\n]*)?\r\n/m); end >= 0; end = this.received.search(/^\d{3}(?: [^\r\n]*)?\r\n/m)) {
        const stop = this.received.indexOf('\r\n', end) + 2;
        this.deliver(this.received.slice(0, stop).trimEnd());
        this.received = this.received.slice(stop);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      this.deliver('(closed)');
    });
    socket.on('error', () => undefined);
  }

  private deliver(reply: string): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(reply);
    else this.replies.push(reply);
  }

  /** The next reply, whole (every line of a multi-line one). */
  reply(): Promise<string> {
    const queued = this.replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve('(closed)');
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Whether a reply has come that nobody has read yet. */
  get hasReply(): boolean {
    return this.replies.length > 0;
  }

  static async open(port: number): Promise<{ session: SmtpSession; greeting: string }> {
    const socket = connect(port, '127.0.0.1');
    const session = new SmtpSession(socket);
    return { session, greeting: await session.reply() };
  }

  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** Writes without waiting for a reply; false once the socket can take no more. */
  write(data: Buffer | string): Promise<boolean> {
    if (this.closed || this.socket.destroyed) return Promise.resolve(false);
    if (this.socket.write(data)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done).off('close', done);
        resolve(!this.closed);
      };
      this.socket.on('drain', done).on('close', done);
    });
  }

  /** EHLO, MAIL FROM, RCPT TO and DATA; the reply to the message, or the first that refused. */
  async send(envelope: { from: string; to: string }, raw: Buffer): Promise<string> {
    for (const line of ['EHLO tester.example', `MAIL FROM:<${envelope.from}>`, `RCPT TO:<${envelope.to}>`, 'DATA']) {
      const reply = await this.command(line);
      if (!/^(250|354)/.test(reply)) return reply;
    }
    const text = raw.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.socket.write(Buffer.from(`${text}${text.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1'));
    return this.reply();
  }

  close(): void {
    this.socket.destroy();
  }
}
