/**
 * Scale benchmark of a whole collection season on a real Temporal dev server, SMTP sink and worker
 * process, each phase measured against a plain loop doing the same file and mail work without
 * Temporal (the "floor"). The season: every division launched with a deadline ahead (every
 * ladder pending); 30 % submit a refused sheet first, 10 % are sent back and resubmit, 5 % are
 * excused, 5 % answer only after the first rung (a reminder at the deadline, counted in seconds)
 * reached them, one at a time; then the close and its archive. Every return is a distinct file.
 * All of it runs on two cores (`taskset -c 0,1`).
 *
 * With BENCH_WORKERS=2 the same season runs twice in one invocation, each time on a fresh stack
 * (dev server, SQLite file, SMTP sinks, data directories of its own): first as above, one worker
 * on the local data directory; then with the run data in an S3 bucket (a SeaweedFS server,
 * started before the season and outside every figure) and two worker processes, each on its own
 * data directory, sharing the bucket and the keys as two VMs would. Each run measures its own
 * floors; the S3 server's CPU and memory are shown beside the workers', and at the end a table
 * sets each headline figure of the two runs side by side, with the ratio two / one.
 *
 *   npx tsx test/bench/cycle-scale.ts                    # 2000 divisions x 10 items
 *   BENCH_DIVISIONS=50 npx tsx test/bench/cycle-scale.ts # a quick try
 *   BENCH_WORKERS=2 npx tsx test/bench/cycle-scale.ts    # and again with two workers on S3
 *
 * Settings (environment): BENCH_WORKERS (1; or 2, as above), BENCH_DIVISIONS (2000), BENCH_ITEMS_PER_DIVISION (10),
 * BENCH_CONCURRENCY (16 updates in flight), BENCH_HISTORY_SAMPLE (division histories to read;
 * default all), BENCH_PROGRESS_S (5), BENCH_LAUNCH_TIMEOUT_S / BENCH_SUBMIT_TIMEOUT_S /
 * BENCH_CLOSE_TIMEOUT_S (default 300 s + 0.5 s per division each), BENCH_UPDATE_TIMEOUT_S (180),
 * BENCH_DEADLINE_AFTER_S (seconds from the launch to the deadline; by default 1.5 x the launch
 * floor + 0.1 s per division + 60 s, past the on-time returns), BENCH_WORKER_NODE_ARGS (flags
 * for the worker's node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes),
 * TORIMATOME_WORKER_MEMORY_MB (the worker's memory, from which it sizes its workflow cache; 1024).
 *
 * It never uses the environment's TEMPORAL_ADDRESS, SMTP_URL or TORIMATOME_S3_* settings:
 * everything runs in a fresh temporary data directory per run, which is kept (with
 * bench-result.json, and in the S3 run the bucket's files under s3/) for inspection.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { type Client, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId, WorkflowIdReusePolicy } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { cycleKeys, sha256, storeReceived } from '../../store/file-store';
import { requestMail } from '../../activities/mail-texts';
import { assignItems, type DivisionAssignment, parseDeadline, roleOf } from '../../domain/cycle';
import { archiveWorkflowId, cycleId, divisionWorkflowId, TASK_QUEUE } from '../../domain/workflow-ids';
import { divisionById, type DivisionDirectory } from '../../domain/division-directory';
import { type Plan, serializePlan } from '../../domain/plan';
import { saveDirectory, savePlan } from '../../store/master-files';
import { fillReturnSheet } from '../../sheets/fill-return-sheet';
import { readReturnSheet } from '../../sheets/read-return-sheet';
import { type SheetItem, writeReturnSheet } from '../../sheets/write-return-sheet';
import { killOnExit } from '../../stack/kill-on-exit';
import { removeRunInfo, writeRunInfo } from '../../stack/run-file';
import { listSentMail, type SmtpSink, startSmtpSink } from '../../stack/smtp-sink';
import { type DevServer, startDevServer } from '../../stack/temporal-dev-server';
import { connectClient } from '../../worker/settings';
import { type CloseResult, closeCycleUpdate, type CycleInput, excuseSignal, type FileRef, type Ladder, sendBackUpdate, type SubmitResult, submitReturnUpdate } from '../../workflows/definitions';
import type { AnswerValues } from '../../domain/collection-definition';
import { ARAO_COLLECTION } from '../../domain/arao-collection';
import { consolidatePlan, writeConsolidatedWorkbook } from '../../sheets/consolidated-table';
import { BENCH_MUNICIPALITY, syntheticAnswer, syntheticMaster } from './synthetic-plan';
import { openStore } from '../../store/open-store';
import type { ObjectStore } from '../../store/object-store';
import { type S3Server, startS3Server } from '../../stack/s3-server';
import { createSigningKey } from '../../audit/signing-key';

// ---------------------------------------------------------------------------------------------
// Settings

function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

const DIVISIONS = intEnv('BENCH_DIVISIONS', 2000);
const ITEMS_PER_DIVISION = intEnv('BENCH_ITEMS_PER_DIVISION', 10);
const CONCURRENCY = intEnv('BENCH_CONCURRENCY', 16);
const WORKER_MEMORY_MB = intEnv('TORIMATOME_WORKER_MEMORY_MB', 1024);
const HISTORY_SAMPLE = intEnv('BENCH_HISTORY_SAMPLE', DIVISIONS, 0);
const PROGRESS_MS = intEnv('BENCH_PROGRESS_S', 5) * 1000;
const PHASE_TIMEOUT_DEFAULT_S = 300 + Math.ceil(DIVISIONS / 2);
const LAUNCH_TIMEOUT_MS = intEnv('BENCH_LAUNCH_TIMEOUT_S', PHASE_TIMEOUT_DEFAULT_S) * 1000;
const SUBMIT_TIMEOUT_MS = intEnv('BENCH_SUBMIT_TIMEOUT_S', PHASE_TIMEOUT_DEFAULT_S) * 1000;
const CLOSE_TIMEOUT_MS = intEnv('BENCH_CLOSE_TIMEOUT_S', PHASE_TIMEOUT_DEFAULT_S) * 1000;
const UPDATE_TIMEOUT_MS = intEnv('BENCH_UPDATE_TIMEOUT_S', 180) * 1000;
const WORKER_READY_TIMEOUT_MS = 180_000;
const WORKER_STOP_GRACE_MS = 30_000;
const WORKERS = intEnv('BENCH_WORKERS', 1);
if (WORKERS > 2) throw new Error(`BENCH_WORKERS must be 1 or 2, got ${WORKERS}`);

/** How one run of the season is served: how many workers, and whether the run data is in a bucket. */
interface RunSetting {
  name: string;
  workers: number;
  s3: boolean;
}
const ONE_LOCAL: RunSetting = { name: 'one worker, local disk', workers: 1, s3: false };
const TWO_S3: RunSetting = { name: 'two workers, S3 store', workers: 2, s3: true };
const SETTINGS: RunSetting[] = WORKERS === 1 ? [ONE_LOCAL] : [ONE_LOCAL, TWO_S3];
/** The bucket of the S3 run, and the prefix its keys are under. */
const BUCKET = 'torimatome';
const BUCKET_PREFIX = 'bench';

const YEAR = 'R4';
/** The deadline the launch floor writes into its sheets: any day, as long as the text is as long. */
const FLOOR_DEADLINE = parseDeadline('2049-03-31');
const ACTOR = 'ベンチマーク';
const CYCLE_ID = cycleId(BENCH_MUNICIPALITY.id, YEAR);
const BIN = resolve(__dirname, '..', '..', 'client', 'bin.cjs');
/** Temporal's per-workflow warning limits (the hard limits are 51,200 events / 50 MB). */
const HISTORY_WARN_EVENTS = 10_240;
const HISTORY_WARN_BYTES = 10 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Output

