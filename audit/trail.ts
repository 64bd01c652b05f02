import { basename } from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import ExcelJS from 'exceljs';
import type { Activities } from '../activities';
import type { MailReceipt } from '../activities/mailer';
import { checkOutcome } from '../domain/division-state';
import type { RungRole } from '../domain/escalation-policy';
import { fiscalYearLabel, parseFiscalYear } from '../domain/fiscal-year';
import { japaneseDateTime } from '../domain/japanese-date';
import { writeCsv } from '../master/plan-csv';
import { xlsxText } from '../master/xlsx-cell';
import { addHeaderRow, rowHeight } from '../sheets/sheet-style';
import type { ReturnProblem } from '../sheets/return-problems';
import type { CloseResult, CycleInput, DivisionInput, ReturnChannel, ReturnSubmission, SubmitResult } from '../workflows/definitions';
import { decodePayloads, type CycleHistories, type WorkflowHistory } from './histories';
import { CHANNEL_NAMES } from '../service/submit-return';

/**
 * The audit trail of a cycle: what was sent to whom, what came back, what the checks found and
 * which reform-office member did what, read from the workflow histories alone. Logs and the
 * outbox can be edited or lost; the history is what the workflows acted on.
 */

/** Every kind of entry, with the name the auditor reads. */
export const TRAIL_KINDS = {
  launch: '照会開始',
  requestMail: '様式送付',
  // The three rung kinds carry the ladder's own names, so a planned rung maps onto its entry.
  reminder: '督促',
  overdue: '期限超過',
  escalation: '上長報告',
  manualReminder: '督促（手動）',
  returnReceived: '回答受付',
  checkResult: '確認結果',
  sendBack: '差戻し',
  extension: '期限延長',
  excuse: '提出免除',
  reassign: '担当替え',
  close: '締切',
  resultMail: '取りまとめ表送付',
} as const;
export type TrailKind = keyof typeof TRAIL_KINDS;

export interface TrailEntry {
  /** ISO instant of the history event the entry stands for. */
  at: string;
  /** '' for what concerns the whole cycle. */
  divisionId: string;
  workflowId: string;
  eventId: number;
  kind: TrailKind;
  /** Who took a reform-office action, or who handed a return in, as the message named them. */
  actor?: string;
  channel?: ReturnChannel;
  recipients?: string[];
  cc?: string[];
  fileSha256?: string;
  fileName?: string;
  result?: string;
  /** Japanese. */
  details: string;
}

const ROLE_NAMES: Record<RungRole, string> = { division: '担当課', divisionHead: '課長', departmentHead: '部長', reformOfficeHead: '行革担当課長' };
const CHECK_RESULTS = { accepted: '受付', held: '確認事項あり', refused: '不備' } as const;
const MAIL_RESULTS = { sent: '送信済み', failed: '送信失敗', pending: '完了記録なし' } as const;

// ---- One history, read into activities, updates and signals with what closed them.

type HistoryEvent = NonNullable<History['events']>[number];

interface ActivityRun {
  name: string;
  input: unknown;
  scheduled: HistoryEvent;
  /** The completion, failure or timeout; absent while the activity had not ended. */
  closed?: HistoryEvent;
  result?: unknown;
  failure?: string;
}

interface UpdateRun {
  name: string;
  arg: unknown;
  accepted: HistoryEvent;
  completed?: HistoryEvent;
  outcome?: { result?: unknown; failure?: string };
}

interface SignalRun {
  name: string;
  arg: unknown;
  event: HistoryEvent;
}

interface ReadHistory {
  started: unknown;
  activities: ActivityRun[];
  updates: UpdateRun[];
  signals: SignalRun[];
  /** What the workflow did in the task that first saw the given message (a handler's synchronous part). */
  commandsFor(message: HistoryEvent): HistoryEvent[];
}

