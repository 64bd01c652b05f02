import type { Client } from '@temporalio/client';
import { type AddressObject, type Attachment, simpleParser } from 'mailparser';
import { sha256 } from '../store/file-store';
import type { Mailer } from '../activities/mailer';
import { loadSnapshot } from '../store/snapshot';
import { divisionById } from '../domain/division-directory';
import { loadDirectory } from '../store/master-files';
import { acceptsReturns } from '../service/accepts-returns';
import { closedRefusal, noAttachmentRefusal, reformOfficeContact, severalAttachmentsRefusal } from '../service/refusals';
import { describeOutcome, submitReturn } from '../service/submit-return';
import { recordDropped } from './dropped-mail';
import { type DropReason, headerValues, judgeSender } from './mail-sender';
import { cityDomainsFor, type InboundSettings, isReturnAddress, replyAddress, returnAddressFor, tagOf } from './return-address';
import { findTagTarget, pageToken, returnTag, type ReturnTarget } from './return-tokens';
import { readJson } from '../store/object-store';
import { openStore } from '../store/open-store';

/**
 * A division's reply with its filled sheet, from whichever mailbox it arrived in (the SMTP
 * listener, an IMAP poller): taken once, handed in through the same path as every channel, and
 * answered by mail to the sender. Safe to call again with the same message: a message already
 * answered is recognised by its Message-ID, and the workflow update carries an id derived from
 * it, so even a crash between the two counts the return once.
 */

export interface ReplyDeps {
  dataDir: string;
  client: Client;
  mailer: Pick<Mailer, 'send'>;
  tokenKey: Buffer;
  settings: InboundSettings;
  log: (line: string) => void;
}

export type ReplyDisposition = 'checked' | 'duplicate' | 'dropped' | 'closed' | 'noAttachment' | 'severalAttachments' | 'refused';

export interface ReplyOutcome {
  disposition: ReplyDisposition;
  /** Why a dropped message was dropped. */
  dropped?: DropReason;
  target?: ReturnTarget;
  /** Whom the answer went to, if anyone. */
  answeredTo?: string;
}

/** What is kept of each message taken, so that a second delivery is recognised. */
interface InboundRecord {
  messageId: string;
  from: string;
  receivedAt: string;
  disposition: ReplyDisposition;
  dropped?: DropReason;
  target?: ReturnTarget;
  /** Why the answer could not be sent, when the relay refused its address for good. */
  answerFailed?: string;
}

/** The envelope of a message: on the listener, MAIL FROM ('' for the null sender) and RCPT TO. */
export interface ReplyEnvelope {
  mailFrom?: string;
  rcptTo?: string[];
}

// Every mail taken is kept in the run store, so that a second listener does not take it again.
const inboundKey = (key: string, extension: 'json' | 'eml') => `inbound/mail/${key}.${extension}`;

const addressesOf = (field: AddressObject | AddressObject[] | undefined): string[] =>
  field ? (Array.isArray(field) ? field : [field]).flatMap((a) => a.value.flatMap((v) => (v.address ? [v.address] : []))) : [];

/** Pictures in a signature or pasted in the body come as inline parts; only real attachments count. */
function attachedFiles(attachments: Attachment[]): Attachment[] {
  return attachments.filter((a) => !(a.related || (a.contentDisposition === 'inline' && a.contentType.startsWith('image/'))));
}

const SHEET_EXPLAIN = '様式の「説明」列に各項目の理由を書き、このメールに添付して返信してください（専用ページの欄にも書けます）:';

/** A relay's answer that will not change on a retry: a 5xx, or an address it cannot route. */
const isPermanent = (err: unknown) => {
  const failure = err as { responseCode?: number; code?: string };
  return (failure.responseCode ?? 0) >= 500 || failure.code === 'EENVELOPE';
};

/** Whether mail to `address` reaches this listener: the return address, plain or with a tag. */
export async function isReturnRecipient(deps: Pick<ReplyDeps, 'dataDir' | 'settings'>, address: string): Promise<boolean> {
  const { directory } = await loadDirectory(openStore(deps.dataDir));
  return isReturnAddress(address, returnAddressFor(deps.settings, directory));
}