const started = performance.now();
function log(line: string): void {
  const s = Math.floor((performance.now() - started) / 1000);
  process.stdout.write(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${line}\n`);
}
const seconds = (ms: number) => Math.round(ms) / 1000;
const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

class BenchError extends Error {
  override name = 'BenchError';
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * CPU time (user + system) a process has used so far, with that of its children that ended (the
 * worker forks one to read each return), in seconds, from /proc; NaN once it is gone.
 */
function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime and cstime are fields 14 to 17 of the line, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}

interface CpuUse {
  wallSeconds: number;
  /** Every worker's tree (the worker and its checkers), summed. */
  workerCpuSeconds: number;
  serverCpuSeconds: number;
  benchCpuSeconds: number;
  /** The S3 server, where the run data is in a bucket. */
  s3ServerCpuSeconds?: number;
}

/** CPU used by the workers, the dev server and the S3 server over one phase, beside its wall time. */
function cpuMeter(stack: Stack): () => CpuUse {
  const workers = () => total(stack.workers.map((w) => treeCpuSeconds(w.child.pid)));
  const s3 = () => (stack.s3 ? treeCpuSeconds(stack.s3.pid) : NaN);
  const start = { at: performance.now(), worker: workers(), server: cpuSecondsOf(stack.server?.pid), bench: cpuSecondsOf(process.pid), s3: s3() };
  return () => {
    const wall = (performance.now() - start.at) / 1000;
    const worker = workers() - start.worker;
    const server = cpuSecondsOf(stack.server?.pid) - start.server;
    const bench = cpuSecondsOf(process.pid) - start.bench;
    const use: CpuUse = { wallSeconds: Number(wall.toFixed(1)), workerCpuSeconds: Number(worker.toFixed(2)), serverCpuSeconds: Number(server.toFixed(2)), benchCpuSeconds: Number(bench.toFixed(2)) };
    if (stack.s3) use.s3ServerCpuSeconds = Number((s3() - start.s3).toFixed(2));
    return use;
  };
}
const showCpu = (c: CpuUse, workers: number) => {
  const part = (name: string, cpu: number) => `${name} ${cpu.toFixed(0)} s (${(cpu / c.wallSeconds).toFixed(2)} cores)`;
  const s3 = c.s3ServerCpuSeconds === undefined ? [] : [part('S3 server', c.s3ServerCpuSeconds)];
  return [part(`${workersLabel(workers)} + checkers`, c.workerCpuSeconds), part('server', c.serverCpuSeconds), ...s3, part('bench + SMTP sinks', c.benchCpuSeconds)].join(', ');
};
const total = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0);
/** `worker`, or `2 workers`: what a figure summed over the workers is of. */
const workersLabel = (n: number) => (n === 1 ? 'worker' : `${n} workers`);

/** Peak (VmHWM) and current (VmRSS) resident set of a process, in bytes, from /proc. */
function memoryOf(pid: number | undefined): { peak: number; current: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { peak: kb('VmHWM'), current: kb('VmRSS') };
  } catch {
    return undefined;
  }
}

/** Every process's children, by parent, from /proc. */
function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while the list was read.
    }
  }
  return children;
}

/** The processes under `pid` (the worker's checkers), from /proc. */
function descendantsOf(pid: number, children = childrenByParent()): number[] {
  const out: number[] = [];
  for (let queue = [...(children.get(pid) ?? [])]; queue.length > 0; ) {
    const next = queue.shift()!;
    out.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return out;
}

/** CPU of a process, of its children that ended, and of those still running (long-lived checkers), in seconds. */
function treeCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const own = (p: number) => {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = fields.slice(fields.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      return 0;
    }
  };
  return cpuSecondsOf(pid) + descendantsOf(pid).reduce((sum, p) => sum + own(p), 0);
}

/** A process's resident memory now, in bytes; one that is exiting (no VmRSS any more) counts as nothing. */
function rssOf(pid: number): number {
  const current = memoryOf(pid)?.current ?? 0;
  return Number.isFinite(current) ? current : 0;
}

/**
 * Samples each worker and its checkers together, as one figure, every quarter second; the peak
 * of all the workers' trees together, and of each one's; also each phase's peak, of the trees
 * and of the workers alone (summed over the workers).
 */
function startMemorySampler(pids: readonly number[]) {
  let phase = '';
  const peak = { bytes: 0, phase: '', byPhase: {} as Record<string, { tree: number; worker: number }>, perWorker: pids.map(() => ({ bytes: 0, phase: '' })) };
  const timer = setInterval(() => {
    const children = childrenByParent();
    const each = pids.map((pid) => {
      const worker = rssOf(pid);
      return { worker, tree: descendantsOf(pid, children).reduce((sum, p) => sum + rssOf(p), worker) };
    });
    const bytes = total(each.map((e) => e.tree));
    const worker = total(each.map((e) => e.worker));
    if (bytes > peak.bytes) Object.assign(peak, { bytes, phase });
    each.forEach((e, i) => {
      if (e.tree > peak.perWorker[i]!.bytes) Object.assign(peak.perWorker[i]!, { bytes: e.tree, phase });
    });
    const seen = (peak.byPhase[phase] ??= { tree: 0, worker: 0 });
    seen.tree = Math.max(seen.tree, bytes);
    seen.worker = Math.max(seen.worker, worker);
  }, 250);
  return {
    phase: (name: string) => void (phase = name),
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/** `Cpus_allowed_list` of a process: the cores it may run on. */
function affinityOf(pid: number | 'self'): string {
  try {
    return /^Cpus_allowed_list:\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

/** Counts the mails of the first rung (【督促】) as they arrive, until every late division has had its own. */
async function waitForRungs(sentDir: string, cases: readonly DivisionCase[], late: ReadonlySet<string>, deadline: string): Promise<{ total: number; late: number; afterDeadlineMs: number }> {
  const lateContacts = new Set(cases.filter((c) => late.has(c.divisionId)).map((c) => c.contact));
  const seen = new Set<string>();
  let total = 0;
  let toLate = 0;
  for (;;) {
    for (const file of await listSentMail(sentDir)) {
      if (seen.has(file)) continue;
      seen.add(file);
      const mail = await simpleParser(await readFile(file));
      if (!mail.subject?.startsWith('【督促】')) continue;
      total++;
      const to = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));
      if (to.some((address) => lateContacts.has(address))) toLate++;
    }
    if (toLate >= lateContacts.size) return { total, late: toLate, afterDeadlineMs: Date.now() - Date.parse(deadline) };
    await sleep(1_000);
  }
}

/** Rejects with a clear message when `work` takes longer than `ms`; the work itself goes on. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BenchError(`${what} did not finish within ${seconds(ms)} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `work` over `all` with at most `limit` in flight, in order of `all`. */
async function pool<T>(all: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, all.length) }, async () => {
    while (next < all.length) {
      const i = next++;
      await work(all[i]!, i);
    }
  });
  await Promise.all(lanes);
}

// ---------------------------------------------------------------------------------------------
// The stack: dev server and SMTP sinks in this process, the workers (and the S3 server) as child processes

interface WorkerProcess {
  /** `worker`, or `worker 1` and `worker 2`: as the output names it. */
  name: string;
  dataDir: string;
  child: ChildProcess;
  /** Lines the worker wrote to stderr (its warnings and errors). */
  stderrLines: string[];
  exited: Promise<string>;
  exitReason?: string;
  /** As the worker said when it started. */
  cachedWorkflows?: number;
}

const ECHO_LIMIT = 40;

function followOutput(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    rest += chunk;
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onLine(line);
  });
  stream.on('end', () => {
    if (rest.trim() !== '') onLine(rest);
  });
}

