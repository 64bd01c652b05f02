import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DropReason } from './mail-sender';

/**
 * Mail taken in and dropped unanswered: from outside the city, from a machine, to no return
 * address. Only what tells the reform office what happened is kept, never the message: mail
 * from anyone may not fill the data directory. `cycle status` counts these, so a division
 * whose reply went nowhere can be found and asked.
 */
export interface DroppedMail {
  receivedAt: string;
  reason: DropReason;
  messageId: string;
  /** The From header as it came (cut short), and the envelope sender if known. */
  from: string;
  envelopeFrom?: string;
  to: string[];
  subject: string;
  bytes: number;
}

/** What the reform office reads for each reason. */
export const DROP_REASON_NAMES: Record<DropReason, string> = {
  'malformed-from': '差出人の形式が不正',
  'outside-sender': '市外の差出人',
  'outside-envelope': '配送上の差出人が市外',
  'null-sender': '配送エラー通知',
  'auto-submitted': '自動送信のメール',
  unauthenticated: '差出人を確認できない',
  'own-address': '提出用アドレス自身から',
  'no-return-address': '提出用アドレスあてでない',
  'forged-tag': '宛先のアドレスが正しくない',
};

export const droppedLogPath = (dataDir: string) => join(dataDir, 'inbound', 'dropped.jsonl');
const TEXT_KEPT = 200;

export async function recordDropped(dataDir: string, mail: DroppedMail): Promise<void> {
  const path = droppedLogPath(dataDir);
  await mkdir(dirname(path), { recursive: true });
  const kept = { ...mail, from: mail.from.slice(0, TEXT_KEPT), subject: mail.subject.slice(0, TEXT_KEPT), to: mail.to.slice(0, 10).map((to) => to.slice(0, TEXT_KEPT)) };
  // One line per message, written in one call: lines from two messages never interleave.
  await appendFile(path, `${JSON.stringify(kept)}\n`);
}

/** The mail dropped since `since` (ISO time), oldest first. */
export async function droppedSince(dataDir: string, since: string): Promise<DroppedMail[]> {
  const path = droppedLogPath(dataDir);
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .flatMap((line): DroppedMail[] => {
      // A line cut short by a crash while it was written.
      try {
        return [JSON.parse(line) as DroppedMail];
      } catch {
        return [];
      }
    })
    .filter((mail) => mail.receivedAt >= since);
}
