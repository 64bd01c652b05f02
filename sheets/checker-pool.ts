/**
 * The pool of checker processes that parse returned files. A process per file cost more than
 * the reading itself (node, tsx and exceljs start in half a second), so each checker is
 * long-lived and takes one file at a time. Each file still runs under the limits a process of
 * its own had: a checker over its time or memory limit, or one that crashed, is killed, the file
 * is refused for it, and the next file gets a fresh checker. Memory counts the growth above the
 * checker's idle size, and a checker is retired after `recycleAfter` files or once a file left
 * it much larger than it was idle, so that nothing one file did can weigh on the next.
 * Not worker threads: their resourceLimits cap the V8 heap only, and inflating grows Buffers.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ExpectedReturn, ReturnReading } from './read-return-sheet';
import { MEMORY_EXIT_CODE, type ReadJob, type ReadReply } from './read-return-child';
import type { ContainerLimits, FileLimits } from './return-file-checks';
import { fileProblem, RETURN_PROBLEMS as P, type ReturnProblem } from './return-problems';

export interface ReturnFileLimits extends FileLimits, ContainerLimits {
  /** How long a checker may take to read the file, from when it has it. */
  timeoutMs: number;
  /** A checker's V8 heap (--max-old-space-size), in MB. */
  maxHeapMb: number;
  /** How far a checker's resident memory, Buffers included, may grow above its idle size while it reads one file, in MB. */
  maxRssMb: number;
}

const MB = 1024 * 1024;

/**
 * A filled return sheet is about 17 KB, 50 to 90 KB unpacked, in 11 to 17 parts (as exceljs
 * or LibreOffice saves it); reading one takes about 0.1 s and a few tens of MB. The limits
 * leave room for a sheet with pasted pictures, and none for a file built to hurt.
 */
export const RETURN_FILE_LIMITS: Readonly<ReturnFileLimits> = {
  maxFileBytes: 10 * MB,
  maxParts: 1000,
  maxPartBytes: 32 * MB,
  maxExpandedBytes: 64 * MB,
  timeoutMs: 20_000,
  maxHeapMb: 384,
  maxRssMb: 768,
};

export interface CheckerPoolOptions {
  /** Checkers at most; by default one per core. */
  size?: number;
  /** Files a checker reads before it is replaced. */
  recycleAfter?: number;
  /** How long a checker may wait for a file before it ends, in ms; `DEFAULT_IDLE_AFTER_MS` by default. */
  idleAfterMs?: number;
  limits?: Partial<ReturnFileLimits>;
  /** The checker's entry file; tests put stand-ins there. */
  entry?: string;
}

export interface CheckerPool {
  readonly limits: Readonly<ReturnFileLimits>;
  /** Reads a file in a checker: a timeout, a crash or too much memory is a problem of the file. A checker that cannot start at all is a fault of this installation and raises. */
  read(data: Buffer, expected: ExpectedReturn): Promise<ReturnReading>;
  /** The checkers' process ids, for a measure of their CPU and memory. */
  pids(): number[];
  close(): void;
}

/**
 * Starting a checker costs some 600 ms of CPU (node, tsx, exceljs): replaced after 200 files,
 * that was 3 ms on every file. Over 3,000 files one checker's resident size stays within
 * 113 MB, so nothing is gained by replacing it sooner.
 */
export const DEFAULT_RECYCLE_AFTER = 1000;
/**
 * Each idle checker holds about 90 MB. Between busy hours (and through a cycle's launch and
 * close, when nothing is checked) the pool gives that back; the first file after a quiet spell
 * waits half a second for a fresh checker.
 */
export const DEFAULT_IDLE_AFTER_MS = 30_000;
/** The checker's entry: a CommonJS file that registers tsx, so it runs the same under tsx, vitest and `node client/bin.cjs`. */
export const CHECKER_ENTRY = join(__dirname, 'read-return-child.cjs');
// Starting node, tsx and exceljs takes about half a second; more than this is a broken installation, not a bad file.
const START_TIMEOUT_MS = 30_000;
const RSS_POLL_MS = 25;
const SEMI_SPACE_MB = 2;
const HEAP_GROWING_PERCENT = 100;
const STDERR_KEPT = 8 * 1024;

