import { z } from 'zod';
import { cycleKeys } from './file-store';
import { type ObjectStore, readJson } from './object-store';

/**
 * A cycle's outbox: one record per mail sent, under a key that says what the mail is, so that
 * a retried activity finds the mail it sent and sends nothing. The key is built and read here
 * alone; the pages and `cycle status` learn from it who was sent what.
 */
export type OutboxMail =
  | { kind: 'request'; divisionId: string; sheetSha256: string }
  | { kind: 'sendback'; divisionId: string; sheetVersion: number }
  // A rung goes once per deadline: an extension plans the ladder, and its mails, anew.
  | { kind: 'rung'; divisionId: string; rung: number; deadline: string }
  | { kind: 'remind'; divisionId: string; seq: number }
  | { kind: 'result'; divisionId: string };

export type OutboxKind = OutboxMail['kind'];

export function outboxKey(mail: OutboxMail): string {
  switch (mail.kind) {
    case 'request':
      return `request.${mail.divisionId}.${mail.sheetSha256.slice(0, 12)}`;
    case 'sendback':
      return `sendback.${mail.divisionId}.v${mail.sheetVersion}`;
    case 'rung':
      return `rung.${mail.divisionId}.${mail.rung}.${deadlineDigits(mail.deadline)}`;
    case 'remind':
      return `remind.${mail.divisionId}.${mail.seq}`;
    case 'result':
      return `result.${mail.divisionId}`;
  }
}

const deadlineDigits = (deadline: string) => deadline.replace(/[^0-9]/g, '');

/** A mail in a cycle's outbox, told from its key. */
export interface OutboxEntry {
  key: string;
  kind: OutboxKind;
  divisionId: string;
  /** For a ladder mail: its rung, and the deadline it was planned from (its digits). */
  rung?: number;
  deadlineDigits?: string;
}

const KINDS: ReadonlySet<string> = new Set<OutboxKind>(['request', 'sendback', 'rung', 'remind', 'result']);

export function parseOutboxKey(key: string): OutboxEntry | undefined {
  const [kind, divisionId, ...rest] = key.split('.');
  if (!kind || !KINDS.has(kind) || !divisionId) return undefined;
  const rung = kind === 'rung' && rest.length === 2 && rest.every((p) => /^\d+$/.test(p)) ? rest : undefined;
  return { key, kind: kind as OutboxKind, divisionId, rung: rung ? Number(rung[0]) : undefined, deadlineDigits: rung?.[1] };
}

export async function outboxEntries(store: ObjectStore, cycleId: string): Promise<OutboxEntry[]> {
  const folder = `${cycleKeys(cycleId).outbox}/`;
  return (await store.list(folder)).flatMap((key) => {
    const name = key.slice(folder.length);
    const entry = name.endsWith('.json') ? parseOutboxKey(name.slice(0, -'.json'.length)) : undefined;
    return entry ? [entry] : [];
  });
}

/** The highest rung of the ladder each division has been sent. */
export async function rungsReached(store: ObjectStore, cycleId: string): Promise<Map<string, number>> {
  const reached = new Map<string, number>();
  for (const { divisionId, rung } of await outboxEntries(store, cycleId)) {
    if (rung !== undefined) reached.set(divisionId, Math.max(reached.get(divisionId) ?? 0, rung));
  }
  return reached;
}

/** What the outbox keeps of a mail sent: enough to tell the division's timeline and to answer a retry. */
export const OutboxRecord = z.object({
  key: z.string(),
  messageId: z.string(),
  from: z.string().optional(),
  subject: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()).default([]),
  attachments: z.array(z.object({ filename: z.string(), sha256: z.string() })).default([]),
  sentAt: z.string(),
  accepted: z.unknown().optional(),
});
export type OutboxRecord = z.infer<typeof OutboxRecord>;

export async function readOutboxRecord(store: ObjectStore, cycleId: string, key: string): Promise<OutboxRecord | undefined> {
  const found = await readJson<unknown>(store, cycleKeys(cycleId).outboxRecord(key));
  return found === undefined ? undefined : OutboxRecord.parse(found);
}

/** The first record of a mail is the one kept: a second worker that sent it too does not hide the first. */
export async function writeOutboxRecord(store: ObjectStore, cycleId: string, record: OutboxRecord): Promise<void> {
  await store.put(cycleKeys(cycleId).outboxRecord(record.key), `${JSON.stringify(record, null, 2)}\n`, { ifAbsent: true });
}

/** A mail the relay refused or could not be reached for, kept until it goes through. */
export interface MailFailure {
  key: string;
  to: string[];
  firstFailedAt: string;
  lastFailedAt: string;
  failures: number;
  error: string;
}

/** Counts one more failure of a mail, keeping when it first failed. */
export async function recordMailFailure(store: ObjectStore, cycleId: string, failed: { key: string; to: string[]; error: string }, now = new Date().toISOString()): Promise<void> {
  const key = cycleKeys(cycleId).mailFailure(failed.key);
  const earlier = await readJson<MailFailure>(store, key);
  const record: MailFailure = { ...failed, firstFailedAt: earlier?.firstFailedAt ?? now, lastFailedAt: now, failures: (earlier?.failures ?? 0) + 1 };
  await store.put(key, `${JSON.stringify(record, null, 2)}\n`);
}

export async function clearMailFailure(store: ObjectStore, cycleId: string, key: string): Promise<void> {
  await store.delete(cycleKeys(cycleId).mailFailure(key));
}

export async function mailFailures(store: ObjectStore, cycleId: string): Promise<MailFailure[]> {
  const keys = await store.list(`${cycleKeys(cycleId).mailFailures}/`);
  const found = await Promise.all(keys.map((key) => readJson<MailFailure>(store, key)));
  return found.flatMap((f) => (f ? [f] : []));
}
