import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

// The archive waits for every workflow of the cycle to end: the activity fails while any still
// runs and is retried, with backoff, until they have.
const { archiveFinishedCycle } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/**
 * Archives a closed cycle for the auditors. A workflow cannot export its own finished history,
 * so the cycle starts this one as it closes, and this one outlives it.
 */
export async function archiveWorkflow(input: { cycleId: string }): Promise<{ dir: string; entries: number }> {
  return archiveFinishedCycle(input);
}
