import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { writeFileAtomic } from './master-files';
import type { FileRef } from '../workflows/definitions';

/**
 * Files the workflows speak of (sheets sent, returns received, tables written) live in the
 * data directory; workflows carry only references with a sha256, checked on every read.
 */
export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Where a cycle keeps its files in the data directory: the one place that says so. */
export function cycleFiles(dataDir: string, cycleId: string) {
  const root = join(dataDir, 'cycles', cycleId);
  return {
    root,
    snapshot: join(root, 'snapshot.json'),
    sheet: (divisionId: string, version: number) => join(root, 'sheets', `${divisionId}-v${version}.xlsx`),
    outbox: join(root, 'outbox'),
    /** Mails the relay refused or could not be reached for, kept until they go through. */
    mailFailures: join(root, 'mail-failures'),
    mailFailure: (key: string) => join(root, 'mail-failures', `${key}.json`),
    outboxRecord: (key: string) => join(root, 'outbox', `${key}.json`),
    returnRecord: (divisionId: string, attempt: number) => join(root, 'returns', divisionId, `${String(attempt).padStart(3, '0')}.json`),
    resultDir: join(root, 'result'),
    result: join(root, 'result', 'result.json'),
    /** The plan with the year's answers, as the table shows it: what the result mails quote. */
    consolidatedPlan: join(root, 'result', 'consolidated-plan.json'),
    finalStatus: join(root, 'result', 'status.json'),
  };
}

export async function storeFile(dataDir: string, path: string, data: Buffer | string): Promise<FileRef> {
  const absolute = resolve(dataDir, path);
  await writeFileAtomic(absolute, data);
  return { path: relative(dataDir, absolute), sha256: sha256(data), bytes: Buffer.byteLength(data) };
}

/** Stores a received file under its own hash, so the same file sent twice is kept once. */
export async function storeReceived(dataDir: string, data: Buffer, extension: string): Promise<FileRef> {
  const hash = sha256(data);
  return storeFile(dataDir, join('received', hash.slice(0, 2), `${hash}.${extension}`), data);
}

export async function readRef(dataDir: string, ref: FileRef): Promise<Buffer> {
  const data = await readFile(resolve(dataDir, ref.path));
  const actual = sha256(data);
  if (actual !== ref.sha256) throw new Error(`${ref.path} has changed since it was stored: sha256 ${actual}, expected ${ref.sha256}`);
  return data;
}