const refused = (problem: ReturnProblem): ReturnReading => ({ ok: false, problems: [problem], answers: [] });

/** A process's resident memory from /proc, in bytes; undefined where there is no /proc (the checker then watches itself). */
function residentBytes(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Why a checker that did not answer ended, when it was not killed for time or memory. */
function exitProblem(code: number | null, stderr: string, limits: ReturnFileLimits): ReturnProblem {
  if (code === MEMORY_EXIT_CODE) return fileProblem(P.readMemory, limits.maxRssMb);
  // V8 aborts with this when the heap reaches --max-old-space-size.
  if (/heap out of memory|Reached heap limit|Allocation failed/i.test(stderr)) return fileProblem(P.readMemory, limits.maxHeapMb);
  return fileProblem(P.readFailed);
}

/** One file's outcome, and whether its checker may take another. */
interface Outcome {
  reading: ReturnReading;
  reusable: boolean;
}

interface Checker {
  child: ChildProcess;
  idleRss?: number;
  files: number;
  /** Ends the checker once it has waited too long for a file. */
  idleTimer?: NodeJS.Timeout;
  run(data: Buffer, expected: ExpectedReturn): Promise<Outcome>;
}

/** A checker, once it has loaded the reader; rejects when it cannot start. */
function startChecker(entry: string, limits: ReturnFileLimits, recycleAfter: number): Promise<Checker> {
  const env = { ...process.env };
  // The parent's flags (an inspector, a loader) are not the checker's; it sets its own.
  delete env.NODE_OPTIONS;
  const child = fork(entry, [], {
    cwd: join(__dirname, '..'),
    env,
    // A sheet's objects die young; a small young generation keeps each idle checker some 40 MB
    // smaller (in `npm run bench`, two checkers 184 MB against 264 MB) at the same rate of checks.
    // Under a heap cap of a few hundred MB V8 lets the old generation grow by little more than a
    // tenth before each full collection, and a full collection came every ten files. A set growth
    // factor reads a sheet in 7.7 ms instead of 12.4, for some 10 MB more: through the pool,
    // 1.4 times the same reading in process instead of 2.3 (test/sheets/read-return-file.bench.ts).
    execArgv: [`--max-old-space-size=${limits.maxHeapMb}`, `--max-semi-space-size=${SEMI_SPACE_MB}`, `--heap-growing-percent=${HEAP_GROWING_PERCENT}`],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  // An idle checker must not keep its parent alive (a CLI, a test file); a file being read holds its timers.
  child.unref();
  child.channel?.unref();
  (child.stderr as (Readable & { unref?: () => void }) | null)?.unref?.();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
  });

  // What the current file waits for: its reply, or the checker's end.
  let onReply: ((reply: ReadReply) => void) | undefined;
  let onClose: ((code: number | null) => void) | undefined;
  let closed = false;
  child.on('message', (reply: ReadReply) => onReply?.(reply));
  child.on('close', (code) => {
    closed = true;
    onClose?.(code);
  });

  const checker: Checker = {
    child,
    files: 0,
    run: (data, expected) =>
      new Promise<Outcome>((resolve) => {
        checker.files++;
        stderr = '';
        let killedFor: ReturnProblem | undefined;
        const kill = (problem: ReturnProblem) => {
          killedFor ??= problem;
          child.kill('SIGKILL');
        };
        const timeout = setTimeout(() => kill(fileProblem(P.readTimeout, Math.ceil(limits.timeoutMs / 1000))), limits.timeoutMs);
        const watch = setInterval(() => {
          const rss = residentBytes(child.pid!);
          if (rss !== undefined && checker.idleRss !== undefined && rss - checker.idleRss > limits.maxRssMb * MB) kill(fileProblem(P.readMemory, limits.maxRssMb));
        }, RSS_POLL_MS);
        const settle = (outcome: Outcome) => {
          clearTimeout(timeout);
          clearInterval(watch);
          onReply = onClose = undefined;
          resolve(outcome);
        };
        onReply = (reply) => {
          if (reply.type === 'failed') {
            // An exception in the reader itself: the division is told the file could not be read, and the operator why.
            console.error(`checker: the reader failed: ${reply.error}`);
            settle({ reading: refused(fileProblem(P.readFailed)), reusable: false });
          } else if (reply.type === 'reading') {
            const rss = residentBytes(child.pid!);
            // A file that left the checker far above its idle size would shorten the next file's allowance.
            const swollen = rss !== undefined && checker.idleRss !== undefined && rss - checker.idleRss > (limits.maxRssMb * MB) / 2;
            settle({ reading: reply.reading, reusable: checker.files < recycleAfter && !swollen });
          }
        };
        onClose = (code) => settle({ reading: refused(killedFor ?? exitProblem(code, stderr, limits)), reusable: false });
        if (closed) return onClose(child.exitCode);
        const job: ReadJob = {
          data,
          expected,
          limits: { maxParts: limits.maxParts, maxPartBytes: limits.maxPartBytes, maxExpandedBytes: limits.maxExpandedBytes },
          maxGrowthBytes: limits.maxRssMb * MB,
        };
        child.send(job);
      }),
  };

  return new Promise<Checker>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      onReply = onClose = undefined;
      reject(new Error(`the return checker (${entry}) ended before it started (${why}): ${stderr.trim()}`));
    };
    child.once('error', (err) => fail(err.message));
    onClose = (code) => fail(child.signalCode ?? `exit code ${code}`);
    onReply = (reply) => {
      if (reply.type !== 'ready') return;
      clearTimeout(timer);
      onReply = onClose = undefined;
      checker.idleRss = residentBytes(child.pid!);
      resolve(checker);
    };
  });
}

