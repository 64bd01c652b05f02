/**
 * The one interface behind every file of run data: the data directory (the default) or an
 * S3-compatible bucket that several workers share. Keys are paths with `/`, the same in both,
 * so a `FileRef` written to a data directory resolves in a bucket the directory was moved to.
 */
export interface ObjectStore {
  /** Where the data is, for messages: `data directory /srv/torimatome` or `s3://bucket/prefix`. */
  readonly location: string;
  /** The bytes under `key` and their version, or undefined when there is nothing there. */
  get(key: string): Promise<StoredObject | undefined>;
  /** The version of what is under `key`, without reading it. */
  version(key: string): Promise<string | undefined>;
  /**
   * Writes `data` whole under `key`: a reader sees the old object or the new one, never a part.
   * With `ifAbsent`, an object already there is kept and `written` is false (read it back: two
   * workers racing on one key keep the first). With `ifVersion`, the write happens only over
   * that version (undefined: only where there is none), else it throws `StaleVersion`.
   */
  put(key: string, data: Buffer | string, condition?: PutCondition): Promise<{ written: boolean; version: string }>;
  /** Every key under `prefix` (which ends in `/` for a folder), in no set order. */
  list(prefix: string): Promise<string[]>;
  /** The names of the folders right under `folder` (which ends in `/`), without listing what is in them. */
  folders(folder: string): Promise<string[]>;
  /** Removes `key`; nothing there is not an error. */
  delete(key: string): Promise<void>;
}

export interface StoredObject {
  data: Buffer;
  version: string;
}

export type PutCondition = { ifAbsent: true } | { ifVersion: string | undefined };

/** Someone else wrote the object since it was read: read it again and redo the change. */
export class StaleVersion extends Error {
  override name = 'StaleVersion';
  constructor(
    readonly key: string,
    readonly location: string,
  ) {
    super(`${key} in ${location} was changed by another writer since it was read`);
  }
}

/** The JSON object under `key`, or undefined when there is nothing there. */
export async function readJson<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  const found = await store.get(key);
  return found && (JSON.parse(found.data.toString('utf8')) as T);
}

/**
 * Runs a read-change-write until it lands: `change` reads what it changes with its version and
 * writes over that version; another writer in between makes it throw `StaleVersion`, and it is
 * run again on what that writer left.
 */
export async function untilWritten<T>(change: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await change();
    } catch (err) {
      if (!(err instanceof StaleVersion)) throw err;
    }
  }
}

/** A key is a relative path of plain segments: nothing that could leave the store's root. */
export function checkKey(key: string): string {
  const segments = key.split('/');
  if (!key || key.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\') || s.includes('\0'))) {
    throw new Error(`not a store key: ${JSON.stringify(key)}`);
  }
  return key;
}
