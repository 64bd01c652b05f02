import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { withDirLock } from '../stack/dir-lock';
import { checkKey, type ObjectStore, StaleVersion } from './object-store';

// Compare-and-swap writes take a lock between processes; kept apart so that no listing shows one.
const LOCKS = '.locks';

/** The store in a data directory: a key is a path under it. */
export function localStore(dataDir: string): ObjectStore {
  const root = resolve(dataDir);
  const location = `data directory ${root}`;
  const pathOf = (key: string) => join(root, ...checkKey(key).split('/'));
  const versionAt = async (path: string) => {
    try {
      // Every write replaces the file, so another inode is another version even within one tick.
      const { ino, mtimeMs, size } = await stat(path);
      return `${ino}:${mtimeMs}:${size}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  const writeTemp = async (path: string, data: Buffer | string) => {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, data);
    return tmp;
  };

  return {
    location,
    async get(key) {
      const path = pathOf(key);
      try {
        const version = await versionAt(path);
        const data = await readFile(path);
        return version === undefined ? undefined : { data, version };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    version: (key) => versionAt(pathOf(key)),
    async put(key, data, condition) {
      const path = pathOf(key);
      const tmp = await writeTemp(path, data);
      try {
        if (condition && 'ifAbsent' in condition) {
          // link() fails where a file exists, atomically: the first of two racing writers wins.
          try {
            await link(tmp, path);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
            return { written: false, version: (await versionAt(path))! };
          }
          return { written: true, version: (await versionAt(path))! };
        }
        if (condition) {
          return await withDirLock(join(root, LOCKS, ...key.split('/')), async () => {
            if ((await versionAt(path)) !== condition.ifVersion) throw new StaleVersion(key, location);
            await rename(tmp, path);
            return { written: true, version: (await versionAt(path))! };
          });
        }
        await rename(tmp, path);
        return { written: true, version: (await versionAt(path))! };
      } finally {
        await rm(tmp, { force: true });
      }
    },
    async list(prefix) {
      const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
      const base = folder ? pathOf(folder.slice(0, -1)) : root;
      const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
        throw err;
      });
      return entries
        .filter((e) => e.isFile() && !e.name.endsWith('.tmp'))
        .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)).split(sep).join('/'))
        .filter((key) => key.startsWith(prefix) && !key.startsWith(`${LOCKS}/`));
    },
    async folders(folder) {
      const base = folder === '' ? root : pathOf(folder.slice(0, -1));
      const entries = await readdir(base, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
        throw err;
      });
      return entries.filter((e) => e.isDirectory() && !(folder === '' && e.name === LOCKS)).map((e) => e.name);
    },
    async delete(key) {
      await unlink(pathOf(key)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
  };
}
