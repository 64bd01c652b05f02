import { sha256 } from './file-store';
import type { ObjectStore } from './object-store';

/**
 * The folders of run data: what the service reads through the run store, and so what a bucket
 * must hold for the cycles of a data directory to go on there. The rest of a data directory
 * stays on its machine: the service reads it by path, never through the store, so in a bucket
 * no one would read it, and some of it must not be shared. That is secrets/ (the return-token
 * and audit signing keys: a bucket would hand them to everyone who may read it), the run file
 * (where this machine's own stack listens), the office users file (password hashes, read by the
 * machine serving the office pages), inbound/dropped.jsonl (this listener's log of mail it
 * dropped) and .locks/ (locks between the processes of this machine).
 */
export const RUN_DATA_FOLDERS = ['cycles', 'plan', 'received', 'inbound/mail'] as const;

export interface MigrationReport {
  /** Keys written to the target (with `dryRun`: that would be). */
  copied: number;
  /** Keys the target already held with the same bytes, as a rerun after an interruption finds them. */
  alreadyThere: number;
  /** Keys the target holds with other bytes: left as they are there, for the operator to look at. */
  conflicts: string[];
  /** Bytes of the keys copied. */
  bytes: number;
}

export interface MigrationOptions {
  /** Called after each key, with the number of keys done and of all keys. */
  onProgress?: (done: number, total: number) => void;
  /** Keys copied at a time. */
  concurrency?: number;
  /** Compares with the target without writing to it. */
  dryRun?: boolean;
}

/**
 * Copies the run data from one store into another under the same keys, so that every `FileRef`
 * written before resolves in the target. Nothing in the target is overwritten: an object there
 * with other bytes may be the newer one (a worker already running on the bucket), so it is only
 * reported. Temporary files are never listed (`localStore` leaves them out), so none is copied.
 */
export async function migrateStore(from: ObjectStore, to: ObjectStore, opts: MigrationOptions = {}): Promise<MigrationReport> {
  const keys = (await Promise.all(RUN_DATA_FOLDERS.map((folder) => from.list(`${folder}/`)))).flat().sort();
  const report: MigrationReport = { copied: 0, alreadyThere: 0, conflicts: [], bytes: 0 };

  const copy = async (key: string) => {
    const found = await from.get(key);
    // Removed since it was listed (a mail failure that went through): there is nothing to carry over.
    if (!found) return;
    const written = opts.dryRun ? (await to.version(key)) === undefined : (await to.put(key, found.data, { ifAbsent: true })).written;
    if (written) {
      report.copied++;
      report.bytes += found.data.byteLength;
    } else if (sha256((await to.get(key))!.data) === sha256(found.data)) {
      report.alreadyThere++;
    } else {
      report.conflicts.push(key);
    }
  };

  let next = 0;
  let done = 0;
  // Each key is a round trip or two to the bucket: a few at a time, without flooding the server.
  const lane = async () => {
    while (next < keys.length) {
      await copy(keys[next++]!);
      opts.onProgress?.(++done, keys.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, keys.length) }, lane));
  report.conflicts.sort();
  return report;
}