const idOf = (event: HistoryEvent): number => Number(event.eventId);
// Not the SDK's tsToDate: a history read from JSON holds its seconds as plain numbers, not Longs.
const timeOf = (event: HistoryEvent): string => new Date(Number(event.eventTime?.seconds) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6)).toISOString();
const firstOf = (payloads: Parameters<typeof decodePayloads>[0]): unknown => decodePayloads(payloads)[0];

function readHistory(history: History): ReadHistory {
  const events = history.events ?? [];
  const closes = new Map<number, HistoryEvent>();
  const outcomes = new Map<string, HistoryEvent>();
  for (const event of events) {
    const closing = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes ?? event.activityTaskCanceledEventAttributes;
    if (closing?.scheduledEventId != null) closes.set(Number(closing.scheduledEventId), event);
    const completed = event.workflowExecutionUpdateCompletedEventAttributes;
    if (completed?.meta?.updateId) outcomes.set(completed.meta.updateId, event);
  }
  const activities: ActivityRun[] = [];
  const updates: UpdateRun[] = [];
  const signals: SignalRun[] = [];
  for (const event of events) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const closed = closes.get(idOf(event));
      const failure = closed?.activityTaskFailedEventAttributes?.failure ?? closed?.activityTaskTimedOutEventAttributes?.failure;
      activities.push({
        name: scheduled.activityType?.name ?? '',
        input: firstOf(scheduled.input),
        scheduled: event,
        closed,
        result: closed?.activityTaskCompletedEventAttributes ? firstOf(closed.activityTaskCompletedEventAttributes.result) : undefined,
        failure: closed?.activityTaskCanceledEventAttributes ? '取消し' : (failure?.message ?? undefined),
      });
    }
    const accepted = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
    if (accepted) {
      const completedEvent = outcomes.get(accepted.meta?.updateId ?? '');
      const completed = completedEvent?.workflowExecutionUpdateCompletedEventAttributes?.outcome;
      updates.push({
        name: accepted.input?.name ?? '',
        arg: firstOf(accepted.input?.args),
        accepted: event,
        completed: completedEvent,
        outcome: completed ? { result: completed.success ? firstOf(completed.success) : undefined, failure: completed.failure?.message ?? undefined } : undefined,
      });
    }
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal) signals.push({ name: signal.signalName ?? '', arg: firstOf(signal.input), event });
  }
  const taskOf = (event: HistoryEvent) =>
    Number(event.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId ?? event.signalExternalWorkflowExecutionInitiatedEventAttributes?.workflowTaskCompletedEventId ?? -1);
  return {
    started: firstOf(events[0]?.workflowExecutionStartedEventAttributes?.input),
    activities,
    updates,
    signals,
    commandsFor(message) {
      // A message reaches the workflow in the first task started after it; a task that failed
      // hands it on to the next, so the first task that completed after it is the one.
      const task = events.find((e) => Number(e.workflowTaskCompletedEventAttributes?.startedEventId ?? 0) > idOf(message));
      return task ? events.filter((e) => taskOf(e) === idOf(task)) : [];
    },
  };
}

// ---- Entries.

type Base = Pick<TrailEntry, 'divisionId' | 'workflowId'>;

const at = (base: Base, event: HistoryEvent) => ({ ...base, at: timeOf(event), eventId: idOf(event) });

const deadlineText = (deadline: string) => `提出期限 ${japaneseDateTime(deadline)}`;

/** What the history says of a mail: the receipt its activity returned, or, in histories from before receipts, what its input names. */
interface MailRecord {
  receipt?: MailReceipt | null;
  recipients?: string[];
  cc?: string[];
  fileSha256?: string;
  /** Where recipients not from a receipt come from. */
  note?: string;
}

const receiptOf = (run: ActivityRun): MailRecord => ({ receipt: run.result as MailReceipt | null | undefined });

