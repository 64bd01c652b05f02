/**
 * The child process side of `readReturnFile`: it says it is ready, takes one file, checks its
 * zip container, reads the workbook from the parts verified there, answers and exits.
 * Everything that parses what a division sent runs here, under the time and memory limits its
 * parent holds it to.
 */
import type { ExpectedReturn, ReturnReading } from './read-return-sheet';
import { type ContainerLimits, verifyZipContainer } from './return-file-checks';

export interface ReadJob {
  /** The file; IPC hands a Buffer over as a Uint8Array. */
  data: Uint8Array;
  expected: ExpectedReturn;
  limits: ContainerLimits;
  /** Resident memory at which the child stops itself, where its parent cannot watch it (no /proc). */
  maxRssBytes: number;
}

export type ReadReply = { type: 'ready' } | { type: 'reading'; reading: ReturnReading } | { type: 'failed'; error: string };

/** The exit code of a child that stopped itself for using too much memory. */
export const MEMORY_EXIT_CODE = 75;
const MEMORY_CHECK_MS = 50;

async function read(job: ReadJob): Promise<ReadReply> {
  try {
    const data = Buffer.from(job.data.buffer, job.data.byteOffset, job.data.byteLength);
    const container = await verifyZipContainer(data, job.limits);
    if ('problem' in container) return { type: 'reading', reading: { ok: false, problems: [container.problem], answers: [] } };
    // exceljs takes half a second to load: only for a file that passed the checks.
    const { readReturnSheet } = require('./read-return-sheet') as typeof import('./read-return-sheet');
    return { type: 'reading', reading: await readReturnSheet(container.verified, job.expected) };
  } catch (err) {
    return { type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

/** Serves one read request over the IPC channel of `child_process.fork`, then exits. */
export function serveReadRequest(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('read-return-child runs as a child process with an IPC channel (child_process.fork)');
  // An orphan has no one to answer to.
  process.on('disconnect', () => process.exit(1));
  process.once('message', (job: ReadJob) => {
    setInterval(() => {
      if (process.memoryUsage.rss() > job.maxRssBytes) process.exit(MEMORY_EXIT_CODE);
    }, MEMORY_CHECK_MS).unref();
    void read(job).then((reply) => send(reply, undefined, {}, () => process.exit(0)));
  });
  send({ type: 'ready' } satisfies ReadReply);
}
