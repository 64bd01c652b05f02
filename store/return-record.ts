import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { StatusMark } from '../domain/status-mark';
import type { ReturnProblem } from '../sheets/return-problems';
import type { ReturnSubmission } from '../workflows/definitions';
import { cycleFiles } from './file-store';

/** What the data directory keeps of each attempt: the file, the check, the answers. */
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

export async function readReturnRecord(path: string): Promise<ReturnRecord> {
  return JSON.parse(await readFile(path, 'utf8')) as ReturnRecord;
}

/** A division's record of one attempt, if that attempt was checked. */
export async function findReturnRecord(dataDir: string, cycleId: string, divisionId: string, attempt: number): Promise<ReturnRecord | undefined> {
  const path = cycleFiles(dataDir, cycleId).returnRecord(divisionId, attempt);
  return existsSync(path) ? readReturnRecord(path) : undefined;
}
