import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { isProcessAlive } from './process-alive';

const LockOwner = z.object({ pid: z.number().int().positive(), host: z.string(), since: z.string() });
type LockOwner = z.infer<typeof LockOwner>;

export interface DirLockOptions {
  /** Told once when the lock is held by someone else and we start waiting for it. */
  onWait?: (owner: LockOwner | undefined) => void;
  /** A lock whose holder has not refreshed it for this long is taken over. */
  staleMs?: number;
}

/**
 * Runs `fn` while holding a lock between processes on this machine: a directory, made whole
 * with its owner file inside and renamed into place, because renaming a directory onto one
 * that exists (and is not empty) fails, atomically, so no one ever sees a lock without its owner. The holder refreshes the
 * directory's time while it works; a lock whose holder died (its pid is gone) or stopped
 * refreshing it is taken over, so a killed build never blocks the next one for good.
 */
export async function withDirLock<T>(lockDir: string, fn: () => Promise<T>, opts: DirLockOptions = {}): Promise<T> {
  const staleMs = opts.staleMs ?? 60_000;
  let toldWaiting = false;
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const claim = `${lockDir}.${process.pid}.${randomBytes(4).toString('hex')}`;
  for (;;) {
    await mkdir(claim, { recursive: true });
    await writeFile(join(claim, 'owner.json'), JSON.stringify(owner));
    try {
      await rename(claim, lockDir);
      break;
    } catch (err) {
      await rm(claim, { recursive: true, force: true });
      if (!['EEXIST', 'ENOTEMPTY'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
    const holder = await readOwner(lockDir);
    if (await isStale(lockDir, holder, staleMs)) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!toldWaiting) opts.onWait?.(holder);
    toldWaiting = true;
    await sleep(500);
  }
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(lockDir, now, now).catch(() => undefined);
  }, Math.max(staleMs / 4, 10));
  refresh.unref();
  try {
    return await fn();
  } finally {
    clearInterval(refresh);
    // Moved away whole, then removed: removing it in place would leave it empty for a moment,
    // and renaming a claim onto an empty directory succeeds, so the next holder's lock would
    // be the one this removal then trips over.
    const released = `${claim}.released`;
    await rename(lockDir, released);
    await rm(released, { recursive: true, force: true });
  }
}

async function readOwner(lockDir: string): Promise<LockOwner | undefined> {
  try {
    return LockOwner.parse(JSON.parse(await readFile(join(lockDir, 'owner.json'), 'utf8')));
  } catch {
    // Released while we looked, or left damaged: the age check decides.
    return undefined;
  }
}

async function isStale(lockDir: string, owner: LockOwner | undefined, staleMs: number): Promise<boolean> {
  if (owner && owner.host === hostname() && !isProcessAlive(owner.pid)) return true;
  try {
    return Date.now() - (await stat(lockDir)).mtimeMs > staleMs;
  } catch {
    // Released while we looked: not stale, just free; the next mkdir takes it.
    return false;
  }
}