async function startWorkerProcess(stack: Stack, name: string, dataDir: string): Promise<WorkerProcess> {
  // The target's gigabyte, from which the worker sizes its workflow cache, unless told otherwise.
  const env: NodeJS.ProcessEnv = { ...process.env, TORIMATOME_WORKER_MEMORY_MB: String(WORKER_MEMORY_MB), TORIMATOME_DATA_DIR: dataDir };
  // The worker must find the bench's servers through run.json, never a cluster named outside,
  // and keep its run data where the bench says (the data directory, or the run's bucket).
  for (const name of Object.keys(env)) if (name.startsWith('TEMPORAL_') || name === 'SMTP_URL' || name.startsWith('TORIMATOME_S3_')) delete env[name];
  Object.assign(env, stack.env);
  const child = spawn(process.execPath, [...(process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean), BIN, 'worker'], { cwd: resolve(__dirname, '..', '..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  const logFile = join(dataDir, 'worker.log');
  const worker: WorkerProcess = {
    name,
    dataDir,
    child,
    stderrLines: [],
    exited: new Promise<string>((done) => {
      child.once('error', (err) => done(err.message));
      child.once('close', (code, signal) => done(signal ? `killed by ${signal}` : `exit code ${code}`));
    }),
  };
  void worker.exited.then((reason) => (worker.exitReason = reason));
  let ready!: () => void;
  const isReady = new Promise<void>((done) => (ready = done));
  followOutput(child.stdout!, (line) => {
    void appendFile(logFile, `${line}\n`);
    if (!line.startsWith('worker started')) return;
    worker.cachedWorkflows = Number(/up to (\d+) workflows cached/.exec(line)?.[1]);
    ready();
  });
  followOutput(child.stderr!, (line) => {
    void appendFile(logFile, `[stderr] ${line}\n`);
    if (stack.tearingDown) return;
    worker.stderrLines.push(line);
    if (worker.stderrLines.length <= ECHO_LIMIT) log(`  [${name}] ${line}`);
    else if (worker.stderrLines.length === ECHO_LIMIT + 1) log(`  [${name}] ... more in ${logFile}`);
  });
  // Pushed before it is ready, so that teardown stops it whatever happens next.
  stack.workers.push(worker);
  const outcome = await within(
    WORKER_READY_TIMEOUT_MS,
    `the ${name} start (bundling the workflows)`,
    Promise.race([isReady.then(() => 'ready' as const), worker.exited.then((reason) => reason)]),
  );
  if (outcome !== 'ready') throw new BenchError(`the ${name} ended (${outcome}) before it started; its output is in ${logFile}:\n${worker.stderrLines.slice(-20).join('\n')}`);
  return worker;
}

/** The first worker that has ended, if any: each must live through the season, even where another could take over. */
const endedWorker = (workers: readonly WorkerProcess[]) => workers.find((w) => w.exitReason !== undefined);

function assertWorkersAlive(workers: readonly WorkerProcess[]): void {
  const worker = endedWorker(workers);
  if (worker) {
    throw new BenchError(`the ${worker.name} process ended (${worker.exitReason}); its last errors:\n${worker.stderrLines.slice(-20).join('\n') || '(none)'}`);
  }
}

/** One figure per worker: bare for a single worker, else each named. */
function eachWorker(workers: readonly WorkerProcess[], show: (w: WorkerProcess, i: number) => string): string {
  return workers.length === 1 ? show(workers[0]!, 0) : workers.map((w, i) => `${w.name} ${show(w, i)}`).join(', ');
}

/** The workers' resident memory now, for the progress lines. */
const showWorkerRss = (workers: readonly WorkerProcess[]) =>
  `worker RSS ${eachWorker(workers, (w) => {
    const rss = memoryOf(w.child.pid);
    return rss ? mib(rss.current) : '?';
  })}`;

async function stopWorker(worker: WorkerProcess): Promise<string> {
  if (worker.exitReason !== undefined) return `had already ended (${worker.exitReason})`;
  worker.child.kill('SIGTERM');
  const grace = new AbortController();
  const graceful = await Promise.race([worker.exited, sleep(WORKER_STOP_GRACE_MS, undefined, { signal: grace.signal }).catch(() => undefined)]);
  grace.abort();
  if (graceful !== undefined) return graceful;
  worker.child.kill('SIGKILL');
  return `did not stop within ${WORKER_STOP_GRACE_MS / 1000} s of SIGTERM: ${await worker.exited}`;
}

// ---------------------------------------------------------------------------------------------
// What each division gets, as the activities build it

interface DivisionCase {
  divisionId: string;
  divisionName: string;
  contact: string;
  assignment: DivisionAssignment;
  items: SheetItem[];
}

function divisionCases(plan: Plan, directory: DivisionDirectory, assignments: DivisionAssignment[]): DivisionCase[] {
  const byNo = new Map(plan.items.map((item) => [item.no, item]));
  return assignments.map((assignment) => {
    const division = divisionById(directory, assignment.divisionId);
    const items: SheetItem[] = [
      ...assignment.answers.map((no) => ({ item: byNo.get(no)!, role: 'answer' as const })),
      ...assignment.readonly.map((no) => ({ item: byNo.get(no)!, role: 'readonly' as const })),
    ].sort((a, b) => a.item.no - b.item.no);
    return { divisionId: division.id, divisionName: division.name, contact: division.contact, assignment, items };
  });
}

// ---------------------------------------------------------------------------------------------
// Phases

interface Summary {
  [key: string]: unknown;
}

async function buildPlan(store: ObjectStore, summary: Summary): Promise<{ plan: Plan; directory: DivisionDirectory; cases: DivisionCase[] }> {
  let t = performance.now();
  const { plan, directory } = syntheticMaster(DIVISIONS, ITEMS_PER_DIVISION);
  const planText = serializePlan(plan);
  await savePlan(store, plan, undefined);
  await saveDirectory(store, directory, undefined);
  log(`plan: ${plan.items.length} items, ${directory.divisions.length} divisions in ${directory.departments.length} departments; plan.json ${mib(Buffer.byteLength(planText))} (built in ${fmtS(performance.now() - t)})`);
  // assignItems is what the snapshotCycle activity runs; timed here to explain the launch.
  t = performance.now();
  const { assignments, problems } = assignItems(plan, directory);
  const assignMs = performance.now() - t;
  if (problems.length > 0) throw new BenchError(`the synthetic plan does not assign: ${problems.slice(0, 3).join('; ')}`);
  log(`assignItems (as in the snapshotCycle activity): ${fmtS(assignMs)} for ${plan.items.length} items x ${directory.divisions.length} divisions`);
  summary.plan = { divisions: DIVISIONS, itemsPerDivision: ITEMS_PER_DIVISION, items: plan.items.length, planJsonBytes: Buffer.byteLength(planText), assignItemsSeconds: seconds(assignMs) };
  return { plan, directory, cases: divisionCases(plan, directory, assignments) };
}

/** The launch's floor: each division's sheet written and mailed in one plain loop. */
async function launchFloor(plan: Plan, directory: DivisionDirectory, cases: DivisionCase[], sink: SmtpSink): Promise<number> {
  const office = divisionById(directory, directory.reformOffice);
  // host and port rather than `url`: nodemailer drops every other option (pool included) when
  // given a url, and would open a new connection for each message.
  const transport = nodemailer.createTransport({ host: sink.host, port: sink.port, pool: true, maxConnections: 1 });
  const t = performance.now();
  let lastProgress = t;
  try {
    for (const [i, c] of cases.entries()) {
      const sheet = await writeReturnSheet({
        meta: {
          cycleId: CYCLE_ID,
          municipalityName: plan.municipality.name,
          year: YEAR,
          divisionId: c.divisionId,
          divisionName: c.divisionName,
          sheetVersion: 1,
          deadline: FLOOR_DEADLINE,
          contact: `${office.name}（${office.contact}）`,
        },
        plan,
        items: c.items,
      });
      const { subject, text } = requestMail(
        { municipalityName: plan.municipality.name, planTitle: plan.title, year: YEAR, divisionName: c.divisionName, reformOfficeName: office.name, reformOfficeAddress: office.contact },
        { role: roleOf(c.assignment), deadline: FLOOR_DEADLINE, answers: c.assignment.answers.length, readonly: c.assignment.readonly.length },
      );
      await transport.sendMail({
        from: office.contact,
        to: [c.contact],
        subject,
        text,
        messageId: `<floor.${c.divisionId}@city.bench.example>`,
        attachments: [{ filename: `${YEAR}取組状況_${c.divisionName}.xlsx`, content: sheet }],
      });
      if (performance.now() - lastProgress > PROGRESS_MS) {
        lastProgress = performance.now();
        log(`  floor: ${i + 1} / ${cases.length} sheets written and mailed`);
      }
    }
  } finally {
    transport.close();
  }
  return performance.now() - t;
}

/** One rung, a reminder at the deadline, counted in seconds: the late divisions get it while the bench runs. */
const LADDER: Ladder = { clock: 'seconds', policy: { rungs: [{ kind: 'reminder', offsetBusinessDays: 0, to: ['division'] }] } };

async function launchCycle(client: Client, store: ObjectStore, sentDir: string, workers: readonly WorkerProcess[], expected: number, deadline: string): Promise<{ handle: WorkflowHandleWithFirstExecutionRunId; ms: number; snapshotMs?: number; firstMailMs?: number }> {
  const input: CycleInput = { municipalityId: BENCH_MUNICIPALITY.id, year: YEAR, deadline, launchedBy: ACTOR, ladder: LADDER };
  const t = performance.now();
  const handle = await client.workflow.start('cycleWorkflow', {
    workflowId: CYCLE_ID,
    taskQueue: TASK_QUEUE,
    args: [input],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
  });
  const snapshotKey = cycleKeys(CYCLE_ID).snapshot;
  let snapshotMs: number | undefined;
  let firstMailMs: number | undefined;
  let lastProgress = t;
  let lastDescribe = 0;
  for (;;) {
    const now = performance.now();
    const mailed = (await listSentMail(sentDir)).length;
    if (snapshotMs === undefined && (await store.version(snapshotKey)) !== undefined) snapshotMs = now - t;
    if (firstMailMs === undefined && mailed > 0) firstMailMs = now - t;
    if (mailed >= expected) return { handle, ms: now - t, snapshotMs, firstMailMs };
    assertWorkersAlive(workers);
    if (now - lastDescribe > 2_000) {
      lastDescribe = now;
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') throw new BenchError(`the cycle workflow is ${description.status.name} before every request mail went out (${mailed} / ${expected})`);
    }
    if (now - t > LAUNCH_TIMEOUT_MS) {
      throw new BenchError(`launch timed out after ${seconds(LAUNCH_TIMEOUT_MS)} s: ${mailed} / ${expected} request mails on disk${snapshotMs === undefined ? ', and the cycle snapshot was never written (snapshotCycle did not finish)' : ''}`);
    }
    if (now - lastProgress >= PROGRESS_MS) {
      lastProgress = now;
      const rate = firstMailMs !== undefined && now - t > firstMailMs ? ` (${((mailed * 1000) / (now - t - firstMailMs)).toFixed(1)}/s since the first)` : '';
      log(`  launch: ${mailed} / ${expected} request mails on disk${rate}; snapshot ${snapshotMs === undefined ? 'not yet taken' : `taken at ${fmtS(snapshotMs)}`}; ${showWorkerRss(workers)}`);
    }
    await sleep(250);
  }
}

interface PreparedReturn {
  c: DivisionCase;
  sheetVersion: number;
  filled: Buffer;
  ref: FileRef;
}

/** What the season asks of a division: the groups are disjoint but for the send-backs, which may have been refused first. */
interface SeasonPlan {
  refusedFirst: Set<string>;
  sentBack: Set<string>;
  excused: Set<string>;
  late: Set<string>;
}

/** 30 % submit a refused sheet first, 10 % are sent back and resubmit, 5 % are excused, 5 % answer only after the first rung. */
function planSeason(answering: readonly DivisionCase[]): SeasonPlan {
  const season: SeasonPlan = { refusedFirst: new Set(), sentBack: new Set(), excused: new Set(), late: new Set() };
  answering.forEach((c, i) => {
    if (i % 10 < 3) season.refusedFirst.add(c.divisionId);
    if (i % 10 === 3) season.sentBack.add(c.divisionId);
    if (i % 20 === 4) season.excused.add(c.divisionId);
    if (i % 20 === 14) season.late.add(c.divisionId);
  });
  return season;
}

const answerOf = (c: DivisionCase) => (no: number) => {
  const entry = c.items.find((i) => i.item.no === no);
  return entry && syntheticAnswer(entry.item, YEAR);
};

/** The bytes under `key` in the run store, which the workers have written. */
async function readStored(store: ObjectStore, key: string): Promise<Buffer> {
  const found = await store.get(key);
  if (!found) throw new BenchError(`${key} is not in the ${store.location}`);
  return found.data;
}

/** Each division fills in a sheet it was sent and its file is stored, as `torimatome submit` stores it; `blank` leaves one mark out. */
async function fillAndStore(store: ObjectStore, c: DivisionCase, sheetVersion: number, blank = false): Promise<PreparedReturn> {
  const sheet = await readStored(store, cycleKeys(CYCLE_ID).sheet(c.divisionId, sheetVersion));
  const first = c.assignment.answers[0];
  const answer = answerOf(c);
  // The synthetic plan names no definition: it is Arao's, the default.
  const filled = await fillReturnSheet(sheet, ARAO_COLLECTION, YEAR, (no) => (blank && no === first ? { values: { ...answer(no)!.values, marks: '' } } : answer(no)));
  return { c, sheetVersion, filled, ref: await storeReceived(store, filled, 'xlsx') };
}

/** Every return of the season, each a distinct file: the refused first attempts, and the good ones. */
async function prepareReturns(store: ObjectStore, sentDir: string, cases: DivisionCase[], season: SeasonPlan): Promise<{ good: Map<string, PreparedReturn>; bad: Map<string, PreparedReturn> }> {
  const keys = cycleKeys(CYCLE_ID);
  // The stored sheet is the mail's attachment: checked on one mail, then read from the store.
  const first = (await listSentMail(sentDir))[0];
  if (first) {
    const mail = await simpleParser(await readFile(first));
    const to = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((a) => a.value.map((v) => v.address));
    const c = cases.find((x) => x.contact === to[0]);
    const attachment = mail.attachments[0];
    if (!c || !attachment) throw new BenchError(`the request mail ${first} has no attachment or no known recipient (${to.join(', ')})`);
    if (sha256(attachment.content) !== sha256(await readStored(store, keys.sheet(c.divisionId, 1)))) throw new BenchError(`the sheet mailed to ${c.divisionId} is not the one stored as ${keys.sheet(c.divisionId, 1)} in the ${store.location}`);
  }
  const good = new Map<string, PreparedReturn>();
  const bad = new Map<string, PreparedReturn>();
  const t = performance.now();
  let lastProgress = t;
  for (const c of cases) {
    if (roleOf(c.assignment) !== 'answer' || season.excused.has(c.divisionId)) continue;
    if (season.refusedFirst.has(c.divisionId)) bad.set(c.divisionId, await fillAndStore(store, c, 1, true));
    good.set(c.divisionId, await fillAndStore(store, c, 1));
    if (performance.now() - lastProgress > PROGRESS_MS) {
      lastProgress = performance.now();
      log(`  filling: ${good.size} / ${cases.length} divisions' returns filled and stored`);
    }
  }
  log(`filled and stored ${good.size + bad.size} returns (${bad.size} of them to be refused) in ${fmtS(performance.now() - t)} (not part of any measurement)`);
  return { good, bad };
}

interface Submission {
  prepared: PreparedReturn;
  expect: SubmitResult['status'];
}

interface WaveStats {
  ms: number;
  latencies: number[];
  /** Returns whose outcome was not the one the season expected. */
  unexpected: string[];
  failed: string[];
}

/** Runs each lane (one division's submissions, in order) with at most `concurrency` lanes in flight. */
async function submitWave(client: Client, workers: readonly WorkerProcess[], what: string, lanes: Submission[][], concurrency: number): Promise<WaveStats> {
  const latencies: number[] = [];
  const unexpected: string[] = [];
  const failed: string[] = [];
  const total = lanes.reduce((n, lane) => n + lane.length, 0);
  const t = performance.now();
  let aborted: Error | undefined;
  const progress = setInterval(() => {
    const sorted = [...latencies].sort((a, b) => a - b);
    log(`  ${what}: ${latencies.length} / ${total} answered (p50 ${percentile(sorted, 0.5).toFixed(0)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(0)} ms); ${unexpected.length} unexpected, ${failed.length} failed; ${showWorkerRss(workers)}`);
  }, PROGRESS_MS);
  try {
    await within(
      SUBMIT_TIMEOUT_MS,
      `${what}: ${total} returns`,
      pool(lanes, concurrency, async (lane) => {
        for (const { prepared, expect } of lane) {
          if (aborted) return;
          const ended = endedWorker(workers);
          if (ended) {
            aborted = new BenchError(`the ${ended.name} process ended (${ended.exitReason}) during ${what}`);
            return;
          }
          const { c, ref } = prepared;
          const u = performance.now();
          try {
            const result: SubmitResult = await within(
              UPDATE_TIMEOUT_MS,
              `the submitReturn update of ${c.divisionId}`,
              client.workflow.getHandle(divisionWorkflowId(CYCLE_ID, c.divisionId)).executeUpdate(submitReturnUpdate, {
                args: [{ file: ref, fileName: `${YEAR}取組状況_${c.divisionName}.xlsx`, channel: 'cli', submittedBy: ACTOR }],
              }),
            );
            latencies.push(performance.now() - u);
            if (result.status !== expect) {
              unexpected.push(`${c.divisionId} ${result.status} (expected ${expect}): ${[...result.problems, ...(result.warnings ?? [])].map((p) => p.message).join(' / ')}`);
            }
          } catch (err) {
            latencies.push(performance.now() - u);
            const cause = (err as { cause?: Error }).cause;
            failed.push(`${c.divisionId}: ${(err as Error).message}${cause ? ` (cause: ${cause.message})` : ''}`);
            if (failed.length <= 5) log(`  submit of ${c.divisionId} failed: ${failed.at(-1)}`);
          }
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  if (aborted) throw aborted;
  return { ms: performance.now() - t, latencies, unexpected, failed };
}

async function closeCycle(handle: WorkflowHandle, sentDir: string, workers: readonly WorkerProcess[], requests: number): Promise<{ ms: number; result: CloseResult }> {
  const t = performance.now();
  const progress = setInterval(() => {
    void listSentMail(sentDir).then((all) => {
      const ended = workers.filter((w) => w.exitReason !== undefined).map((w) => `; ${w.name.toUpperCase()} ENDED (${w.exitReason})`);
      log(`  close: waiting ${fmtS(performance.now() - t)}; result mails on disk ${all.length - requests}; ${showWorkerRss(workers)}${ended.join('')}`);
    });
  }, PROGRESS_MS);
  try {
    const result = await within(CLOSE_TIMEOUT_MS, 'the closeCycle update (consolidation and result mails)', handle.executeUpdate(closeCycleUpdate, { args: [{ actor: ACTOR }] }));
    return { ms: performance.now() - t, result };
  } finally {
    clearInterval(progress);
  }
}

/**
 * The close's floor: every counted return read with exceljs, the table written, and as many
 * mails of the same bytes as the close sent, in one plain loop.
 */
async function closeFloor(plan: Plan, returns: readonly PreparedReturn[], resultMails: readonly string[], sink: SmtpSink): Promise<number> {
  const transport = nodemailer.createTransport({ host: sink.host, port: sink.port, pool: true, maxConnections: 1 });
  const t = performance.now();
  try {
    const answers = new Map<number, AnswerValues>();
    for (const { c, filled, sheetVersion } of returns) {
      const reading = await readReturnSheet(filled, { cycleId: CYCLE_ID, year: YEAR, divisionId: c.divisionId, divisionName: c.divisionName, sheetVersion, items: c.items, definition: plan.definition });
      if (!reading.ok) throw new BenchError(`the floor could not read ${c.divisionId}'s return: ${reading.problems.map((p) => p.message).join(' / ')}`);
      for (const a of reading.answers) answers.set(a.no, a.values);
    }
    await writeConsolidatedWorkbook({ plan: consolidatePlan(plan, YEAR, answers), year: YEAR, notes: new Map(), notReturned: [] });
    for (const file of resultMails) await transport.sendMail({ envelope: { from: `floor@${'city.bench.example'}`, to: ['floor@city.bench.example'] }, raw: await readFile(file) });
  } finally {
    transport.close();
  }
  return performance.now() - t;
}

interface HistoryFigure {
  workflowId: string;
  events: number;
  bytes: number;
  /** Workflow and activity tasks that timed out or failed: retries the run paid for. */
  troubles: Record<string, number>;
  /** Seconds from scheduled to completed, summed by activity type. */
  activitySeconds: Record<string, number>;
}

const EventType = temporal.api.enums.v1.EventType;
const TROUBLE_EVENTS = new Set([
  EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
  EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
]);

function eventMs(event: temporal.api.history.v1.IHistoryEvent): number {
  const t = event.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN;
}

async function historyOf(client: Client, workflowId: string): Promise<HistoryFigure> {
  return figureOf(workflowId, await client.workflow.getHandle(workflowId).fetchHistory());
}

function figureOf(workflowId: string, history: temporal.api.history.v1.IHistory): HistoryFigure {
  const events = history.events ?? [];
  const troubles: Record<string, number> = {};
  const activitySeconds: Record<string, number> = {};
  const scheduled = new Map<string, { type: string; at: number }>();
  for (const event of events) {
    const type = event.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED;
    if (TROUBLE_EVENTS.has(type)) {
      const timeoutType = event.workflowTaskTimedOutEventAttributes?.timeoutType;
      const failure = event.workflowTaskFailedEventAttributes;
      const cause = failure?.cause ? temporal.api.enums.v1.WorkflowTaskFailedCause[failure.cause].replace('WORKFLOW_TASK_FAILED_CAUSE_', '') : undefined;
      const why = timeoutType ? temporal.api.enums.v1.TimeoutType[timeoutType].replace('TIMEOUT_TYPE_', '') : cause;
      const name = `${EventType[type].replace('EVENT_TYPE_', '')}${why ? `(${why})` : ''}`;
      troubles[name] = (troubles[name] ?? 0) + 1;
    }
    const s = event.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(event.eventId), { type: s.activityType?.name ?? '?', at: eventMs(event) });
    const c = event.activityTaskCompletedEventAttributes;
    const start = c && scheduled.get(String(c.scheduledEventId));
    if (start) activitySeconds[start.type] = seconds((activitySeconds[start.type] ?? 0) * 1000 + eventMs(event) - start.at);
  }
  return { workflowId, events: events.length, bytes: temporal.api.history.v1.History.encode(history).finish().length, troubles, activitySeconds };
}

async function historyOfRun(client: Client, workflowId: string, runId?: string): Promise<HistoryFigure & { next?: string }> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const next = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  return { ...figureOf(workflowId, history), next };
}

interface Histories {
  /** Every run of the cycle, first to last. */
  cycleRuns: HistoryFigure[];
  divisions: HistoryFigure[];
  archive?: HistoryFigure;
  sampled: number;
}

async function histories(client: Client, cases: DivisionCase[], firstCycleRun: string): Promise<Histories> {
  const cycleRuns: HistoryFigure[] = [];
  for (let runId: string | undefined = firstCycleRun; runId; ) {
    const run: HistoryFigure & { next?: string } = await historyOfRun(client, CYCLE_ID, runId);
    cycleRuns.push(run);
    runId = run.next;
  }
  const step = HISTORY_SAMPLE >= cases.length ? 1 : cases.length / Math.max(1, HISTORY_SAMPLE);
  const sample = HISTORY_SAMPLE === 0 ? [] : Array.from({ length: Math.min(HISTORY_SAMPLE, cases.length) }, (_, i) => cases[Math.floor(i * step)]!);
  const divisions: HistoryFigure[] = [];
  await pool(sample, 16, async (c) => {
    divisions.push(await historyOf(client, divisionWorkflowId(CYCLE_ID, c.divisionId)));
  });
  const archive = await historyOf(client, archiveWorkflowId(CYCLE_ID)).catch(() => undefined);
  return { cycleRuns, divisions, archive, sampled: sample.length };
}

const sumCounts = (all: ReadonlyArray<Record<string, number>>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const counts of all) for (const [k, v] of Object.entries(counts)) out[k] = (out[k] ?? 0) + v;
  return out;
};
const showCounts = (counts: Record<string, number>) => Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';

async function mailBytes(files: readonly string[]): Promise<number> {
  let total = 0;
  await pool(files, 32, async (file) => {
    const { size } = await stat(file);
    total += size;
  });
  return total;
}

// ---------------------------------------------------------------------------------------------
// The run

interface Stack {
  setting: RunSetting;
  /** The run's own data directory: the servers' files, the mail, the result; the worker's too, when it is the only one. */
  dataDir?: string;
  /** What the bench and every worker of the run are told of the run store: the bucket, and the keys the workers share; nothing for the data directory. */
  env: NodeJS.ProcessEnv;
  s3?: S3Server;
  server?: DevServer;
  sink?: SmtpSink;
  floorSink?: SmtpSink;
  workers: WorkerProcess[];
  client?: Client;
  /** Where run.json was written. */
  runDirs: string[];
  /** Set once teardown starts: the servers' complaints about stopped pollers are no news then. */
  tearingDown: boolean;
}

const newStack = (setting: RunSetting): Stack => ({ setting, env: {}, workers: [], runDirs: [], tearingDown: false });

async function teardown(stack: Stack): Promise<void> {
  const step = async (what: string, action: () => Promise<unknown>) => {
    try {
      const outcome = await action();
      if (typeof outcome === 'string') log(`  ${what}: ${outcome}`);
    } catch (err) {
      log(`  ${what} failed: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  };
  stack.tearingDown = true;
  const what = [stack.workers.length > 1 ? 'the workers' : 'the worker', 'the SMTP sinks', 'the dev server', ...(stack.s3 ? ['the S3 server'] : [])];
  log(`stopping ${what.slice(0, -1).join(', ')} and ${what.at(-1)} ...`);
  if (stack.client) await step('closing the client', () => stack.client!.connection.close());
  await Promise.all(stack.workers.map((worker) => step(worker.name, () => stopWorker(worker))));
  if (stack.sink) await step('SMTP sink', () => stack.sink!.stop());
  if (stack.floorSink) await step('floor SMTP sink', () => stack.floorSink!.stop());
  if (stack.server) await step('dev server', () => stack.server!.stop().then(() => 'stopped'));
  if (stack.s3) await step('S3 server', () => stack.s3!.stop().then(() => 'stopped'));
  for (const dir of stack.runDirs) await step('run.json', () => removeRunInfo(dir));
}

/**
 * An S3 server of the run's own with the run's bucket, and what every worker of the run then
 * shares, as two VMs would: the bucket, the key of the links in mails, the archives' signing key.
 * Its objects are kept in the run's data directory (s3/), for inspection.
 */
async function startBucket(stack: Stack, dataDir: string): Promise<void> {
  log('starting the S3 server (SeaweedFS) and making the bucket (not part of any measurement) ...');
  const s3 = await startS3Server({
    dataDir: join(dataDir, 's3'),
    log: (line) => {
      if (!stack.tearingDown) log(`  [s3] ${line}`);
    },
  });
  stack.s3 = s3;
  const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }, forcePathStyle: true });
  try {
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  } finally {
    client.destroy();
  }
  const url = new URL(`${s3.endpoint}/${BUCKET}/${BUCKET_PREFIX}`);
  url.username = s3.accessKeyId;
  url.password = s3.secretAccessKey;
  stack.env = { TORIMATOME_S3_URL: url.toString(), TORIMATOME_TOKEN_KEY: randomBytes(32).toString('hex'), TORIMATOME_AUDIT_KEY: join(dataDir, 'audit-signing-key.pem') };
  await createSigningKey(dataDir, stack.env);
  log(`  S3 ${s3.endpoint} (pid ${s3.pid}), bucket ${BUCKET}, prefix ${BUCKET_PREFIX}`);
}

function table(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

/** The figures of a run that the comparison of two sets side by side. */
interface Headline {
  launchMs: number;
  launchFloorMs: number;
  submitPerSecond: number;
  submitP95Ms: number;
  singleP95Ms: number;
  closeMs: number;
  closeFloorMs: number;
  /** Of the workers' trees, summed; and with the S3 server's beside it. */
  cpuPerCheckMs: number;
  storeCpuPerCheckMs: number;
  /** Sampled: every worker's tree together, and the largest of one. */
  peakRssBytes: number;
  peakRssPerWorkerBytes: number;
  s3PeakRssBytes?: number;
}

async function run(stack: Stack): Promise<Headline> {
  const many = stack.setting.workers > 1;
  const dataDir = mkdtempSync(join(tmpdir(), 'torimatome-bench-'));
  stack.dataDir = dataDir;
  const sentDir = join(dataDir, 'mail', 'sent');
  const floorDir = join(dataDir, 'mail', 'floor');
  // With several workers each has a data directory of its own, as on a VM of its own; a single one works in the run's.
  const workerDirs = many ? Array.from({ length: stack.setting.workers }, (_, i) => join(dataDir, `worker-${i + 1}`)) : [dataDir];
  const summary: Summary = { startedAt: new Date().toISOString(), dataDir, cores: cpus().length, loadAverageAtStart: loadavg(), node: process.version };
  log(`cycle scale benchmark: ${DIVISIONS} divisions x ${ITEMS_PER_DIVISION} items, ${CONCURRENCY} updates in flight; data directory ${dataDir}`);
  if (stack.setting.s3) await startBucket(stack, dataDir);
  const store = openStore(dataDir, stack.env);
  if (stack.setting.s3 || many) summary.setting = { ...stack.setting, store: store.location, workerDataDirs: workerDirs };

  const { plan, directory, cases } = await buildPlan(store, summary);
  const answering = cases.filter((c) => roleOf(c.assignment) === 'answer').length;

  log('starting the Temporal dev server and the SMTP sinks ...');
  const serverLog = join(dataDir, 'temporal-server.log');
  let serverLines = 0;
  stack.server = await startDevServer({
    dbFile: join(dataDir, 'temporal', 'temporal.sqlite'),
    ui: false,
    log: (line) => {
      void appendFile(serverLog, `${line}\n`);
      if (stack.tearingDown) return;
      serverLines++;
      if (serverLines <= 10) log(`  [temporal] ${line}`);
      else if (serverLines === 11) log(`  [temporal] ... more in ${serverLog}`);
    },
  });
  stack.sink = await startSmtpSink({ sentDir });
  stack.floorSink = await startSmtpSink({ sentDir: floorDir });
  for (const dir of new Set([dataDir, ...workerDirs])) {
    await mkdir(dir, { recursive: true });
    stack.runDirs.push(dir);
    await writeRunInfo(dir, {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      dataDir: dir,
      temporal: { address: stack.server.address, namespace: stack.server.namespace },
      smtp: { host: stack.sink.host, port: stack.sink.port },
    });
  }
  log(`  Temporal ${stack.server.address} (pid ${stack.server.pid}), SMTP ${stack.sink.url}, floor SMTP ${stack.floorSink.url}`);
  for (const [i, dir] of workerDirs.entries()) {
    const name = many ? `worker ${i + 1}` : 'worker';
    log(`starting the ${name} process (node client/bin.cjs worker)${many ? ` on ${dir}` : ''} ...`);
    const workerStart = performance.now();
    const worker = await startWorkerProcess(stack, name, dir);
    log(`  ${name} pid ${worker.child.pid} ready in ${fmtS(performance.now() - workerStart)}`);
  }
  const workers = stack.workers;
  stack.client = await connectClient({ address: stack.server.address, namespace: stack.server.namespace });
  const client = stack.client;

  log(`floor of the launch: ${cases.length} sheets written with writeReturnSheet and mailed in one loop, no Temporal ...`);
  const launchFloorMs = await launchFloor(plan, directory, cases, stack.floorSink);
  const floorMails = (await listSentMail(floorDir)).length;
  if (floorMails !== cases.length) throw new BenchError(`the floor sink holds ${floorMails} mails, expected ${cases.length}`);
  log(`  floor: ${fmtS(launchFloorMs)} (${(launchFloorMs / cases.length).toFixed(1)} ms a division)`);

  // A deadline ahead of the whole launch and the on-time returns (every ladder pending until
  // then), near enough that the bench sees its first rung reach the late divisions.
  const deadlineAfterS = intEnv('BENCH_DEADLINE_AFTER_S', Math.ceil((1.5 * launchFloorMs) / 1000 + 0.1 * answering + 60));
  const deadline = new Date(Date.now() + deadlineAfterS * 1000).toISOString();
  const season = planSeason(cases.filter((c) => roleOf(c.assignment) === 'answer'));
  log(`launching ${CYCLE_ID} (cycleWorkflow on task queue ${TASK_QUEUE}), deadline in ${deadlineAfterS} s with one reminder rung at it ...`);
  const memory = startMemorySampler(workers.map((w) => w.child.pid!));
  memory.phase('launch');
  const launchCpu = cpuMeter(stack);
  const launch = await launchCycle(client, store, sentDir, workers, cases.length, deadline);
  const launchCpuUse = launchCpu();
  const launchRatio = launch.ms / launchFloorMs;
  log(`  every request mail on disk after ${fmtS(launch.ms)} (snapshot at ${launch.snapshotMs === undefined ? '?' : fmtS(launch.snapshotMs)}, first mail at ${launch.firstMailMs === undefined ? '?' : fmtS(launch.firstMailMs)}); launch / floor = ${launchRatio.toFixed(2)}`);
  summary.launch = {
    seconds: seconds(launch.ms),
    snapshotSeconds: launch.snapshotMs === undefined ? null : seconds(launch.snapshotMs),
    firstMailSeconds: launch.firstMailMs === undefined ? null : seconds(launch.firstMailMs),
    floorSeconds: seconds(launchFloorMs),
    ratio: Number(launchRatio.toFixed(2)),
    requestMails: cases.length,
  };

  memory.phase('prepare');
  log(`preparing the season's returns: ${season.refusedFirst.size} refused first, ${season.sentBack.size} to be sent back, ${season.excused.size} excused, ${season.late.size} late ...`);
  const { good, bad } = await prepareReturns(store, sentDir, cases, season);
  const lane = (id: string): Submission[] => [...(bad.has(id) ? [{ prepared: bad.get(id)!, expect: 'refused' as const }] : []), { prepared: good.get(id)!, expect: 'accepted' as const }];
  const onTime = [...good.keys()].filter((id) => !season.late.has(id));

  memory.phase('submit');
  log(`submitting: ${onTime.length} divisions, ${CONCURRENCY} in flight (a refused sheet first for ${season.refusedFirst.size}); ${season.excused.size} excused meanwhile ...`);
  const submitCpu = cpuMeter(stack);
  const [wave] = await Promise.all([
    submitWave(client, workers, 'submit', onTime.map(lane), CONCURRENCY),
    pool([...season.excused], 4, async (id) => {
      await client.workflow.getHandle(divisionWorkflowId(CYCLE_ID, id)).signal(excuseSignal, { reason: 'ベンチマーク（5 %）', actor: ACTOR });
    }),
  ]);
  const waveCpu = submitCpu();
  log(`  ${wave.latencies.length} updates in ${fmtS(wave.ms)} (${((wave.latencies.length * 1000) / wave.ms).toFixed(1)}/s); ${wave.unexpected.length} unexpected, ${wave.failed.length} failed`);

  memory.phase('send-back');
  const sendBackStart = performance.now();
  await pool([...season.sentBack].filter((id) => !season.late.has(id)), CONCURRENCY, async (id) => {
    const c = cases.find((x) => x.divisionId === id)!;
    await client.workflow.getHandle(divisionWorkflowId(CYCLE_ID, id)).executeUpdate(sendBackUpdate, { args: [{ actor: ACTOR, comments: { [String(c.assignment.answers[0])]: '数値の根拠を追記してください' } }] });
  });
  const sendBackMs = performance.now() - sendBackStart;
  const resubmitIds = [...season.sentBack].filter((id) => !season.late.has(id));
  log(`  ${resubmitIds.length} returns sent back in ${fmtS(sendBackMs)}; filling their second sheets (not measured) ...`);
  const resubmissions: PreparedReturn[] = [];
  for (const id of resubmitIds) resubmissions.push(await fillAndStore(store, cases.find((x) => x.divisionId === id)!, 2));
  const resubmitCpu = cpuMeter(stack);
  const again = await submitWave(client, workers, 'resubmit', resubmissions.map((prepared) => [{ prepared, expect: 'accepted' }]), CONCURRENCY);
  const againCpu = resubmitCpu();

  memory.phase('ladder');
  const lateIds = [...season.late];
  const waitMs = Date.parse(deadline) - Date.now();
  log(`waiting ${fmtS(Math.max(0, waitMs))} for the deadline and the first rung to reach the ${lateIds.length} late divisions ...`);
  const rungs = await within(Math.max(0, waitMs) + 300_000, 'the first rung mails', waitForRungs(sentDir, cases, new Set(lateIds), deadline));
  log(`  first rung: ${rungs.total} mails, ${rungs.late} of them to the ${lateIds.length} late divisions (${fmtS(rungs.afterDeadlineMs)} after the deadline)`);

  memory.phase('late');
  const lateCpuMeter = cpuMeter(stack);
  const late = await submitWave(client, workers, 'late, one in flight', lateIds.filter((id) => good.has(id)).map(lane), 1);
  const lateCpu = lateCpuMeter();

  // The checkers exist now; the SMTP sinks run in the bench's own process.
  const checkerPids = workers.flatMap((w) => descendantsOf(w.child.pid!));
  const affinities: Record<string, string> = {
    'bench + SMTP sinks': affinityOf('self'),
    ...Object.fromEntries(workers.map((w) => [w.name, affinityOf(w.child.pid!)])),
    [`checkers (${checkerPids.length})`]: [...new Set(checkerPids.map(affinityOf))].join(' ') || 'none running',
    'dev server': affinityOf(stack.server.pid!),
    ...(stack.s3 ? { 'S3 server': affinityOf(stack.s3.pid) } : {}),
  };
  const checks = wave.latencies.length + again.latencies.length + late.latencies.length;
  const checkCpu = waveCpu.workerCpuSeconds + againCpu.workerCpuSeconds + lateCpu.workerCpuSeconds;
  const s3CheckCpu = total([waveCpu, againCpu, lateCpu].map((c) => c.s3ServerCpuSeconds ?? 0));
  const updates = wave.latencies.length + again.latencies.length;
  const busyMs = wave.ms + again.ms;
  const sorted = [...wave.latencies, ...again.latencies].sort((a, b) => a - b);
  const p50 = percentile(sorted, 0.5);
  const p95 = percentile(sorted, 0.95);
  const max = sorted.at(-1) ?? NaN;
  const single = [...late.latencies].sort((a, b) => a - b);
  const unexpected = [...wave.unexpected, ...again.unexpected, ...late.unexpected];
  const failed = [...wave.failed, ...again.failed, ...late.failed];
  for (const line of [...unexpected, ...failed].slice(0, 10)) log(`    ${line}`);
  summary.submit = {
    updates,
    concurrency: CONCURRENCY,
    seconds: seconds(busyMs),
    perSecond: Number(((updates * 1000) / busyMs).toFixed(1)),
    p50Ms: Math.round(p50),
    p95Ms: Math.round(p95),
    maxMs: Math.round(max),
    singleInFlight: { updates: single.length, p50Ms: Math.round(percentile(single, 0.5)), p95Ms: Math.round(percentile(single, 0.95)) },
    sendBacks: resubmitIds.length,
    sendBackSeconds: seconds(sendBackMs),
    excused: season.excused.size,
    rungMails: rungs,
    workerCpuSecondsPerCheck: Number((checkCpu / checks).toFixed(4)),
    ...(stack.s3 ? { s3ServerCpuSecondsPerCheck: Number((s3CheckCpu / checks).toFixed(4)) } : {}),
    unexpected: unexpected.length,
    failed: failed.length,
    errors: [...unexpected, ...failed].slice(0, 20),
  };

  memory.phase('close');
  log(`closing ${CYCLE_ID} with the closeCycle update ...`);
  const before = (await listSentMail(sentDir)).length;
  const closeCpu = cpuMeter(stack);
  const close = await closeCycle(client.workflow.getHandle(CYCLE_ID), sentDir, workers, before);
  const closeCpuUse = closeCpu();
  const sentMail = await listSentMail(sentDir);
  const resultFiles = sentMail.slice(before);
  const resultMails = resultFiles.length;
  log(`  closed in ${fmtS(close.ms)}: ${close.result.returned} returned, ${close.result.notReturned.length} not returned, plan version ${close.result.planVersion}; consolidated xlsx ${mib(close.result.consolidatedXlsx.bytes)}; ${resultMails} result mails`);
  await within(60_000, 'the cycle workflow completing after the close', client.workflow.getHandle(CYCLE_ID).result());
  memory.phase('after close');
  log('floor of the close: every counted return read, the table written, the same result mails sent, in one loop ...');
  const counted = [...good.values()].filter((r) => !season.sentBack.has(r.c.divisionId) || season.late.has(r.c.divisionId)).concat(resubmissions);
  const closeFloorMs = await closeFloor(plan, counted, resultFiles, stack.floorSink);
  const closeRatio = close.ms / closeFloorMs;
  log(`  floor: ${fmtS(closeFloorMs)}; close / floor = ${closeRatio.toFixed(2)}`);
  const resultBytes = await mailBytes(resultFiles);
  summary.close = {
    seconds: seconds(close.ms),
    floorSeconds: seconds(closeFloorMs),
    ratio: Number(closeRatio.toFixed(2)),
    returned: close.result.returned,
    notReturned: close.result.notReturned.length,
    consolidatedXlsxBytes: close.result.consolidatedXlsx.bytes,
    consolidatedCsvBytes: close.result.consolidatedCsv.bytes,
    resultMails,
    resultMailBytes: resultBytes,
    resultMailBytesPerRespondent: Math.round(resultBytes / Math.max(1, resultMails)),
  };
  await within(CLOSE_TIMEOUT_MS, 'the archive of the closed cycle', client.workflow.getHandle(archiveWorkflowId(CYCLE_ID)).result());
  const peak = memory.stop();

  log(`reading workflow histories (every cycle run, ${Math.min(HISTORY_SAMPLE, cases.length)} division workflows, the archive) ...`);
  const h = await histories(client, cases, launch.handle.firstExecutionRunId);
  const largest = (all: readonly HistoryFigure[], by: 'events' | 'bytes') => all.reduce<HistoryFigure | undefined>((a, b) => (!a || b[by] > a[by] ? b : a), undefined);
  const kinds = { cycle: h.cycleRuns, division: h.divisions, archive: h.archive ? [h.archive] : [] };
  const largestOf = Object.fromEntries(Object.entries(kinds).map(([kind, all]) => [kind, { events: largest(all, 'events')?.events ?? 0, bytes: largest(all, 'bytes')?.bytes ?? 0 }]));
  const workerMemory = workers.map((w) => memoryOf(w.child.pid));
  const serverMemory = memoryOf(stack.server.pid);
  const s3Memory = stack.s3 && memoryOf(stack.s3.pid);
  const benchMemory = memoryOf(process.pid);
  const divisionTroubles = sumCounts(h.divisions.map((d) => d.troubles));
  const cycleTroubles = sumCounts(h.cycleRuns.map((d) => d.troubles));
  const requestBytes = await mailBytes(sentMail.slice(0, cases.length));
  summary.mail = { requestMails: cases.length, requestBytes, resultMails, resultBytes };
  summary.history = {
    measure: 'events counted from fetchHistory(); bytes = protobuf-encoded size of the fetched History (temporal.api.history.v1.History.encode)',
    warnLimits: { events: HISTORY_WARN_EVENTS, bytes: HISTORY_WARN_BYTES },
    cycleRuns: h.cycleRuns.length,
    largest: largestOf,
    divisionTroubles,
    cycleTroubles,
    divisionsSampled: h.sampled,
  };
  summary.cpu = { launch: launchCpuUse, submit: waveCpu, resubmit: againCpu, late: lateCpu, close: closeCpuUse };
  summary.memory = {
    workerAndCheckersPeakRssBytes: peak.bytes,
    peakPhase: peak.phase,
    peakRssByPhase: peak.byPhase,
    workerPeakRssBytes: many ? workerMemory.map((m) => m?.peak ?? null) : (workerMemory[0]?.peak ?? null),
    ...(many ? { perWorkerPeakRss: workers.map((w, i) => ({ worker: w.name, dataDir: w.dataDir, ...peak.perWorker[i]! })) } : {}),
    devServerPeakRssBytes: serverMemory?.peak ?? null,
    ...(stack.s3 ? { s3ServerPeakRssBytes: s3Memory?.peak ?? null } : {}),
    benchProcessPeakRssBytes: benchMemory?.peak ?? null,
    workerMemoryMib: WORKER_MEMORY_MB,
    cachedWorkflows: many ? workers.map((w) => w.cachedWorkflows ?? null) : (workers[0]!.cachedWorkflows ?? null),
  };
  summary.affinity = affinities;
  summary.workerStderrLines = total(workers.map((w) => w.stderrLines.length));
  summary.workerStderrFirst = workers.flatMap((w) => w.stderrLines.map((line) => (many ? `[${w.name}] ${line}` : line))).slice(0, 10);
  summary.temporalServerLogLines = serverLines;

  const share = (value: number, limit: number) => `${((100 * value) / limit).toFixed(1)} %`;
  const returnedExpected = answering - season.excused.size;
  const ok = unexpected.length === 0 && failed.length === 0 && close.result.returned === returnedExpected && close.result.notReturned.length === 0 && resultMails === cases.length && rungs.late === lateIds.length;
  summary.ok = ok;
  summary.loadAverageAtEnd = loadavg();
  summary.finishedAt = new Date().toISOString();
  const resultFile = join(dataDir, 'bench-result.json');
  await writeFile(resultFile, `${JSON.stringify(summary, null, 2)}\n`);

  const rows: Array<[string, string]> = [
    ['size', `${DIVISIONS} divisions x ${ITEMS_PER_DIVISION} items = ${plan.items.length} items`],
    ['CPU affinity', Object.entries(affinities).map(([k, v]) => `${k} ${v}`).join(', ')],
    ...(stack.s3 ? [['run store', `${store.location} (SeaweedFS, pid ${stack.s3.pid}); ${workers.length} workers, each on a data directory of its own`] as [string, string]] : []),
    ['worker memory / workflows cached', `${WORKER_MEMORY_MB} MiB (TORIMATOME_WORKER_MEMORY_MB)${many ? ' each' : ''} / up to ${workers.map((w) => w.cachedWorkflows).join(' + ')}`],
    ['season', `${answering} answering: ${season.refusedFirst.size} refused first, ${resubmitIds.length} sent back and resubmitted, ${season.excused.size} excused, ${lateIds.length} late`],
    ['launch: all request mails on disk', `${fmtS(launch.ms)} (snapshot ${launch.snapshotMs === undefined ? '?' : fmtS(launch.snapshotMs)}, first mail ${launch.firstMailMs === undefined ? '?' : fmtS(launch.firstMailMs)})`],
    ['launch floor (write + mail loop)', fmtS(launchFloorMs)],
    ['launch / floor', `${launchRatio.toFixed(2)} (target <= 1.3)`],
    [`submit at ${CONCURRENCY} in flight`, `${updates} updates in ${fmtS(busyMs)}: ${((updates * 1000) / busyMs).toFixed(1)}/s (target >= 40)`],
    [`submit p50 / p95 / max at ${CONCURRENCY}`, `${p50.toFixed(0)} / ${p95.toFixed(0)} / ${max.toFixed(0)} ms (target p95 <= 1000)`],
    ['submit p50 / p95, one in flight', `${percentile(single, 0.5).toFixed(0)} / ${percentile(single, 0.95).toFixed(0)} ms over ${single.length} (target p95 <= 150)`],
    [`${workersLabel(workers.length)} CPU per check (+ checkers)`, `${((checkCpu / checks) * 1000).toFixed(1)} ms over ${checks} checks`],
    ...(stack.s3 ? [['S3 server CPU per check', `${((s3CheckCpu / checks) * 1000).toFixed(1)} ms`] as [string, string]] : []),
    ['send-backs', `${resubmitIds.length} in ${fmtS(sendBackMs)}`],
    ['first rung', `${rungs.total} mails, ${rungs.late} / ${lateIds.length} late divisions`],
    ['unexpected outcomes / failed', `${unexpected.length} / ${failed.length}`],
    ['close (consolidate + result mails)', `${fmtS(close.ms)} (${close.result.returned} returned, ${close.result.notReturned.length} missing, xlsx ${mib(close.result.consolidatedXlsx.bytes)}, ${resultMails} result mails)`],
    ['close floor (read, table, same mails)', fmtS(closeFloorMs)],
    ['close / floor', `${closeRatio.toFixed(2)} (target <= 1.5)`],
    ['result mail', `${mib(resultBytes)} in all, ${(resultBytes / Math.max(1, resultMails) / 1024).toFixed(1)} KB per respondent (target <= 100 KB)`],
    ['CPU during launch', showCpu(launchCpuUse, workers.length)],
    ['CPU during submit', showCpu(waveCpu, workers.length)],
    ['CPU during close', showCpu(closeCpuUse, workers.length)],
    [`${workersLabel(workers.length)} + checkers peak RSS (sampled)`, `${mib(peak.bytes)} during ${peak.phase}${many ? ', all together' : ' (target <= 1024 MiB)'}`],
    ...(many ? [['each worker + checkers peak RSS (sampled)', `${eachWorker(workers, (_, i) => `${mib(peak.perWorker[i]!.bytes)} during ${peak.perWorker[i]!.phase}`)} (target <= 1024 MiB each)`] as [string, string]] : []),
    ['worker peak RSS (VmHWM)', eachWorker(workers, (_, i) => (workerMemory[i] ? mib(workerMemory[i].peak) : '?'))],
    ['peak RSS by phase: tree / worker', Object.entries(peak.byPhase).map(([name, p]) => `${name} ${mib(p.tree)} / ${mib(p.worker)}`).join(', ')],
    ['dev server / bench process peak RSS', `${serverMemory ? mib(serverMemory.peak) : '?'} / ${benchMemory ? mib(benchMemory.peak) : '?'}`],
    ...(stack.s3 ? [['S3 server peak RSS (VmHWM)', s3Memory ? mib(s3Memory.peak) : '?'] as [string, string]] : []),
    ...Object.entries(largestOf).map(([kind, l]): [string, string] => [
      `largest ${kind} history`,
      `${l.events} events (${share(l.events, HISTORY_WARN_EVENTS)} of ${HISTORY_WARN_EVENTS}), ${l.bytes} bytes (${share(l.bytes, HISTORY_WARN_BYTES)} of 10 MiB) (target <= 25 %)`,
    ]),
    ['cycle runs (continue-as-new)', String(h.cycleRuns.length)],
    ['task timeouts/failures: cycle', showCounts(cycleTroubles)],
    ['task timeouts/failures: divisions', showCounts(divisionTroubles)],
    ['mail on disk: requests / results', `${mib(requestBytes)} / ${mib(resultBytes)}`],
    ['worker stderr lines / server log lines', `${eachWorker(workers, (w) => String(w.stderrLines.length))} / ${serverLines}`],
    ['season as planned, all closed, all mailed', ok ? 'yes' : 'NO'],
  ];
  process.stdout.write(`\nsummary\n${table(rows)}\n\n`);
  log(`result written to ${resultFile}`);
  if (!ok) throw new BenchError('the season did not complete as planned: see the unexpected / failed / missing counts above');
  return {
    launchMs: launch.ms,
    launchFloorMs,
    submitPerSecond: (updates * 1000) / busyMs,
    submitP95Ms: p95,
    singleP95Ms: percentile(single, 0.95),
    closeMs: close.ms,
    closeFloorMs,
    cpuPerCheckMs: (checkCpu / checks) * 1000,
    storeCpuPerCheckMs: ((checkCpu + s3CheckCpu) / checks) * 1000,
    peakRssBytes: peak.bytes,
    peakRssPerWorkerBytes: Math.max(...peak.perWorker.map((p) => p.bytes)),
    s3PeakRssBytes: s3Memory?.peak,
  };
}

/** Every process of the bench on two cores, as CI has: the bench runs itself again under `taskset -c 0,1` unless it already is. */
function pinToTwoCores(): boolean {
  if (process.env.BENCH_PINNED === '1' || affinityOf('self') === '0-1' || affinityOf('self') === '0,1') return false;
  const run = spawnSync('taskset', ['-c', '0,1', process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, BENCH_PINNED: '1' } });
  if (run.error) throw new BenchError(`cannot pin the bench to two cores with taskset: ${run.error.message}`);
  process.exitCode = run.status ?? 1;
  return true;
}

/** A figure the comparison shows: how it is read off a run, and how it is written. */
const COMPARED: Array<[string, (h: Headline) => number | undefined, (value: number) => string]> = [
  ['launch: all request mails on disk', (h) => h.launchMs, fmtS],
  ['launch floor (write + mail loop)', (h) => h.launchFloorMs, fmtS],
  ['launch / floor', (h) => h.launchMs / h.launchFloorMs, (r) => r.toFixed(2)],
  [`submit rate at ${CONCURRENCY} in flight`, (h) => h.submitPerSecond, (r) => `${r.toFixed(1)}/s`],
  [`submit p95 at ${CONCURRENCY} in flight`, (h) => h.submitP95Ms, (ms) => `${ms.toFixed(0)} ms`],
  ['submit p95, one in flight', (h) => h.singleP95Ms, (ms) => `${ms.toFixed(0)} ms`],
  ['close (consolidate + result mails)', (h) => h.closeMs, fmtS],
  ['close floor (read, table, same mails)', (h) => h.closeFloorMs, fmtS],
  ['close / floor', (h) => h.closeMs / h.closeFloorMs, (r) => r.toFixed(2)],
  ['worker CPU per check (+ checkers, all workers)', (h) => h.cpuPerCheckMs, (ms) => `${ms.toFixed(1)} ms`],
  ['  the same + S3 server', (h) => h.storeCpuPerCheckMs, (ms) => `${ms.toFixed(1)} ms`],
  ['peak RSS, all workers + checkers (sampled)', (h) => h.peakRssBytes, mib],
  ['peak RSS, one worker + checkers (sampled)', (h) => h.peakRssPerWorkerBytes, mib],
  ['S3 server peak RSS (VmHWM)', (h) => h.s3PeakRssBytes, mib],
];

/**
 * The headline figures of the runs of one invocation side by side, with the ratio of the second
 * to the first: what the bucket and the second worker cost, on the same machine at the same time.
 */
async function printComparison(runs: ReadonlyArray<{ stack: Stack; headline: Headline }>): Promise<void> {
  const [first, second] = runs as [{ stack: Stack; headline: Headline }, { stack: Stack; headline: Headline }];
  const cells = COMPARED.map(([name, read, show]) => {
    const [a, b] = [read(first.headline), read(second.headline)];
    const ratio = a !== undefined && b !== undefined && a > 0 ? (b / a).toFixed(2) : '-';
    return [name, a === undefined ? '-' : show(a), b === undefined ? '-' : show(b), ratio];
  });
  const header = ['', first.stack.setting.name, second.stack.setting.name, 'two / one'];
  const widths = header.map((_, i) => Math.max(...[header, ...cells].map((row) => row[i]!.length)));
  const line = (row: string[]) => `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ')}`;
  const cpu = cpus();
  process.stdout.write(
    [
      '',
      `comparison: the same season run ${runs.length} times in one invocation (${DIVISIONS} divisions x ${ITEMS_PER_DIVISION} items, ${CONCURRENCY} in flight)`,
      `  machine: ${cpu.length} cores (${cpu[0]?.model ?? '?'}), node ${process.version}; every process pinned to cores ${affinityOf('self')} (taskset -c 0,1); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
      `  rate: higher is better; every other figure: lower is better`,
      '',
      line(header),
      ...cells.map(line),
      '',
      '',
    ].join('\n'),
  );
  const file = join(second.stack.dataDir!, 'bench-comparison.json');
  const figures = Object.fromEntries(COMPARED.map(([name, read]) => [name.trim(), { [first.stack.setting.name]: read(first.headline) ?? null, [second.stack.setting.name]: read(second.headline) ?? null }]));
  await writeFile(file, `${JSON.stringify({ runs: runs.map((r) => ({ ...r.stack.setting, dataDir: r.stack.dataDir })), figures }, null, 2)}\n`);
  log(`comparison written to ${file}`);
}

async function main(): Promise<void> {
  if (pinToTwoCores()) return;
  let stack: Stack | undefined;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping ...`);
    void (stack ? teardown(stack) : Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const done: Array<{ stack: Stack; headline: Headline }> = [];
  try {
    for (const [i, setting] of SETTINGS.entries()) {
      const current = (stack = newStack(setting));
      const which = SETTINGS.length === 1 ? '' : ` in run ${i + 1} of ${SETTINGS.length} (${setting.name})${i + 1 < SETTINGS.length ? '; the next run was not started' : ''}`;
      if (SETTINGS.length > 1) log(`run ${i + 1} of ${SETTINGS.length}: ${setting.name}, on a stack of its own`);
      try {
        done.push({ stack: current, headline: await run(current) });
      } catch (err) {
        process.exitCode = 1;
        log(`BENCHMARK FAILED${which}: ${err instanceof BenchError ? err.message : ((err as Error).stack ?? String(err))}`);
        if (current.dataDir) log(`data directory kept for inspection: ${current.dataDir}`);
        break;
      } finally {
        if (!interrupted) await teardown(current);
      }
    }
    if (done.length > 1) {
      await printComparison(done).catch((err: Error) => {
        process.exitCode = 1;
        log(`BENCHMARK FAILED writing the comparison: ${err.stack ?? String(err)}`);
      });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  // Anything still holding the event loop open now would be a leak; do not hang on it.
  setTimeout(() => {
    const handles = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    log(`some handle kept the process alive after teardown (${handles.join(', ')}): exiting anyway`);
    process.exit(process.exitCode ?? 0);
  }, 10_000).unref();
}

void main();
