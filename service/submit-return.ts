import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { storeReceived } from '../store/file-store';
import { type CycleSnapshot, loadSnapshot } from '../store/snapshot';
import { divisionWorkflowId } from '../domain/workflow-ids';
import { divisionById } from '../domain/division-directory';
import type { ReturnTarget } from '../inbound/return-tokens';
import { RETURN_FILE_LIMITS } from '../sheets/checker-pool';
import { checkFileBytes, checkZipDirectory } from '../sheets/return-file-checks';
import type { ReturnProblem } from '../sheets/return-problems';
import { CYCLE_CLOSED, NOTHING_TO_ANSWER, type ReturnChannel, type SubmitResult, submitReturnUpdate } from '../workflows/definitions';
import { acceptsReturns } from './accepts-returns';
import { closedRefusal, notInCycleRefusal, nothingToAnswerRefusal, reformOfficeContact } from './refusals';
import { openStore } from '../store/open-store';

/**
 * Handing in a return, the same for every channel (CLI, mail reply, upload page, the reform
 * office on a division's behalf): what the file's bytes and the cycle's state rule out is
 * answered here and leaves the workflow untouched; everything else goes through the
 * division workflow's update, which checks the sheet and records the attempt.
 */

export interface ReturnFile {
  data: Buffer;
  /** The name the file had where it came from. */
  fileName: string;
}

export interface SubmitRequest extends ReturnTarget {
  file: ReturnFile;
  channel: ReturnChannel;
  submittedBy: string;
  explanations?: Record<string, string>;
  /** Given by channels that may deliver the same return twice (a mail relay): Temporal answers a repeat with the first outcome. */
  updateId?: string;
}

/** How a return came in, as the reform office and the auditors read it. */
export const CHANNEL_NAMES: Record<ReturnChannel, string> = { cli: 'コマンド', mail: 'メール', upload: 'アップロード', office: '行革担当課が代理で提出' };

export type RefusalReason = 'closed' | 'notInCycle' | 'nothingToAnswer' | 'badFile';

export type SubmitOutcome =
  | { kind: 'checked'; divisionName: string; result: SubmitResult }
  | { kind: 'refused'; divisionName: string; reason: RefusalReason; message: string; problem?: ReturnProblem };

const REFUSALS: Record<Exclude<RefusalReason, 'badFile'>, (division: string, snapshot: CycleSnapshot) => string> = {
  closed: (division, { directory }) => closedRefusal(division, reformOfficeContact(directory)),
  notInCycle: (division, { year }) => notInCycleRefusal(division, year),
  nothingToAnswer: (division) => nothingToAnswerRefusal(division),
};

const UPDATE_REFUSALS: Record<string, Exclude<RefusalReason, 'badFile'>> = { [CYCLE_CLOSED]: 'closed', [NOTHING_TO_ANSWER]: 'nothingToAnswer' };

/** What the channel has already established for this return, taken as it is rather than read or asked again. */
export interface KnownFacts {
  snapshot?: CycleSnapshot;
  /** The channel has just asked acceptsReturns(); the workflow's update still refuses a close since. */
  acceptsReturns?: true;
}

export async function submitReturn(client: Client, dataDir: string, request: SubmitRequest, known: KnownFacts = {}): Promise<SubmitOutcome> {
  const snapshot = known.snapshot ?? (await loadSnapshot(openStore(dataDir), request.cycleId));
  const divisionName = divisionById(snapshot.directory, request.divisionId).name;
  const refuse = (reason: Exclude<RefusalReason, 'badFile'>): SubmitOutcome => ({ kind: 'refused', divisionName, reason, message: REFUSALS[reason](divisionName, snapshot) });
  if (!snapshot.assignments.some((a) => a.divisionId === request.divisionId)) return refuse('notInCycle');
  if (!(known.acceptsReturns ?? (await acceptsReturns(client, dataDir, request.cycleId)))) return refuse('closed');
  // What the bytes alone show is said at once and kept out of the division's attempts.
  const problem = checkFileBytes(request.file.data, RETURN_FILE_LIMITS) ?? (await checkZipDirectory(request.file.data, RETURN_FILE_LIMITS));
  if (problem) return { kind: 'refused', divisionName, reason: 'badFile', message: problem.message, problem };
  const stored = await storeReceived(openStore(dataDir), request.file.data, 'xlsx');
  try {
    const result = await client.workflow.getHandle(divisionWorkflowId(request.cycleId, request.divisionId)).executeUpdate(submitReturnUpdate, {
      args: [{ file: stored, fileName: request.file.fileName, channel: request.channel, submittedBy: request.submittedBy, explanations: request.explanations }],
      updateId: request.updateId,
    });
    return { kind: 'checked', divisionName, result };
  } catch (err) {
    const reason = err instanceof WorkflowUpdateFailedError ? UPDATE_REFUSALS[(err.cause as Error | undefined)?.message ?? ''] : undefined;
    if (reason) return refuse(reason);
    throw err;
  }
}

/**
 * The outcome in the division's words, for a reply mail, a page or the terminal: a headline
 * and the points under it. `explainHow` says where this channel takes an explanation.
 */
export function describeOutcome(outcome: SubmitOutcome, explainHow: string): { ok: boolean; headline: string; points: string[] } {
  if (outcome.kind === 'refused') return { ok: false, headline: outcome.message, points: [] };
  const { divisionName: name, result } = outcome;
  if (result.status === 'accepted') return { ok: true, headline: `${name}の回答を受け付けました（${result.attempt}回目の提出）。`, points: [] };
  if (result.status === 'held') {
    return {
      ok: false,
      headline: `${name}の回答に確認事項があります（${result.attempt}回目の提出）。${explainHow}`,
      points: (result.warnings ?? []).map((w) => w.message),
    };
  }
  return {
    ok: false,
    headline: `${name}の回答を受け付けられませんでした（${result.attempt}回目の提出）。次の点を直して、もう一度提出してください:`,
    points: result.problems.map((p) => p.message),
  };
}
