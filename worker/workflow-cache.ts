import { readFileSync } from 'node:fs';

const MiB = 1024 * 1024;

/**
 * What the worker and its checkers hold with next to nothing cached, at 2,000 respondents: about
 * 900 MiB at the close in `npm run bench`, the largest of any phase.
 */
export const WORKER_BASE_MIB = 900;
/**
 * What one cached division adds to the worker's resident memory, in `npm run bench` at 2,000.
 * About half of it is the SDK's own: an empty workflow cached costs some 200 KB.
 */
export const CACHED_WORKFLOW_KIB = 450;
/** Below this, a return after a refused one would replay as well; above it, eviction stops mattering. */
export const MIN_CACHED_WORKFLOWS = 150;
export const MAX_CACHED_WORKFLOWS = 10_000;

/**
 * How many workflows the worker keeps in memory between their tasks, for the memory it may use.
 * A division that is not cached replays its whole history for every return it takes: in
 * `npm run bench` at 2,000 respondents, 39.0 returns/s with all of them cached (1.7 GB), 31/s
 * with 150 (0.9 GB). A city's dozen divisions never fill even the smallest cache.
 */
export function cachedWorkflowsFor(memoryMib: number): number {
  const fits = Math.floor(((memoryMib - WORKER_BASE_MIB) * 1024) / CACHED_WORKFLOW_KIB);
  return Math.min(MAX_CACHED_WORKFLOWS, Math.max(MIN_CACHED_WORKFLOWS, fits));
}

/** The memory limit of this process's cgroup (v2, then v1), or undefined where it has none. */
export function cgroupMemoryLimit(read: (path: string) => string | undefined = readIfThere): number | undefined {
  for (const path of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    const text = read(path)?.trim();
    if (text && /^\d+$/.test(text)) return Number(text);
  }
  return undefined;
}

/** The memory the worker may use when the operator does not say: its container's limit, else half the machine. */
export function defaultWorkerMemoryMib(limit: number | undefined, total: number): number {
  // cgroup v1 reports "no limit" as a number near 2^63.
  return Math.floor(Math.min(limit ?? total / 2, total) / MiB);
}

function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
