import { join } from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createMailer } from '../activities/mailer';
import { TASK_QUEUE } from '../domain/workflow-ids';
import { loadTokenKey } from '../inbound/return-tokens';
import { createCheckerPool } from '../sheets/checker-pool';
import { ensureSearchAttributes } from './search-attributes';
import { connectClient, connectWorker, type ServiceSettings } from './settings';

export interface RunningWorker {
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Each cached workflow holds its own context in the workflow thread: in `npm run bench`, 500 of
 * them held about 190 MB more than 250 did, at the same throughput. A division's history is a
 * few dozen events, so one that is not cached replays in milliseconds; the busy cycle stays.
 */
export const CACHED_WORKFLOWS = 150;

let runtimeInstalled = false;

/** The SDK logs every bundler module and worker state change at INFO; an operator needs warnings and errors. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}

/** Registers the workflows and activities on the task queue and polls until stopped. */
export async function startWorker(settings: ServiceSettings, dataDir: string): Promise<RunningWorker> {
  installQuietRuntime();
  const connection = await connectWorker(settings.temporal);
  const client = await connectClient(settings.temporal);
  await ensureSearchAttributes(client, settings.temporal.namespace);
  const mailer = createMailer(settings.smtpUrl);
  const checkers = createCheckerPool(settings.worker.checkers);
  const worker = await Worker.create({
    connection,
    namespace: settings.temporal.namespace,
    taskQueue: TASK_QUEUE,
    // The bundler reads the TypeScript source itself, whichever loader runs this process.
    workflowsPath: join(__dirname, '..', 'workflows', 'index.ts'),
    activities: createActivities({ dataDir, mailer, client, checkers, resultTableAttachedUpTo: settings.worker.resultTableAttachedUpTo, returns: { tokenKey: await loadTokenKey(dataDir), settings: settings.inbound } }),
    // Thousands of division workflows wait for weeks; only the busy ones need to stay in memory.
    maxCachedWorkflows: settings.worker.cachedWorkflows ?? CACHED_WORKFLOWS,
  });
  const done = worker.run().finally(async () => {
    checkers.close();
    mailer.close();
    await client.connection.close();
    await connection.close();
  });
  return {
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
