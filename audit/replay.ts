import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { installQuietRuntime } from '../worker/worker';
import type { CycleHistories } from './histories';

/** The workflow code the worker runs today. */
export const WORKFLOWS_PATH = join(__dirname, '..', 'workflows', 'index.ts');

export interface ReplayOutcome {
  workflowId: string;
  workflowType: string;
  ok: boolean;
  /** The first non-determinism, as the SDK words it. */
  error?: string;
  /** The event the replay diverged at, when the SDK names it. */
  eventId?: number;
}

/** The event id in the SDK's replay error: "[TMPRL1100] Nondeterminism error: … HistoryEvent(id: 5, …)". */
function eventIdOf(message: string): number | undefined {
  const m = /HistoryEvent\(id: (\d+)/.exec(message) ?? /event[ _]id[^0-9]{0,3}(\d+)/i.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** Replays every history against the workflow code at `workflowsPath` with the SDK's replayer. */
export async function replayCycle(cycle: CycleHistories, workflowsPath = WORKFLOWS_PATH): Promise<ReplayOutcome[]> {
  const types = new Map(cycle.histories.map((h) => [h.workflowId, h.workflowType]));
  const outcomes: ReplayOutcome[] = [];
  const histories = cycle.histories.map(({ workflowId, history }) => ({ workflowId, history }));
  // Warnings only: the bundler's and the replay worker's reports are noise to an auditor.
  installQuietRuntime();
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: `audit-${cycle.cycleId}` }, histories)) {
    const message = result.error ? (result.error.cause instanceof Error ? `${result.error.message}: ${result.error.cause.message}` : result.error.message) : undefined;
    outcomes.push({
      workflowId: result.workflowId,
      workflowType: types.get(result.workflowId) ?? 'unknown',
      ok: !result.error,
      error: message,
      eventId: message ? eventIdOf(message) : undefined,
    });
  }
  return outcomes;
}
