/**
 * What one cached workflow costs the worker's resident memory, with nothing of torimatome in it:
 * N empty workflows started on a real dev server, each cached (or, with BENCH_CACHED=10, not).
 *
 *   npx tsx test/bench/cache-memory.ts     # BENCH_WORKFLOWS (1000), BENCH_CACHED (BENCH_WORKFLOWS + 10)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startDevServer } from '../../stack/temporal-dev-server';
import { installQuietRuntime } from '../../worker/worker';

const WORKFLOWS = Number(process.env.BENCH_WORKFLOWS ?? 1000);
const CACHED = Number(process.env.BENCH_CACHED ?? WORKFLOWS + 10);
const rssMib = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

async function main(): Promise<void> {
  installQuietRuntime();
  const dir = mkdtempSync(join(tmpdir(), 'torimatome-cache-memory-'));
  const server = await startDevServer({ dbFile: join(dir, 'temporal.sqlite') });
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({ connection, taskQueue: 'cache-memory', workflowsPath: require.resolve('./empty-workflow'), maxCachedWorkflows: CACHED });
  const running = worker.run();
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const start = (id: string) => client.workflow.start('emptyWorkflow', { taskQueue: 'cache-memory', workflowId: id });
  await start('warm-up');
  await sleep(3000);
  const before = rssMib();
  for (let i = 0; i < WORKFLOWS; i += 50) await Promise.all(Array.from({ length: Math.min(50, WORKFLOWS - i) }, (_, j) => start(`empty-${i + j}`)));
  // Long enough for every first workflow task to have run.
  await sleep(15_000);
  const after = rssMib();
  console.log(`${WORKFLOWS} empty workflows, up to ${CACHED} cached: RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB, ${(((after - before) * 1024) / WORKFLOWS).toFixed(0)} KB each`);
  worker.shutdown();
  await running;
  await client.connection.close();
  await connection.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

void main();
