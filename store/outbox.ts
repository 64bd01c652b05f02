import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { cycleFiles } from './file-store';
import { writeFileAtomic } from './master-files';

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

export function outboxEntries(dataDir: string, cycleId: string): OutboxEntry[] {
  const { outbox } = cycleFiles(dataDir, cycleId);
  if (!existsSync(outbox)) return [];
  return readdirSync(outbox).flatMap((file) => {
    const entry = file.endsWith('.json') ? parseOutboxKey(file.slice(0, -'.json'.length)) : undefined;
    return entry ? [entry] : [];
  });
}

/** The highest rung of the ladder each division has been sent. */
export function rungsReached(dataDir: string, cycleId: string): Map<string, number> {
  const reached = new Map<string, number>();
  for (const { divisionId, rung } of outboxEntries(dataDir, cycleId)) {
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

export async function readOutboxRecord(dataDir: string, cycleId: string, key: string): Promise<OutboxRecord | undefined> {
  const path = cycleFiles(dataDir, cycleId).outboxRecord(key);
  return existsSync(path) ? OutboxRecord.parse(JSON.parse(await readFile(path, 'utf8'))) : undefined;
}

export async function writeOutboxRecord(dataDir: string, cycleId: string, record: OutboxRecord): Promise<void> {
  await writeFileAtomic(cycleFiles(dataDir, cycleId).outboxRecord(record.key), `${JSON.stringify(record, null, 2)}\n`);
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
export async function recordMailFailure(dataDir: string, cycleId: string, failed: { key: string; to: string[]; error: string }, now = new Date().toISOString()): Promise<void> {
  const path = cycleFiles(dataDir, cycleId).mailFailure(failed.key);
  const earlier = existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as MailFailure) : undefined;
  const record: MailFailure = { ...failed, firstFailedAt: earlier?.firstFailedAt ?? now, lastFailedAt: now, failures: (earlier?.failures ?? 0) + 1 };
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
}

export async function clearMailFailure(dataDir: string, cycleId: string, key: string): Promise<void> {
  await rm(cycleFiles(dataDir, cycleId).mailFailure(key), { force: true });
}

export function mailFailures(dataDir: string, cycleId: string): MailFailure[] {
  const dir = cycleFiles(dataDir, cycleId).mailFailures;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as MailFailure);
}
