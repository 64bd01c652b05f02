import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DivisionRole } from '../domain/cycle';
import type { DivisionState } from '../domain/division-state';
import type { EscalationPolicyInput } from '../domain/escalation-policy';
import type { StatusPageRequest } from '../domain/status-pages';
import type { ReturnProblem } from '../sheets/return-problems';

/**
 * The messages of the cycle and division workflows, shared by the workflows and the clients
 * that send them. Files never travel here: only references with their sha256.
 */

export interface FileRef {
  /** Path relative to the data directory. */
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * How rung times are counted: business days on the city's calendar, or, to watch a ladder run
 * in minutes (tests, a demonstration), seconds from the deadline instant.
 */
export type LadderClock = 'calendar' | 'seconds';

export interface Ladder {
  policy?: EscalationPolicyInput;
  clock?: LadderClock;
}

export interface CycleInput {
  municipalityId: string;
  year: string;
  /** ISO instant, end of the deadline day in Asia/Tokyo. */
  deadline: string;
  launchedBy: string;
  ladder?: Ladder;
  /** The open cycle's state, handed over when its history started afresh (continue-as-new). */
  carried?: { divisions: DivisionStatus[]; indexed?: boolean };
  /** How much history an open cycle gathers before it starts afresh; the defaults are `CYCLE_HISTORY_LIMIT`. */
  historyLimit?: { events?: number; bytes?: number };
}

/**
 * The reform office's actions (and, in cycles that are not indexed, each division's report) add
 * to the cycle's history: an open cycle continues as new past these, a fifth of Temporal's
 * warnings (10,240 events, 10 MB), whatever a season brings.
 */
export const CYCLE_HISTORY_LIMIT = { events: 2_000, bytes: 2 * 1024 * 1024 };

export interface DivisionInput {
  cycleId: string;
  year: string;
  divisionId: string;
  role: DivisionRole;
  deadline: string;
  sheetVersion: number;
  ladder?: Ladder;
  /**
   * The division keeps its status in its own memo and search attributes, where the cycle's
   * status is read from, instead of signalling each change to the cycle. Divisions of cycles
   * launched before report by signal.
   */
  indexed?: boolean;
}

/** Set by each division workflow of an indexed cycle: a cycle's divisions are listed by it. */
export const CYCLE_ID_ATTRIBUTE = defineSearchAttributeKey('TorimatomeCycleId', SearchAttributeType.KEYWORD);
/** The division's state, for an operator looking for, say, every division still waiting. */
export const DIVISION_STATE_ATTRIBUTE = defineSearchAttributeKey('TorimatomeDivisionState', SearchAttributeType.KEYWORD);
/** What the namespace must have registered before a cycle is launched. */
export const SEARCH_ATTRIBUTES = [CYCLE_ID_ATTRIBUTE, DIVISION_STATE_ATTRIBUTE];
/** The memo field that holds an indexed division's whole status. */
export const DIVISION_STATUS_MEMO = 'status';

export type ReturnChannel = 'cli' | 'mail' | 'upload' | 'office';

export interface ReturnSubmission {
  file: FileRef;
  /** The name the file had where it came from, for the division's own reference. */
  fileName: string;
  channel: ReturnChannel;
  submittedBy: string;
  /** 説明: the division's answer to a warning, by item number. */
  explanations?: Record<string, string>;
}

/** accepted; held: warnings wait for an explanation; refused: errors to fix. */
export type SubmitStatus = 'accepted' | 'held' | 'refused';

export interface SubmitResult {
  status: SubmitStatus;
  attempt: number;
  problems: ReturnProblem[];
  /** 確認事項 still without an explanation. */
  warnings?: ReturnProblem[];
}

/** One entry of a division's timeline: each attempt and each send-back. */
export interface AttemptRecord {
  attempt: number;
  result: SubmitStatus | 'sentBack' | 'excused';
  at: string;
  by: string;
  /** The reason given, for an excuse. */
  note?: string;
}

export interface DivisionStatus {
  divisionId: string;
  role: DivisionRole;
  state: DivisionState;
  attempts: number;
  /** The accepted attempt that counts, once returned. */
  attempt?: number;
  returnedAt?: string;
  log?: AttemptRecord[];
  /** The deadline in force for this division, when it was extended. */
  deadline?: string;
}

export type CyclePhase = 'launching' | 'open' | 'closing' | 'closed';

export interface CloseResult {
  closedBy: string;
  closedAt: string;
  planVersion: number;
  returned: number;
  notReturned: string[];
  consolidatedXlsx: FileRef;
  consolidatedCsv: FileRef;
}

export interface CycleStatus {
  cycleId: string;
  year: string;
  deadline: string;
  launchedBy: string;
  phase: CyclePhase;
  /** Of an indexed cycle: each division as it was launched, until its own status is read in (`readCycleStatus`). */
  divisions: DivisionStatus[];
  result?: CloseResult;
  /** The divisions keep their statuses themselves (`DivisionInput.indexed`). */
  indexed?: boolean;
}

/** The whole status; with a page request, the divisions of that page and where the next starts (`readCycleStatus` reads them all). */
export const cycleStatusQuery = defineQuery<CycleStatus & { next?: number }, [page?: StatusPageRequest]>('cycleStatus');
/** The cycle's phase without its divisions: what every return asks before it is checked. */
export const cyclePhaseQuery = defineQuery<{ phase: CyclePhase; deadline: string }>('cyclePhase');
export const divisionReportSignal = defineSignal<[DivisionStatus]>('divisionReport');
export const closeCycleUpdate = defineUpdate<CloseResult, [{ actor: string }]>('closeCycle');

export const divisionStatusQuery = defineQuery<DivisionStatus>('divisionStatus');
export const submitReturnUpdate = defineUpdate<SubmitResult, [ReturnSubmission]>('submitReturn');
/** 差戻し: the reform office refuses an accepted return, with a comment per item number. */
export const sendBackUpdate = defineUpdate<{ sheetVersion: number }, [{ actor: string; comments: Record<string, string> }]>('sendBack');
export const closeDivisionSignal = defineSignal('closeDivision');
/** The reform office takes the division off the ladder: no return is expected any more. */
export const excuseSignal = defineSignal<[{ reason: string; actor: string }]>('excuse');
/** The division's items changed (an item moved to or from it): a new sheet goes out. */
export const resendSheetSignal = defineSignal<[{ role: DivisionRole; actor: string }]>('resendSheet');
/** The reform office moves an item to another division for the rest of the cycle. */
export const reassignItemUpdate = defineUpdate<{ from: string; to: string }, [{ no: number; divisionId: string; actor: string }]>('reassignItem');
/** A reminder now, outside the ladder. */
export const remindNowSignal = defineSignal<[{ actor: string }]>('remindNow');
/** A new deadline for the division; its ladder is planned again from it. */
export const extendDeadlineSignal = defineSignal<[{ deadline: string; actor: string }]>('extendDeadline');

/** Why an update was refused by the workflow's own state, for the client to put into words. */
export const CYCLE_CLOSED = 'CycleClosed';
export const NOTHING_TO_ANSWER = 'NothingToAnswer';
export const NOT_RETURNED = 'NotReturned';

/** What the yearly Schedule hands the launcher. */
export interface LauncherInput {
  municipalityId: string;
  /** `MM-DD` of the deadline, the next such day after the launch. */
  deadlineMonthDay: string;
  launchedBy: string;
  ladder?: Ladder;
}
