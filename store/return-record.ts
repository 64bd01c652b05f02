import type { AnswerValues } from '../domain/collection-definition';
import type { ReturnProblem } from '../sheets/return-problems';
import type { ReturnSubmission } from '../workflows/definitions';
import { cycleKeys } from './file-store';
import { type ObjectStore, readJson } from './object-store';

/** An item's answer as kept: the cycle year's value of each field, by field id. */
export interface KeptAnswer {
  no: number;
  values: AnswerValues;
}

/**
 * A record written before the collection definition kept Arao's two fields under names of their
 * own; it reads as the same answer, so old cycles still close, export and replay.
 */
function fromArao(answer: KeptAnswer | { no: number; mark: string; statusText: string }): KeptAnswer {
  if ('values' in answer) return answer;
  const { mark, statusText, ...rest } = answer;
  return { ...rest, values: { statusText, marks: mark } };
}

/** What the run store keeps of each attempt: the file, the check, the answers. */
export interface ReturnRecord {
  attempt: number;
  submission: ReturnSubmission;
  ok: boolean;
  problems: ReturnProblem[];
  warnings: ReturnProblem[];
  explanations: Record<string, string>;
  answers: KeptAnswer[];
  /** Of a refused return, the rows that read well: filled back into the sheet the division downloads again. */
  drafts?: KeptAnswer[];
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
  const record = await readJson<ReturnRecord>(store, cycleKeys(cycleId).returnRecord(divisionId, attempt));
  return record && { ...record, answers: record.answers.map(fromArao), ...(record.drafts && { drafts: record.drafts.map(fromArao) }) };
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