function mailEntry(base: Base, run: ActivityRun, entry: Pick<TrailEntry, 'kind' | 'actor'> & { lines: string[] }, mail: MailRecord): TrailEntry {
  const { receipt } = mail;
  const attachment = receipt?.attachments[0];
  const ended = run.closed ? (run.failure === undefined ? 'sent' : 'failed') : 'pending';
  const note = receipt
    ? `Message-ID: ${receipt.messageId}${receipt.repeated ? '（先の試行で送信済み）' : ''}`
    : ended === 'sent' && !mail.recipients
      ? '宛先の記録なし（送信記録を残す前の版の履歴）'
      : mail.note;
  return {
    ...at(base, run.closed ?? run.scheduled),
    kind: entry.kind,
    actor: entry.actor,
    recipients: receipt?.to ?? mail.recipients ?? [],
    cc: receipt?.cc ?? mail.cc ?? [],
    fileSha256: attachment?.sha256 ?? mail.fileSha256,
    fileName: attachment?.filename,
    result: MAIL_RESULTS[ended],
    details: [...entry.lines, note, run.failure].filter(Boolean).join('\n'),
  };
}

function cycleEntries(workflow: WorkflowHistory): TrailEntry[] {
  const read = readHistory(workflow.history);
  const launch = read.started as CycleInput;
  const cycle: Base = { divisionId: '', workflowId: workflow.workflowId };
  const first = workflow.history.events![0]!;
  const entries: TrailEntry[] = [
    { ...at(cycle, first), kind: 'launch', actor: launch.launchedBy, details: `${fiscalYearLabel(parseFiscalYear(launch.year))}の照会を開始（${deadlineText(launch.deadline)}）` },
  ];
  const consolidated = read.activities.find((a) => a.name === 'consolidateCycle')?.result as CloseResult | undefined;
  for (const update of read.updates) {
    const failure = update.outcome?.failure;
    if (update.name === 'closeCycle') {
      const { actor } = update.arg as { actor: string };
      const result = (update.outcome?.result as CloseResult | undefined) ?? consolidated;
      const summary = result && [
        `締切時刻 ${japaneseDateTime(result.closedAt)}、提出 ${result.returned}課、未提出 ${result.notReturned.length}課${result.notReturned.length ? `（${result.notReturned.join('、')}）` : ''}`,
        `取りまとめ表（Excel）SHA-256 ${result.consolidatedXlsx.sha256}`,
        `取りまとめ表（CSV）SHA-256 ${result.consolidatedCsv.sha256}`,
      ];
      entries.push({
        ...at(cycle, update.accepted),
        kind: 'close',
        actor,
        fileSha256: result?.consolidatedXlsx.sha256,
        fileName: result && basename(result.consolidatedXlsx.path),
        result: failure ? `失敗: ${failure}` : result ? '締切済み' : '締切処理中',
        details: ['照会を締め切り', ...(summary ?? [])].join('\n'),
      });
    } else if (update.name === 'reassignItem') {
      const { no, divisionId, actor } = update.arg as { no: number; divisionId: string; actor: string };
      const moved = update.outcome?.result as { from: string; to: string } | undefined;
      const details = `整理番号${no}の担当を${moved ? `${moved.from}から` : ''}${divisionId}へ変更`;
      const result = failure ? `失敗: ${failure}` : moved ? '変更済み' : '処理中';
      // Both divisions' timelines show the move: one gains the item, the other loses it.
      const divisions = moved && moved.from !== divisionId ? [divisionId, moved.from] : [divisionId];
      for (const id of divisions) entries.push({ ...at({ ...cycle, divisionId: id }, update.accepted), kind: 'reassign', actor, result, details });
    }
  }
  for (const run of read.activities.filter((a) => a.name === 'mailConsolidatedTable')) {
    const input = run.input as Parameters<Activities['mailConsolidatedTable']>[0];
    const recipients = run.result as Record<string, string[]> | null | undefined;
    for (const divisionId of input.divisionIds) {
      entries.push(
        mailEntry({ ...cycle, divisionId }, run, { kind: 'resultMail', lines: ['取りまとめ表を送付'] }, {
          recipients: recipients?.[divisionId],
          fileSha256: input.result.consolidatedXlsx.sha256,
        }),
      );
    }
  }
  return entries;
}

