import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { readRef } from '../store/file-store';
import { type MailFailure, mailFailures } from '../store/outbox';
import { loadSnapshot } from '../store/snapshot';
import { onCycle, queryCycle } from '../client/cycle-target';
import { resolveDivisionArg } from '../client/plan-commands';
import { parseDeadline } from '../domain/cycle';
import { divisionWorkflowId } from '../domain/workflow-ids';
import { divisionById } from '../domain/division-directory';
import { japaneseDateTime } from '../domain/japanese-date';
import { UserError } from '../store/master-files';
import { type DivisionState, owesReturn } from '../domain/division-state';
import {
  type CloseResult,
  closeCycleUpdate,
  CYCLE_CLOSED,
  type CyclePhase,
  type CycleStatus,
  excuseSignal,
  extendDeadlineSignal,
  NOT_RETURNED,
  remindNowSignal,
  sendBackUpdate,
} from '../workflows/definitions';
import { acceptsReturns } from './accepts-returns';
import { notInCycleRefusal } from './refusals';
import { openStore } from '../store/open-store';
import { readCloseResult, readFinalStatus } from '../store/cycle-result';

/**
 * What the reform office does to a cycle, the same from the command line and from its page:
 * every action goes through the cycle's or a division's workflow with the actor who took it,
 * and what the workflow's state rules out is refused with a UserError in Japanese. Each action
 * answers with the sentence both channels show.
 */

export const STATE_NAMES: Record<DivisionState, string> = {
  preparing: '準備中',
  waiting: '回答待ち',
  held: '確認待ち',
  returned: '回答済み',
  sentBack: '差戻し中',
  excused: '提出免除',
  informed: '通知のみ',
  closed: '未提出',
};

export const PHASE_NAMES: Record<CyclePhase, string> = { launching: '開始処理中', open: '受付中', closing: '締切処理中', closed: '締切済み' };

/** The cause a workflow or update failed with, as the workflow worded it. */
export function causeOf(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause;
  return cause?.message ?? String(err);
}

/** Why the workflow refused an update by its own state (CYCLE_CLOSED, NOT_RETURNED…), if that is what failed. */
export function refusalOf(err: unknown): string | undefined {
  return err instanceof WorkflowUpdateFailedError ? causeOf(err) : undefined;
}

/** A deadline typed by the reform office; `label` names the field the way the channel shows it. */
export function deadlineInput(value: string, label: string): string {
  try {
    return parseDeadline(value);
  } catch {
    throw new UserError(`${label} は YYYY-MM-DD の形の日付で指定してください: ${value}`);
  }
}

/** The cycle's status; a closed cycle answers from the run store, also after the namespace has dropped it. */
export async function cycleStatus(client: Client, dataDir: string, cycleId: string): Promise<CycleStatus> {
  return (await readFinalStatus(openStore(dataDir), cycleId)) ?? queryCycle(client, cycleId);
}

/** How long mail may keep failing before it is called trouble (TORIMATOME_MAIL_ALERT_AFTER, seconds). */
function mailAlertAfterMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.TORIMATOME_MAIL_ALERT_AFTER ?? 600);
  return (Number.isFinite(seconds) && seconds >= 0 ? seconds : 600) * 1000;
}

/** Mails that have been failing for longer than the alert time. */
export async function mailTrouble(dataDir: string, cycleId: string, now = Date.now()): Promise<MailFailure[]> {
  const since = now - mailAlertAfterMs();
  return (await mailFailures(openStore(dataDir), cycleId)).filter((f) => Date.parse(f.firstFailedAt) <= since);
}

/** Closes the cycle through its workflow and waits for the consolidated table; `onClosing` hears when it has begun. */
export async function closeCycle(client: Client, cycleId: string, actor: string, onClosing: () => void = () => {}): Promise<CloseResult> {
  const handle = client.workflow.getHandle(cycleId);
  // An update cannot reach a workflow that has completed: a closed cycle is told as such.
  const description = await onCycle(cycleId, () => handle.describe());
  if (description.status.name !== 'RUNNING') throw new UserError(`${cycleId} はすでに締め切られています。`);
  onClosing();
  try {
    return await handle.executeUpdate(closeCycleUpdate, { args: [{ actor }] });
  } catch (err) {
    if (refusalOf(err) === CYCLE_CLOSED) throw new UserError(`${cycleId} はすでに締め切られています。`);
    throw err;
  }
}

/** What a close did, in two sentences: the count of returns, and what followed from them. */
export function closeNotice(result: CloseResult): { counts: string; followUp: string } {
  const missing = result.notReturned.length;
  return {
    counts: `締め切りました（${result.closedBy}）。回答 ${result.returned} 課、未提出 ${missing} 課${missing ? `（${result.notReturned.join('、')}）` : ''}。`,
    followUp: `計画マスタを第${result.planVersion}版に更新し、各課に取りまとめ表を送りました。`,
  };
}

/** A closed cycle's result, from the run store. */
async function closedResult(dataDir: string, cycleId: string): Promise<CloseResult> {
  const result = await readCloseResult(openStore(dataDir), cycleId);
  if (!result) throw new UserError(`${cycleId} はまだ締め切られていません（cycle close で締め切ると取りまとめ表ができます）。`);
  return result;
}

