import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type OutboxEntry, readOutboxRecord } from '../store/outbox';
import { divisionWorkflowId } from '../domain/workflow-ids';
import { japaneseDateTime } from '../domain/japanese-date';
import { type AttemptRecord, type DivisionStatus, divisionStatusQuery, extendDeadlineSignal, remindNowSignal } from '../workflows/definitions';
import { signalsReceived } from './workflow-history';
import { openStore } from '../store/open-store';

/**
 * A division's timeline on the reform office's page, from the three places that keep it: the
 * division workflow's log (attempts, send-backs, the excuse), the signals in its history
 * (deadlines moved, reminders asked for, with who did it), and the mails in the cycle's outbox.
 */

export interface TimelineEvent {
  at: string;
  what: string;
  by?: string;
  detail?: string;
}

const RESULT_TEXTS: Record<AttemptRecord['result'], (attempt: number) => string> = {
  accepted: (n) => `${n}回目の提出: 受け付けました`,
  held: (n) => `${n}回目の提出: 確認事項があり、説明を待っています`,
  refused: (n) => `${n}回目の提出: 不備があり、受け付けませんでした`,
  sentBack: (n) => `${n}回目の回答を差し戻しました`,
  excused: () => '提出を免除しました',
};

/** A log entry in words: what happened to which attempt. */
export function logText(entry: AttemptRecord): string {
  return RESULT_TEXTS[entry.result](entry.attempt);
}

const MAIL_KINDS: Record<string, string> = {
  request: '依頼',
  rung: '督促（自動）',
  remind: '督促',
  sendback: '差戻し',
  result: '取りまとめ結果',
};

async function mailEvents(dataDir: string, cycleId: string, entries: readonly OutboxEntry[]): Promise<TimelineEvent[]> {
  return Promise.all(
    entries.map(async (entry) => {
      const mail = (await readOutboxRecord(openStore(dataDir), cycleId, entry.key))!;
      const cc = mail.cc.length ? `（CC: ${mail.cc.join('、')}）` : '';
      return { at: mail.sentAt, what: `メール（${MAIL_KINDS[entry.kind] ?? entry.kind}）: ${mail.subject}`, detail: `宛先: ${mail.to.join('、')}${cc}` };
    }),
  );
}

/** Moved deadlines and reminders asked for; undefined when Temporal no longer keeps the division's history. */
async function signalEvents(client: Client, cycleId: string, divisionId: string): Promise<TimelineEvent[] | undefined> {
  const signals = await signalsReceived(client, divisionWorkflowId(cycleId, divisionId), [extendDeadlineSignal.name, remindNowSignal.name]);
  return signals?.map(({ name, at, args }) => {
    const { actor, deadline } = args as { actor: string; deadline?: string };
    return name === extendDeadlineSignal.name
      ? { at, what: '提出期限を変更しました', by: actor, detail: `新しい期限: ${japaneseDateTime(deadline!)}` }
      : { at, what: '督促を指示しました', by: actor };
  });
}

/**
 * The division's own status, whose log has every attempt; the cycle's copy, which lacks the
 * attempts that changed nothing, once Temporal has forgotten the division.
 */
export async function ownStatus(client: Client, cycleId: string, fromCycle: DivisionStatus): Promise<{ division: DivisionStatus; own: boolean }> {
  try {
    return { division: await client.workflow.getHandle(divisionWorkflowId(cycleId, fromCycle.divisionId)).query(divisionStatusQuery), own: true };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { division: fromCycle, own: false };
    throw err;
  }
}

export async function divisionTimeline(
  client: Client,
  dataDir: string,
  cycleId: string,
  division: DivisionStatus,
  entries: readonly OutboxEntry[],
): Promise<{ events: TimelineEvent[]; historyKept: boolean }> {
  const logged = (division.log ?? []).map((l) => ({ at: l.at, what: logText(l), by: l.by, detail: l.note && `理由: ${l.note}` }));
  const [mails, signals] = await Promise.all([
    mailEvents(dataDir, cycleId, entries.filter((e) => e.divisionId === division.divisionId)),
    signalEvents(client, cycleId, division.divisionId),
  ]);
  const events = [...logged, ...mails, ...(signals ?? [])].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return { events, historyKept: signals !== undefined };
}