/** A check of one attempt: its result with every problem and warning, or why there is none (still running, or failed for good). */
function checkEntry(division: Base, event: HistoryEvent, attempt: number, submission: ReturnSubmission, check: Pick<SubmitResult, 'status' | 'problems' | 'warnings'> | undefined, failure: string | undefined): TrailEntry {
  const result = !check ? (failure ? '確認できず' : '確認中') : CHECK_RESULTS[check.status];
  const lines = [
    `${attempt}回目の提出を確認`,
    ...(check?.problems ?? []).map((p) => problemText('不備', p)),
    ...(check?.warnings ?? []).map((p) => problemText('確認事項', p)),
    failure,
  ];
  return { ...at(division, event), kind: 'checkResult', channel: submission.channel, fileSha256: submission.file.sha256, fileName: submission.fileName, result, details: lines.filter(Boolean).join('\n') };
}

/** A problem as the division read it, with its cell where the message does not name it already. */
function problemText(label: string, problem: ReturnProblem): string {
  const cell = problem.cell && !problem.message.includes(problem.cell) ? `セル ${problem.cell}: ` : '';
  return `${label}: ${cell}${problem.message}`;
}

function divisionEntries(workflow: WorkflowHistory): TrailEntry[] {
  const read = readHistory(workflow.history);
  const { divisionId, deadline: launchDeadline } = read.started as DivisionInput;
  const division: Base = { divisionId, workflowId: workflow.workflowId };
  const entries: TrailEntry[] = [];
  const sheetVersions = new Map<string, number>();
  const sendBackMails: ActivityRun[] = [];
  // Attempts checked by a scheduled activity; the others were checked locally, in the update's own task, and its outcome is their result.
  const checkedByActivity = new Set<number>();

  for (const run of read.activities) {
    if (run.name === 'prepareSheet' && run.result) {
      sheetVersions.set((run.result as { sha256: string }).sha256, (run.input as { sheetVersion: number }).sheetVersion);
    } else if (run.name === 'sendRequestMail') {
      const input = run.input as Parameters<Activities['sendRequestMail']>[0];
      const version = sheetVersions.get(input.sheet.sha256);
      const lines = [`回答様式${version ? ` 第${version}版` : ''}を送付（${input.role === 'answer' ? '回答依頼' : '参照のみ'}、${deadlineText(input.deadline)}）`];
      entries.push(mailEntry(division, run, { kind: 'requestMail', lines }, { ...receiptOf(run), fileSha256: input.sheet.sha256 }));
    } else if (run.name === 'sendRungMail') {
      const { rung, deadline } = run.input as Parameters<Activities['sendRungMail']>[0];
      const roles = (list: RungRole[]) => list.map((role) => ROLE_NAMES[role]);
      const lines = [`督促の第${rung.rung}段: ${TRAIL_KINDS[rung.kind]}（${deadlineText(deadline)}）`];
      entries.push(
        mailEntry(division, run, { kind: rung.kind, lines }, {
          ...receiptOf(run),
          recipients: roles(rung.to),
          cc: roles(rung.cc),
          note: '宛先は督促設定の区分（送信記録を残す前の版の履歴）',
        }),
      );
    } else if (run.name === 'checkReturn') {
      const { attempt, submission } = run.input as Parameters<Activities['checkReturn']>[0];
      checkedByActivity.add(attempt);
      const check = run.result as Awaited<ReturnType<Activities['checkReturn']>> | undefined;
      entries.push(checkEntry(division, run.closed ?? run.scheduled, attempt, submission, check && { status: checkOutcome(check), ...check }, run.failure));
    } else if (run.name === 'sendBack') {
      sendBackMails.push(run);
    }
  }

  let attempts = 0;
  for (const update of read.updates) {
    if (update.name === 'submitReturn') {
      const submission = update.arg as ReturnSubmission;
      // Attempts are numbered in the order the workflow accepted the submissions.
      const explained = Object.entries(submission.explanations ?? {}).map(([no, text]) => `説明（整理番号${no}）: ${text}`);
      entries.push({
        ...at(division, update.accepted),
        kind: 'returnReceived',
        actor: submission.submittedBy,
        channel: submission.channel,
        fileSha256: submission.file.sha256,
        fileName: submission.fileName,
        result: update.outcome?.failure ? `処理失敗: ${update.outcome.failure}` : undefined,
        details: [`${++attempts}回目の提出を受付（${CHANNEL_NAMES[submission.channel]}、${submission.file.bytes}バイト）`, ...explained].join('\n'),
      });
      if (!checkedByActivity.has(attempts)) {
        entries.push(checkEntry(division, update.completed ?? update.accepted, attempts, submission, update.outcome?.result as SubmitResult | undefined, update.outcome?.failure));
      }
    } else if (update.name === 'sendBack') {
      const { actor, comments } = update.arg as { actor: string; comments: Record<string, string> };
      // One send-back at a time (the next needs a return accepted after it), each sending one mail, in order.
      const mail = sendBackMails.shift();
      const input = mail?.input as Parameters<Activities['sendBack']>[0] | undefined;
      const lines = [`${input ? `${input.attempt}回目の` : ''}回答を差戻し`, ...Object.entries(comments).map(([no, comment]) => `整理番号${no}: ${comment}`)];
      if (mail) lines.push(`差戻しメール（回答様式 第${input!.sheetVersion}版を添付）${mail.closed ? ` ${tokyoTime(timeOf(mail.closed))}` : ''}`);
      const sent = mail && mailEntry(division, mail, { kind: 'sendBack', actor, lines }, receiptOf(mail));
      entries.push({
        kind: 'sendBack',
        actor,
        details: lines.join('\n'),
        ...sent,
        // The action counts from when the workflow accepted it; when its mail went is in the details.
        ...at(division, update.accepted),
        result: update.outcome?.failure ? `失敗: ${update.outcome.failure}` : sent?.result,
      });
    }
  }

  // Each new deadline replaces the one before, whatever the state: the handler always takes it.
  let deadline = launchDeadline;
  for (const signal of read.signals) {
    if (signal.name === 'extendDeadline') {
      const { deadline: extended, actor } = signal.arg as { deadline: string; actor: string };
      entries.push({ ...at(division, signal.event), kind: 'extension', actor, details: `提出期限を ${japaneseDateTime(deadline)} から ${japaneseDateTime(extended)} に変更（${tokyoTime(extended)}）` });
      deadline = extended;
    } else if (signal.name === 'excuse') {
      const { reason, actor } = signal.arg as { reason: string; actor: string };
      // The handler reports the excuse to the cycle at once; without that report it found nothing owed.
      const reported = read.commandsFor(signal.event).some((e) => (firstOf(e.signalExternalWorkflowExecutionInitiatedEventAttributes?.input) as { state?: string } | undefined)?.state === 'excused');
      entries.push({ ...at(division, signal.event), kind: 'excuse', actor, result: reported ? '免除' : '対象外（回答待ちでない）', details: `提出を免除（理由: ${reason}）` });
    }
  }
  // Reminders asked for in one task are sent in the order they were asked for.
  const claimed = new Set<ActivityRun>();
  for (const signal of read.signals.filter((s) => s.name === 'remindNow')) {
    const { actor } = signal.arg as { actor: string };
    const task = new Set(read.commandsFor(signal.event));
    const mail = read.activities.find((a) => a.name === 'sendManualReminder' && task.has(a.scheduled) && !claimed.has(a));
    if (mail) claimed.add(mail);
    entries.push(
      mail
        ? mailEntry(division, mail, { kind: 'manualReminder', actor, lines: [`督促メール（手動）（${deadlineText((mail.input as { deadline: string }).deadline)}）`] }, receiptOf(mail))
        : { ...at(division, signal.event), kind: 'manualReminder', actor, result: '送信なし（回答待ちでない）', details: '督促の指示' },
    );
  }
  return entries;
}

