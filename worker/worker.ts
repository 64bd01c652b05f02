import { totalmem } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createMailer } from '../activities/mailer';
import { TASK_QUEUE } from '../domain/workflow-ids';
import { loadTokenKey } from '../inbound/return-tokens';
import { createCheckerPool } from '../sheets/checker-pool';
import { ensureSearchAttributes } from './search-attributes';
import { cachedWorkflowsFor, cgroupMemoryLimit, defaultWorkerMemoryMib } from './workflow-cache';
import { connectClient, connectWorker, type ServiceSettings } from './settings';

export interface RunningWorker {
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  /** Workflows it keeps in memory between their tasks. */
  cachedWorkflows: number;
  stop(): Promise<void>;
}

/**
 * Evaluated once in the workflow context instead of once per workflow. Each is pure: nothing at
 * its top level holds a workflow's state, which lives in the SDK's activator.
 */
const SHARED_WORKFLOW_MODULES = ['@temporalio/workflow', '@temporalio/common', './definitions', '../domain/division-state', '../domain/status-pages', '../domain/workflow-ids', '../domain/fiscal-year'];

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
  const cachedWorkflows = settings.worker.cachedWorkflows ?? cachedWorkflowsFor(settings.worker.memoryMib ?? defaultWorkerMemoryMib(cgroupMemoryLimit(), totalmem()));
  const worker = await Worker.create({
    connection,
    namespace: settings.temporal.namespace,
    taskQueue: TASK_QUEUE,
    // The bundler reads the TypeScript source itself, whichever loader runs this process.
    workflowsPath: join(__dirname, '..', 'workflows', 'index.ts'),
    activities: createActivities({ dataDir, mailer, client, checkers, resultTableAttachedUpTo: settings.worker.resultTableAttachedUpTo, returns: { tokenKey: await loadTokenKey(dataDir), settings: settings.inbound } }),
    maxCachedWorkflows: cachedWorkflows,
    bundlerOptions: { preloadModules: SHARED_WORKFLOW_MODULES },
  });
  const done = worker.run().finally(async () => {
    checkers.close();
    mailer.close();
    await client.connection.close();
    await connection.close();
  });
  return {
    done,
    cachedWorkflows,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