/** The consolidated table of a closed cycle, as written at the close: a file changed since is refused. */
export async function consolidatedTable(dataDir: string, cycleId: string, format: 'xlsx' | 'csv'): Promise<Buffer> {
  const result = await closedResult(dataDir, cycleId);
  const ref = format === 'xlsx' ? result.consolidatedXlsx : result.consolidatedCsv;
  try {
    return await readRef(openStore(dataDir), ref);
  } catch (err) {
    throw new UserError(`取りまとめ表（${ref.path}）が締切のときのものと違うか、読めません: ${(err as Error).message}`);
  }
}


type DivisionHandle = ReturnType<Client['workflow']['getHandle']>;

/**
 * Sends a signal to one division (by id or Japanese name), or to every division that answers
 * (or, with `owingOnly`, every one that still owes a return); gives the names of those it reached.
 */
async function signalDivisions(
  client: Client,
  dataDir: string,
  cycleId: string,
  target: { division?: string; owingOnly: boolean },
  send: (handle: DivisionHandle) => Promise<void>,
): Promise<string[]> {
  const status = await queryCycle(client, cycleId);
  if (!(await acceptsReturns(client, dataDir, cycleId, status.phase))) throw new UserError(`${cycleId} は締め切られています。`);
  const { directory } = await loadSnapshot(openStore(dataDir), cycleId);
  const owing = status.divisions.filter((d) => owesReturn(d.state)).map((d) => d.divisionId);
  const answering = status.divisions.filter((d) => d.role === 'answer').map((d) => d.divisionId);
  const targets = target.division ? [resolveDivisionArg(directory, target.division)] : target.owingOnly ? owing : answering;
  for (const divisionId of targets) {
    const division = status.divisions.find((d) => d.divisionId === divisionId);
    if (!division) throw new UserError(notInCycleRefusal(divisionById(directory, divisionId).name, status.year));
    if (target.owingOnly && !owing.includes(divisionId)) throw new UserError(`${divisionById(directory, divisionId).name}は回答待ちではありません（${STATE_NAMES[division.state]}）。`);
    await send(client.workflow.getHandle(divisionWorkflowId(cycleId, divisionId)));
  }
  return targets.map((t) => divisionById(directory, t).name);
}

/** A new deadline (an ISO instant) for one division, or for every division that answers. */
export async function extendDeadline(client: Client, dataDir: string, cycleId: string, request: { division?: string; deadline: string; actor: string }): Promise<string> {
  const { deadline, actor } = request;
  const names = await signalDivisions(client, dataDir, cycleId, { division: request.division, owingOnly: false }, (handle) => handle.signal(extendDeadlineSignal, { deadline, actor }));
  const who = request.division ? names[0] : `全${names.length}課`;
  return `${who}の提出期限を ${japaneseDateTime(deadline)} に変更しました（${actor}）。督促はこの期限から数え直します。`;
}

/** A reminder now to one division, or to every division still owing a return. */
export async function remindNow(client: Client, dataDir: string, cycleId: string, request: { division?: string; actor: string }): Promise<string> {
  const { actor } = request;
  const names = await signalDivisions(client, dataDir, cycleId, { division: request.division, owingOnly: true }, (handle) => handle.signal(remindNowSignal, { actor }));
  return names.length ? `督促のメールを送りました: ${names.join('、')}（${actor}）` : '回答待ちの課はありません。';
}

/** Takes a division that owes a return off the ladder; the reason goes to the table's 備考. */
export async function excuseDivision(client: Client, dataDir: string, cycleId: string, request: { division: string; reason: string; actor: string }): Promise<string> {
  const reason = request.reason.trim();
  if (!reason) throw new UserError('免除の理由を入力してください（取りまとめ表の備考に載ります）。');
  const { actor } = request;
  const [name] = await signalDivisions(client, dataDir, cycleId, { division: request.division, owingOnly: true }, (handle) => handle.signal(excuseSignal, { reason, actor }));
  return `${name}の提出を免除しました（理由: ${reason}、${actor}）。督促は止まり、取りまとめ表の備考に残ります。`;
}

/** 差戻し of a division's accepted return, with a comment per item number it answers. */
export async function sendBack(client: Client, dataDir: string, cycleId: string, request: { division: string; comments: Record<string, string>; actor: string }): Promise<string> {
  const { directory, assignments } = await loadSnapshot(openStore(dataDir), cycleId);
  const divisionId = resolveDivisionArg(directory, request.division);
  const name = divisionById(directory, divisionId).name;
  const answers = assignments.find((a) => a.divisionId === divisionId)?.answers ?? [];
  const foreign = Object.keys(request.comments).filter((no) => !answers.includes(Number(no)));
  if (foreign.length > 0) throw new UserError(`整理番号${foreign.join('、')}は${name}が回答する項目ではありません。`);
  try {
    const { sheetVersion } = await client.workflow
      .getHandle(divisionWorkflowId(cycleId, divisionId))
      .executeUpdate(sendBackUpdate, { args: [{ actor: request.actor, comments: request.comments }] });
    return `${name}の回答を差し戻しました。コメントと前回の回答入りの様式（第${sheetVersion}版）をメールで送りました。`;
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal === NOT_RETURNED) throw new UserError(`${name}からはまだ受け付けた回答がないため、差し戻せません。`);
    if (refusal === CYCLE_CLOSED) throw new UserError(`${cycleId} は締め切られているため、差し戻せません。`);
    throw err;
  }
}