/** Every entry of the cycle, each division's in order of time, the cycle's own first. */
export function buildTrail({ histories }: CycleHistories): TrailEntry[] {
  const entries = histories.flatMap((h) => (h.workflowType === 'cycleWorkflow' ? cycleEntries(h) : h.workflowType === 'divisionWorkflow' ? divisionEntries(h) : []));
  // Ids compare by code unit: a locale's collation would pass over their hyphens.
  const byDivision = (a: TrailEntry, b: TrailEntry) => (a.divisionId < b.divisionId ? -1 : a.divisionId > b.divisionId ? 1 : 0);
  return entries.sort((a, b) => byDivision(a, b) || Date.parse(a.at) - Date.parse(b.at) || a.eventId - b.eventId);
}

// ---- Writers.

/** The instant as Tokyo reads it, still an unambiguous ISO 8601 instant that sorts as text. */
function tokyoTime(iso: string): string {
  return new Date(Date.parse(iso) + 9 * 3600_000).toISOString().replace('Z', '+09:00');
}

const list = (values?: string[]) => (values ?? []).join('、');

const COLUMNS: ReadonlyArray<{ header: string; width: number; value: (e: TrailEntry) => string | number }> = [
  { header: '日時', width: 31, value: (e) => tokyoTime(e.at) },
  { header: '課', width: 16, value: (e) => e.divisionId || '（照会全体）' },
  { header: '種別', width: 16, value: (e) => TRAIL_KINDS[e.kind] },
  { header: '実施者', width: 22, value: (e) => e.actor ?? '' },
  { header: '経路', width: 14, value: (e) => (e.channel ? CHANNEL_NAMES[e.channel] : '') },
  { header: '宛先', width: 30, value: (e) => list(e.recipients) },
  { header: 'CC', width: 30, value: (e) => list(e.cc) },
  { header: 'ファイル名', width: 24, value: (e) => e.fileName ?? '' },
  { header: 'ファイルのSHA-256', width: 66, value: (e) => e.fileSha256 ?? '' },
  { header: '結果', width: 16, value: (e) => e.result ?? '' },
  { header: '内容', width: 70, value: (e) => e.details },
  { header: 'ワークフローID', width: 34, value: (e) => e.workflowId },
  { header: 'イベントID', width: 10, value: (e) => e.eventId },
];

