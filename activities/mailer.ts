import nodemailer from 'nodemailer';
import { sha256 } from '../store/file-store';
import type { ObjectStore } from '../store/object-store';
import { clearMailFailure, readOutboxRecord, recordMailFailure, writeOutboxRecord } from '../store/outbox';

export interface OutgoingMail {
  /** Unique per message the service means to send once (`outboxKey` in store/outbox.ts). */
  key: string;
  from: string;
  to: string[];
  cc?: string[];
  /** The division's own return address, so that a reply hands in the sheet. */
  replyTo?: string;
  subject: string;
  text: string;
  attachments?: Array<{ filename: string; content: Buffer }>;
}

/**
 * What an activity returns of a mail it sent, so that the workflow history itself records who
 * got what: the audit trail is read from the history alone.
 */
export interface MailReceipt {
  key: string;
  messageId: string;
  to: string[];
  cc: string[];
  attachments: Array<{ filename: string; sha256: string }>;
  sentAt: string;
  /** True when an earlier try had sent it already and this one sent nothing. */
  repeated: boolean;
}

export interface Mailer {
  /** Sends unless this cycle's outbox already records the key. */
  sendOnce(store: ObjectStore, cycleId: string, mail: OutgoingMail): Promise<MailReceipt>;
  /** Sends an answer now, marked auto-replied, with the Message-ID given: for answers whose caller keeps its own record. */
  send(mail: Omit<OutgoingMail, 'key'> & { messageId: string; inReplyTo?: string }): Promise<void>;
  close(): void;
}

/**
 * An activity may run again after it sent (the worker died before reporting). The outbox record
 * is checked before sending and written right after, and the Message-ID is derived from the key,
 * so a receiving server that saw the first copy can drop a second.
 */
/** Mails sent at once; also how many a worker killed mid-fan-out can leave in the repeat window. */
export const MAX_SMTP_CONNECTIONS = 4;

export function createMailer(smtpUrl: string): Mailer {
  // nodemailer takes the pool settings from the URL when given one; options beside `url` are ignored.
  const pooled = new URL(smtpUrl);
  pooled.searchParams.set('pool', 'true');
  pooled.searchParams.set('maxConnections', String(MAX_SMTP_CONNECTIONS));
  const transport = nodemailer.createTransport(pooled.toString());
  return {
    async sendOnce(store, cycleId, mail) {
      const earlier = await readOutboxRecord(store, cycleId, mail.key);
      if (earlier) return { key: earlier.key, messageId: earlier.messageId, to: earlier.to, cc: earlier.cc, attachments: earlier.attachments, sentAt: earlier.sentAt, repeated: true };
      const domain = mail.from.split('@')[1] ?? 'torimatome.invalid';
      const messageId = `<${cycleId}.${mail.key}@${domain}>`;
      let info: { accepted: unknown };
      try {
        info = await transport.sendMail({ ...mail, messageId });
      } catch (err) {
        // The activity is retried with backoff; meanwhile `cycle status` can tell the reform
        // office how long mail has been failing, and why.
        await recordMailFailure(store, cycleId, { key: mail.key, to: mail.to, error: (err as Error).message });
        throw err;
      }
      const receipt: MailReceipt = {
        key: mail.key,
        messageId,
        to: mail.to,
        cc: mail.cc ?? [],
        attachments: (mail.attachments ?? []).map((a) => ({ filename: a.filename, sha256: sha256(a.content) })),
        sentAt: new Date().toISOString(),
        repeated: false,
      };
      // The window where a crash repeats a mail: the relay has it, the record below not yet.
      const { repeated: _repeated, ...kept } = receipt;
      await writeOutboxRecord(store, cycleId, { ...kept, from: mail.from, subject: mail.subject, accepted: info.accepted });
      await clearMailFailure(store, cycleId, mail.key);
      return receipt;
    },
    async send(mail) {
      // RFC 3834: an answer says it is one, so that no auto-responder answers it back; Exchange
      // reads the second header for the same.
      await transport.sendMail({ ...mail, references: mail.inReplyTo, headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' } });
    },
    close: () => transport.close(),
  };
}