export function createCheckerPool(options: CheckerPoolOptions = {}): CheckerPool {
  const limits: ReturnFileLimits = { ...RETURN_FILE_LIMITS, ...options.limits };
  const size = options.size ?? Math.max(1, availableParallelism());
  const recycleAfter = options.recycleAfter ?? DEFAULT_RECYCLE_AFTER;
  const idleAfterMs = options.idleAfterMs ?? DEFAULT_IDLE_AFTER_MS;
  const entry = options.entry ?? CHECKER_ENTRY;
  const idle: Checker[] = [];
  const live = new Set<Checker>();
  const waiting: Array<() => void> = [];
  let free = size;
  let closed = false;

  const retire = (checker: Checker) => {
    clearTimeout(checker.idleTimer);
    live.delete(checker);
    checker.child.kill('SIGKILL');
  };
  const park = (checker: Checker) => {
    idle.push(checker);
    checker.idleTimer = setTimeout(() => {
      idle.splice(idle.indexOf(checker), 1);
      retire(checker);
    }, idleAfterMs).unref();
  };
  const slot = async () => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };

  return {
    limits,
    async read(data, expected) {
      if (closed) throw new Error('the checker pool is closed');
      await slot();
      try {
        // The most recently used first, so that the pool's extra checkers are the ones that go idle.
        let checker = idle.pop();
        clearTimeout(checker?.idleTimer);
        if (!checker) {
          checker = await startChecker(entry, limits, recycleAfter);
          live.add(checker);
        }
        const { reading, reusable } = await checker.run(data, expected);
        if (reusable && !closed) park(checker);
        else retire(checker);
        return reading;
      } finally {
        release();
      }
    },
    pids: () => [...live].flatMap((c) => (c.child.pid === undefined || c.child.exitCode !== null ? [] : [c.child.pid])),
    close() {
      closed = true;
      for (const checker of idle.splice(0)) retire(checker);
    },
  };
}
