import { existsSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { writeFileAtomic } from '../master/store';
import { cycleFiles } from './file-store';

export interface OutgoingMail {
  /** Unique per message the service means to send once: `request.somu.v1`. */
  key: string;
  from: string;
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  attachments?: Array<{ filename: string; content: Buffer }>;
}

export interface Mailer {
  /** Sends unless this cycle's outbox already records the key; true when it sent. */
  sendOnce(dataDir: string, cycleId: string, mail: OutgoingMail): Promise<boolean>;
  close(): void;
}

/**
 * An activity may run again after it sent (the worker died before reporting). The outbox record
 * is checked before sending and written right after, and the Message-ID is derived from the key,
 * so a receiving server that saw the first copy can drop a second.
 */
export function createMailer(smtpUrl: string): Mailer {
  const transport = nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: 4 });
  return {
    async sendOnce(dataDir, cycleId, mail) {
      const record = cycleFiles(dataDir, cycleId).outboxRecord(mail.key);
      if (existsSync(record)) return false;
      const domain = mail.from.split('@')[1] ?? 'torimatome.invalid';
      const messageId = `<${cycleId}.${mail.key}@${domain}>`;
      const info = await transport.sendMail({ ...mail, messageId });
      await writeFileAtomic(
        record,
        `${JSON.stringify({ key: mail.key, messageId, from: mail.from, to: mail.to, cc: mail.cc ?? [], subject: mail.subject, sentAt: new Date().toISOString(), accepted: info.accepted }, null, 2)}\n`,
      );
      return true;
    },
    close: () => transport.close(),
  };
}