export async function handleReply(deps: ReplyDeps, raw: Buffer, envelope: ReplyEnvelope = {}): Promise<ReplyOutcome> {
  const mail = await simpleParser(raw);
  const messageId = mail.messageId ?? `<sha256-${sha256(raw)}@torimatome.invalid>`;
  const key = sha256(messageId);
  const store = openStore(deps.dataDir);
  const earlier = await readJson<InboundRecord>(store, inboundKey(key, 'json'));
  if (earlier) {
    deps.log(`mail ${messageId}: already taken, not again`);
    return { disposition: 'duplicate', dropped: earlier.dropped, target: earlier.target };
  }
  const record = async (outcome: ReplyOutcome & { from: string; answerFailed?: string }): Promise<ReplyOutcome> => {
    const { answeredTo, from, ...kept } = outcome;
    const entry: InboundRecord = { messageId, from, receivedAt: new Date().toISOString(), ...kept };
    await store.put(inboundKey(key, 'json'), `${JSON.stringify(entry, null, 2)}\n`, { ifAbsent: true });
    deps.log(`mail ${messageId} from ${from || '(no sender)'}: ${outcome.disposition}${outcome.dropped ? ` (${outcome.dropped})` : ''}`);
    return { disposition: outcome.disposition, dropped: outcome.dropped, target: outcome.target, answeredTo };
  };

  const { directory: current } = await loadDirectory(openStore(deps.dataDir));
  const returnAddress = returnAddressFor(deps.settings, current);
  const recipients = [...(envelope.rcptTo ?? []), ...addressesOf(mail.to), ...addressesOf(mail.cc)];
  const verdict = judgeSender({
    headerLines: mail.headerLines,
    envelopeFrom: envelope.mailFrom,
    cityDomains: cityDomainsFor(deps.settings, current),
    returnAddress,
    trustedAuthservId: deps.settings.trustedAuthservId,
  });
  const tags = recipients.flatMap((r) => tagOf(r, returnAddress) ?? []);
  const target = verdict.answerable && tags.length > 0 ? await findTagTarget(deps.dataDir, deps.tokenKey, tags[0]!) : undefined;
  if (!verdict.answerable || !target) {
    const reason: DropReason = !verdict.answerable ? verdict.reason : tags.length === 0 ? 'no-return-address' : 'forged-tag';
    const from = headerValues(mail.headerLines, 'from').join(', ');
    // Never answered, never kept: an answer to a stranger is spam sent in the city's name.
    await recordDropped(deps.dataDir, { receivedAt: new Date().toISOString(), reason, messageId, from, envelopeFrom: envelope.mailFrom, to: recipients, subject: mail.subject ?? '', bytes: raw.length });
    return record({ disposition: 'dropped', dropped: reason, from: from.slice(0, 200) });
  }
  const from = verdict.address;
  // The message itself is kept first: whatever happens next, nothing a division sent is lost.
  await store.put(inboundKey(key, 'eml'), raw, { ifAbsent: true });
  const subject = mail.subject ?? '';

  const finish = async (disposition: ReplyDisposition, answer: { subject: string; lines: string[]; target?: ReturnTarget }): Promise<ReplyOutcome> => {
    const answered = answer.target;
    const pageLine = answered && deps.settings.publicUrl ? ['', '回答の状況は専用ページでも確認できます:', new URL(`/r/${pageToken(deps.tokenKey, answered)}`, deps.settings.publicUrl).toString()] : [];
    try {
      await deps.mailer.send({
        // Derived from the message answered, so that an answer sent again after a crash is the same message.
        messageId: `<answer.${key.slice(0, 32)}@${returnAddress.split('@')[1]}>`,
        inReplyTo: messageId,
        from: returnAddress,
        to: [from],
        replyTo: answered ? replyAddress(returnAddress, returnTag(deps.tokenKey, answered)) : undefined,
        subject: answer.subject,
        text: [...answer.lines, ...pageLine, '', '（このメールは torimatome から自動で送信しています）'].join('\n'),
      });
    } catch (err) {
      // A relay that will never take the address: the message is handled all the same, or its
      // sender's server would hand it in again for days.
      if (!isPermanent(err)) throw err;
      return record({ disposition, target: answered, from, answerFailed: (err as Error).message });
    }
    return record({ disposition, target: answered, from, answeredTo: from });
  };
  const reSubject = `Re: ${subject}`.slice(0, 200);

  const snapshot = await loadSnapshot(openStore(deps.dataDir), target.cycleId);
  const divisionName = divisionById(snapshot.directory, target.divisionId).name;
  if (!(await acceptsReturns(deps.client, deps.dataDir, target.cycleId))) {
    return finish('closed', {
      subject: `【受付できません】${reSubject}`,
      lines: [closedRefusal(divisionName, reformOfficeContact(snapshot.directory))],
    });
  }
  const files = attachedFiles(mail.attachments);
  if (files.length === 0) {
    return finish('noAttachment', {
      target,
      subject: `【添付がありません】${reSubject}`,
      lines: [noAttachmentRefusal(divisionName)],
    });
  }
  if (files.length > 1) {
    return finish('severalAttachments', {
      target,
      subject: `【添付が複数あります】${reSubject}`,
      lines: severalAttachmentsRefusal(divisionName, files.map((f) => f.filename ?? '名前なし')),
    });
  }
  const file = files[0]!;
  const outcome = await submitReturn(
    deps.client,
    deps.dataDir,
    { ...target, file: { data: file.content, fileName: file.filename ?? 'attachment.xlsx' }, channel: 'mail', submittedBy: from, updateId: `mail-${key.slice(0, 40)}` },
    { snapshot, acceptsReturns: true },
  );
  const { ok, headline, points } = describeOutcome(outcome, SHEET_EXPLAIN);
  const label = ok ? '受付' : outcome.kind === 'checked' && outcome.result.status === 'held' ? '確認事項あり' : '要修正';
  return finish(outcome.kind === 'checked' ? 'checked' : outcome.reason === 'closed' ? 'closed' : 'refused', {
    target,
    subject: `【${label}】${reSubject}`,
    lines: [headline, ...points.map((p) => `・${p}`)],
  });
}
