import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { FileRef } from '../workflows/definitions';
import type { ObjectStore } from './object-store';

/**
 * Files the workflows speak of (sheets sent, returns received, tables written) live in the
 * run store; workflows carry only references with a sha256, checked on every read.
 */
export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The keys of a cycle's files in the run store: the one place that says so. */
export const CYCLES_FOLDER = 'cycles';

export function cycleKeys(cycleId: string) {
  const root = `${CYCLES_FOLDER}/${cycleId}`;
  return {
    root,
    snapshot: `${root}/snapshot.json`,
    sheet: (divisionId: string, version: number) => `${root}/sheets/${divisionId}-v${version}.xlsx`,
    outbox: `${root}/outbox`,
    outboxRecord: (key: string) => `${root}/outbox/${key}.json`,
    /** Mails the relay refused or could not be reached for, kept until they go through. */
    mailFailures: `${root}/mail-failures`,
    mailFailure: (key: string) => `${root}/mail-failures/${key}.json`,
    returnRecord: (divisionId: string, attempt: number) => `${root}/returns/${divisionId}/${String(attempt).padStart(3, '0')}.json`,
    result: `${root}/result/result.json`,
    consolidatedTable: (extension: 'xlsx' | 'csv') => `${root}/result/${cycleId}-consolidated.${extension}`,
    /** The plan with the year's answers, as the table shows it: what the result mails quote. */
    consolidatedPlan: `${root}/result/consolidated-plan.json`,
    finalStatus: `${root}/result/status.json`,
  };
}

type Keys = ReturnType<typeof cycleKeys>;
type Paths = { [K in keyof Keys]: Keys[K] extends (...args: infer A) => string ? (...args: A) => string : string };

/** The latest version of a division's sheet kept (1 until one is sent back). */
export async function latestSheetVersion(store: ObjectStore, cycleId: string, divisionId: string): Promise<number> {
  const prefix = cycleKeys(cycleId).sheet(divisionId, 0).replace(/0\.xlsx$/, '');
  const versions = (await store.list(prefix)).flatMap((key) => /^(\d+)\.xlsx$/.exec(key.slice(prefix.length))?.slice(1).map(Number) ?? []);
  return Math.max(1, ...versions);
}

/** The same files as paths in a data directory, for the readers that still open them there. */
export function cycleFiles(dataDir: string, cycleId: string): Paths {
  const keys = cycleKeys(cycleId);
  return Object.fromEntries(
    Object.entries(keys).map(([name, key]) => [name, typeof key === 'function' ? (...args: never[]) => join(dataDir, (key as (...a: never[]) => string)(...args)) : join(dataDir, key)]),
  ) as Paths;
}

/**
 * Stores a file the workflows will refer to. The first write under a key is the one kept: a
 * worker thought dead that builds the same sheet again (exceljs stamps the time, so with other
 * bytes) gets back a reference to what is there, never a second version of it.
 */
export async function storeFile(store: ObjectStore, key: string, data: Buffer | string): Promise<FileRef> {
  const { written } = await store.put(key, data, { ifAbsent: true });
  const kept = written ? Buffer.from(data) : (await store.get(key))!.data;
  return { path: key, sha256: sha256(kept), bytes: kept.byteLength };
}

/** Stores a received file under its own hash, so the same file sent twice is kept once. */
export async function storeReceived(store: ObjectStore, data: Buffer, extension: string): Promise<FileRef> {
  const hash = sha256(data);
  return storeFile(store, `received/${hash.slice(0, 2)}/${hash}.${extension}`, data);
}

export async function readRef(store: ObjectStore, ref: FileRef): Promise<Buffer> {
  const found = await store.get(ref.path);
  if (!found) throw new Error(`${ref.path} is not in the ${store.location}`);
  const actual = sha256(found.data);
  if (actual !== ref.sha256) throw new Error(`${ref.path} has changed since it was stored: sha256 ${actual}, expected ${ref.sha256}`);
  return found.data;
}
