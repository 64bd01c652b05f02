import { readFile } from 'node:fs/promises';
import { type AddressObject, simpleParser } from 'mailparser';
import { listSentMail } from './smtp-sink';

export interface SentMail {
  file: string;
  messageId: string;
  subject: string;
  to: string[];
  cc: string[];
  replyTo: string[];
  inReplyTo?: string;
  text: string;
  attachments: Array<{ filename: string; content: Buffer }>;
}

const addresses = (field: AddressObject | AddressObject[] | undefined): string[] =>
  field ? (Array.isArray(field) ? field : [field]).flatMap((a) => a.value.flatMap((v) => (v.address ? [v.address] : []))) : [];

/** Every mail the SMTP sink kept, parsed, in the order it arrived. */
export async function readSentMail(sentDir: string): Promise<SentMail[]> {
  const mails: SentMail[] = [];
  for (const file of await listSentMail(sentDir)) {
    const mail = await simpleParser(await readFile(file));
    mails.push({
      file,
      messageId: mail.messageId ?? '',
      subject: mail.subject ?? '',
      to: addresses(mail.to),
      cc: addresses(mail.cc),
      replyTo: addresses(mail.replyTo),
      inReplyTo: mail.inReplyTo,
      text: mail.text ?? '',
      attachments: mail.attachments.map((a) => ({ filename: a.filename ?? '', content: a.content })),
    });
  }
  return mails;
}