export const TRAIL_HEADERS = COLUMNS.map((c) => c.header);

/** The trail as CSV for Excel (BOM, CRLF, a text that would start a formula kept as text). */
export function trailCsv(entries: readonly TrailEntry[]): string {
  return writeCsv([TRAIL_HEADERS, ...entries.map((e) => COLUMNS.map((c) => String(c.value(e))))]);
}

export const TRAIL_SHEET = '監査証跡';

/**
 * One sheet with a division column and a filter: an auditor follows one division by filtering,
 * and compares divisions on the same sheet; a sheet per division would not scale to a city's
 * hundreds of divisions.
 */
export async function trailWorkbook(entries: readonly TrailEntry[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(TRAIL_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] });
  const widths = COLUMNS.map((c) => c.width);
  sheet.columns = widths.map((width) => ({ width }));
  addHeaderRow(sheet, 1, TRAIL_HEADERS, widths);
  for (const entry of entries) {
    const values = COLUMNS.map((c) => c.value(entry));
    // Strings go in as strings, never as formulas: exceljs takes a formula only as an object.
    const row = sheet.addRow(values.map((v) => (typeof v === 'number' ? v : xlsxText(v) || null)));
    row.alignment = { vertical: 'top', wrapText: true };
    row.height = rowHeight(values.map((v, i) => ({ text: String(v), width: widths[i]! })));
  }
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: COLUMNS.length } };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
