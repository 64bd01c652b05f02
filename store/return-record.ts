import type { StatusMark } from '../domain/status-mark';
import type { ReturnProblem } from '../sheets/return-problems';
import type { ReturnSubmission } from '../workflows/definitions';
import { cycleKeys } from './file-store';
import { type ObjectStore, readJson } from './object-store';

/** What the run store keeps of each attempt: the file, the check, the answers. */
export interface ReturnRecord {
  attempt: number;
  submission: ReturnSubmission;
  ok: boolean;
  problems: ReturnProblem[];
  warnings: ReturnProblem[];
  explanations: Record<string, string>;
  answers: Array<{ no: number; mark: StatusMark; statusText: string }>;
  /** Of a refused return, the rows that read well: filled back into the sheet the division downloads again. */
  drafts?: Array<{ no: number; mark: StatusMark; statusText: string }>;
  checkedAt: string;
}

/**
 * Keeps the record of a check. The first record of an attempt is the one kept: a check retried
 * on another worker after the first was thought dead gets back what the first wrote.
 */
export async function writeReturnRecord(store: ObjectStore, cycleId: string, divisionId: string, record: ReturnRecord): Promise<ReturnRecord> {
  const key = cycleKeys(cycleId).returnRecord(divisionId, record.attempt);
  const { written } = await store.put(key, `${JSON.stringify(record, null, 2)}\n`, { ifAbsent: true });
  return written ? record : (await findReturnRecord(store, cycleId, divisionId, record.attempt))!;
}

/** A division's record of one attempt, if that attempt was checked. */
export async function findReturnRecord(store: ObjectStore, cycleId: string, divisionId: string, attempt: number): Promise<ReturnRecord | undefined> {
  return readJson<ReturnRecord>(store, cycleKeys(cycleId).returnRecord(divisionId, attempt));
}

export async function readReturnRecord(store: ObjectStore, cycleId: string, divisionId: string, attempt: number): Promise<ReturnRecord> {
  const record = await findReturnRecord(store, cycleId, divisionId, attempt);
  if (!record) throw new Error(`no record of attempt ${attempt} of ${divisionId} in ${cycleId} in the ${store.location}`);
  return record;
}

/**
 * The latest checked attempt of a division. A division reports to its cycle only the attempts
 * that change its state, so a refused one is known here, not there.
 */
export async function latestReturnRecord(store: ObjectStore, cycleId: string, divisionId: string): Promise<ReturnRecord | undefined> {
  const folder = cycleKeys(cycleId).returnRecord(divisionId, 1).replace(/[^/]+$/, '');
  const attempts = (await store.list(folder)).flatMap((key) => /\/(\d+)\.json$/.exec(key)?.slice(1).map(Number) ?? []);
  return attempts.length ? findReturnRecord(store, cycleId, divisionId, Math.max(...attempts)) : undefined;
}
