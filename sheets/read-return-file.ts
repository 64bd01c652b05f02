/**
 * Checking a returned file as it arrives, whatever it is. The cheap checks run here: its first
 * bytes (empty, too large, .xls, encrypted, text) and its zip's central directory (entry count,
 * declared sizes, .ods, a VBA project), which inflate nothing. Everything that inflates or
 * parses it (each part with its bytes counted, the DOCTYPE scan, exceljs, the reader) runs in a
 * child process with a time and a memory limit, so that no file can stall or bring down the
 * worker. Not a worker thread: its resourceLimits cap the V8 heap only, and inflating grows Buffers.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ExpectedReturn, ReturnReading } from './read-return-sheet';
import { MEMORY_EXIT_CODE, type ReadJob, type ReadReply } from './read-return-child';
import { checkFileBytes, checkZipDirectory, type ContainerLimits, type FileLimits } from './return-file-checks';
import { fileProblem, RETURN_PROBLEMS as P, type ReturnProblem } from './return-problems';

export interface ReturnFileLimits extends FileLimits, ContainerLimits {
  /** How long the child may take to read the file, from when it has it. */
  timeoutMs: number;
  /** The child's V8 heap (--max-old-space-size), in MB. */
  maxHeapMb: number;
  /** The child's resident memory, Buffers included, in MB: past it, the child is killed. */
  maxRssMb: number;
}

const MB = 1024 * 1024;

/**
 * A filled return sheet is about 17 KB, 50 to 90 KB unpacked, in 11 to 17 parts (as exceljs
 * or LibreOffice saves it); reading one takes about 0.2 s and under 150 MB. The limits leave
 * room for a sheet with pasted pictures, and none for a file built to hurt.
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

/** The child's entry: a CommonJS file that registers tsx, so it runs the same under tsx, vitest and `node client/bin.cjs`. */
export const READ_CHILD_ENTRY = join(__dirname, 'read-return-child.cjs');
// Starting node, tsx and exceljs takes about half a second; more than this is a broken installation, not a bad file.
const START_TIMEOUT_MS = 30_000;
const RSS_POLL_MS = 25;
// A child that answered but has not exited by then is killed.
const EXIT_GRACE_MS = 2_000;
const STDERR_KEPT = 8 * 1024;

const refused = (problem: ReturnProblem): ReturnReading => ({ ok: false, problems: [problem], answers: [] });

// One child per core at most: a worker may check many returns at once, and each child may use maxRssMb.
let freeSlots = Math.max(1, availableParallelism());
const waiting: Array<() => void> = [];

async function withSlot<T>(run: () => Promise<T>): Promise<T> {
  if (freeSlots > 0) freeSlots--;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await run();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else freeSlots++;
  }
}

/** A process's resident memory from /proc, in bytes; undefined where there is no /proc (the child then watches itself). */
function residentBytes(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Why a child that did not answer ended, when it was not killed for time or memory. */
function exitProblem(code: number | null, stderr: string, limits: ReturnFileLimits): ReturnProblem {
  if (code === MEMORY_EXIT_CODE) return fileProblem(P.readMemory, limits.maxRssMb);
  // V8 aborts with this when the heap reaches --max-old-space-size.
  if (/heap out of memory|Reached heap limit|Allocation failed/i.test(stderr)) return fileProblem(P.readMemory, limits.maxHeapMb);
  return fileProblem(P.readFailed);
}

/**
 * Reads a file in a child process under `limits`: a timeout, a crash or too much memory is a
 * problem of the file. A child that cannot start at all is a fault of this installation and
 * raises. `entry` is the child's entry file; tests put stand-ins there.
 */
export function readInChild(data: Buffer, expected: ExpectedReturn, limits: ReturnFileLimits, entry = READ_CHILD_ENTRY): Promise<ReturnReading> {
  return withSlot(() => new Promise<ReturnReading>((resolve, reject) => {
    const env = { ...process.env };
    // The parent's flags (an inspector, a loader) are not the child's; the child sets its own.
    delete env.NODE_OPTIONS;
    const child = fork(entry, [], {
      cwd: join(__dirname, '..'),
      env,
      execArgv: [`--max-old-space-size=${limits.maxHeapMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let phase: 'starting' | 'reading' | 'answered' = 'starting';
    let killedFor: ReturnProblem | undefined;
    let stderr = '';
    const timers: NodeJS.Timeout[] = [];
    const stop = () => timers.forEach((timer) => clearTimeout(timer));
    const kill = (problem?: ReturnProblem) => {
      killedFor ??= problem;
      child.kill('SIGKILL');
    };

    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
    });
    timers.push(setTimeout(() => kill(), START_TIMEOUT_MS));

    child.on('message', (reply: ReadReply) => {
      if (reply.type === 'ready' && phase === 'starting') {
        phase = 'reading';
        stop();
        const job: ReadJob = { data, expected, limits: { maxParts: limits.maxParts, maxPartBytes: limits.maxPartBytes, maxExpandedBytes: limits.maxExpandedBytes }, maxRssBytes: limits.maxRssMb * MB };
        child.send(job);
        timers.push(setTimeout(() => kill(fileProblem(P.readTimeout, Math.ceil(limits.timeoutMs / 1000))), limits.timeoutMs));
        timers.push(setInterval(() => {
          const rss = residentBytes(child.pid!);
          if (rss !== undefined && rss > limits.maxRssMb * MB) kill(fileProblem(P.readMemory, limits.maxRssMb));
        }, RSS_POLL_MS));
      } else if (phase === 'reading' && (reply.type === 'reading' || reply.type === 'failed')) {
        phase = 'answered';
        stop();
        timers.push(setTimeout(() => kill(), EXIT_GRACE_MS));
        if (reply.type === 'failed') {
          // An exception in the reader itself: the division is told the file could not be read, and the operator why.
          console.error(`readReturnFile: the reader failed: ${reply.error}`);
          resolve(refused(fileProblem(P.readFailed)));
        } else {
          resolve(reply.reading);
        }
      }
    });
    child.on('error', (err) => {
      if (phase === 'starting') {
        stop();
        reject(err);
      }
    });
    // 'close', not 'exit': it comes after the IPC channel has delivered every message.
    child.on('close', (code, signal) => {
      stop();
      if (phase === 'starting') reject(new Error(`the return reader (${entry}) ended before it started (${signal ?? `exit code ${code}`}): ${stderr.trim()}`));
      else if (phase === 'reading') resolve(refused(killedFor ?? exitProblem(code, stderr, limits)));
    });
  }));
}

/**
 * Checks and reads a returned file, whatever its bytes: never throws for what a file holds.
 * The problems name what the file is (an .xls, an encrypted workbook, a CSV, too large, a zip
 * bomb…) or, for a return sheet, each cell that is wrong.
 */
export async function readReturnFile(data: Buffer, expected: ExpectedReturn, limits: Partial<ReturnFileLimits> = {}): Promise<ReturnReading> {
  const all: ReturnFileLimits = { ...RETURN_FILE_LIMITS, ...limits };
  const problem = checkFileBytes(data, all) ?? (await checkZipDirectory(data, all));
  if (problem) return refused(problem);
  return readInChild(data, expected, all);
}
