/**
 * The checker process of the pool (`checker-pool.ts`): it loads the reader, says it is ready,
 * then takes one file at a time, checks its zip container, reads the workbook from the parts
 * verified there and answers. Everything that parses what a division sent runs here, under the
 * time and memory limits its parent holds it to; a child over a limit is killed, never asked
 * to recover.
 */
import type { ExpectedReturn, ReturnReading } from './read-return-sheet';
import { type ContainerLimits, verifyZipContainer } from './return-file-checks';

export interface ReadJob {
  /** The file; IPC hands a Buffer over as a Uint8Array. */
  data: Uint8Array;
  expected: ExpectedReturn;
  limits: ContainerLimits;
  /** Growth of resident memory above the child's idle size at which it stops itself, where its parent cannot watch it (no /proc). */
  maxGrowthBytes: number;
}

export type ReadReply = { type: 'ready' } | { type: 'reading'; reading: ReturnReading } | { type: 'failed'; error: string };

/** The exit code of a child that stopped itself for using too much memory. */
export const MEMORY_EXIT_CODE = 75;
const MEMORY_CHECK_MS = 50;

async function read(job: ReadJob, readReturnSheet: typeof import('./read-return-sheet').readReturnSheet): Promise<ReadReply> {
  try {
    const data = Buffer.from(job.data.buffer, job.data.byteOffset, job.data.byteLength);
    const container = await verifyZipContainer(data, job.limits);
    if ('problem' in container) return { type: 'reading', reading: { ok: false, problems: [container.problem], answers: [] } };
    return { type: 'reading', reading: await readReturnSheet(container.verified, job.expected) };
  } catch (err) {
    return { type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

/** Serves read requests over the IPC channel of `child_process.fork`, one at a time, until its parent goes. */
export function serveReadRequests(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('read-return-child runs as a child process with an IPC channel (child_process.fork)');
  // An orphan has no one to answer to.
  process.on('disconnect', () => process.exit(1));
  // Loaded before the child says it is ready: exceljs takes half a second, paid once per child, not per file.
  const { readReturnSheet } = require('./read-return-sheet') as typeof import('./read-return-sheet');
  const idleRss = process.memoryUsage.rss();
  let limit = Infinity;
  setInterval(() => {
    if (process.memoryUsage.rss() - idleRss > limit) process.exit(MEMORY_EXIT_CODE);
  }, MEMORY_CHECK_MS).unref();
  process.on('message', (job: ReadJob) => {
    limit = job.maxGrowthBytes;
    void read(job, readReturnSheet).then((reply) => {
      limit = Infinity;
      send(reply);
    });
  });
  send({ type: 'ready' } satisfies ReadReply);
}
