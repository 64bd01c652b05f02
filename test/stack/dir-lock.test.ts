import { existsSync } from 'node:fs';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withDirLock } from '../../stack/dir-lock';
import { deadPid, tempDir } from './helpers';

async function plantLock(lockDir: string, pid: number): Promise<void> {
  await mkdir(lockDir);
  await writeFile(join(lockDir, 'owner.json'), JSON.stringify({ pid, host: hostname(), since: new Date().toISOString() }));
}

describe('withDirLock', () => {
  it('lets one holder in at a time and removes the lock after', async () => {
    const lockDir = join(await tempDir(), 'build.lock');
    const events: string[] = [];
    const waits: unknown[] = [];
    const work = (name: string) =>
      withDirLock(
        lockDir,
        async () => {
          events.push(`${name} in`);
          await sleep(300);
          events.push(`${name} out`);
          return name;
        },
        { onWait: (owner) => waits.push(owner) },
      );
    expect(await Promise.all([work('a'), work('b')])).toEqual(['a', 'b']);
    // Whichever takes it first, the other comes in only once it is out.
    expect([['a in', 'a out', 'b in', 'b out'], ['b in', 'b out', 'a in', 'a out']]).toContainEqual(events);
    expect(waits).toEqual([expect.objectContaining({ pid: process.pid })]);
    expect(existsSync(lockDir)).toBe(false);
  });

  it('releases the lock when the work fails', async () => {
    const lockDir = join(await tempDir(), 'build.lock');
    await expect(withDirLock(lockDir, () => Promise.reject(new Error('build failed')))).rejects.toThrow('build failed');
    expect(existsSync(lockDir)).toBe(false);
  });

  it('takes over a lock whose holder died', async () => {
    const lockDir = join(await tempDir(), 'build.lock');
    await plantLock(lockDir, deadPid());
    const started = Date.now();
    expect(await withDirLock(lockDir, async () => 'mine')).toBe('mine');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('takes over a lock nobody has refreshed for too long, and waits for a fresh one', async () => {
    const lockDir = join(await tempDir(), 'build.lock');
    // Held by a live process (this one) but left untouched for an hour: abandoned.
    await plantLock(lockDir, process.pid);
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(lockDir, anHourAgo, anHourAgo);
    expect(await withDirLock(lockDir, async () => 'mine')).toBe('mine');

    await plantLock(lockDir, process.pid);
    const waiting = withDirLock(lockDir, async () => 'after release');
    await sleep(700);
    expect(existsSync(lockDir)).toBe(true);
    await rm(lockDir, { recursive: true });
    expect(await waiting).toBe('after release');
  });
});
