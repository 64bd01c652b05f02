import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DivisionRole } from '../domain/cycle';
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

export interface CycleInput {
  municipalityId: string;
  year: string;
  /** ISO instant, end of the deadline day in Asia/Tokyo. */
  deadline: string;
  launchedBy: string;
}

export interface DivisionInput {
  cycleId: string;
  year: string;
  divisionId: string;
  role: DivisionRole;
  deadline: string;
  sheetVersion: number;
}

export type ReturnChannel = 'cli' | 'mail' | 'upload' | 'office';

export interface ReturnSubmission {
  file: FileRef;
  /** The name the file had where it came from, for the division's own reference. */
  fileName: string;
  channel: ReturnChannel;
  submittedBy: string;
}

export interface SubmitResult {
  status: 'accepted' | 'refused';
  attempt: number;
  problems: ReturnProblem[];
}

export type DivisionState = 'preparing' | 'waiting' | 'returned' | 'informed' | 'closed';

export interface DivisionReport {
  divisionId: string;
  state: DivisionState;
  /** The accepted attempt that counts, once returned. */
  attempt?: number;
  returnedAt?: string;
}

export interface DivisionStatus extends DivisionReport {
  role: DivisionRole;
  attempts: number;
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
  divisions: DivisionStatus[];
  result?: CloseResult;
}

export const cycleStatusQuery = defineQuery<CycleStatus>('cycleStatus');
export const divisionReportSignal = defineSignal<[DivisionReport]>('divisionReport');
export const closeCycleUpdate = defineUpdate<CloseResult, [{ actor: string }]>('closeCycle');

export const divisionStatusQuery = defineQuery<DivisionStatus>('divisionStatus');
export const submitReturnUpdate = defineUpdate<SubmitResult, [ReturnSubmission]>('submitReturn');
export const closeDivisionSignal = defineSignal('closeDivision');

/** Why an update was refused by the workflow's own state, for the client to put into words. */
export const CYCLE_CLOSED = 'CycleClosed';
export const NOTHING_TO_ANSWER = 'NothingToAnswer';
