import type { Client } from '@temporalio/client';
import { isClosed } from '../store/cycle-result';
import { openStore } from '../store/open-store';
import { type CyclePhase, cyclePhaseQuery } from '../workflows/definitions';

/**
 * Whether a cycle still takes returns, asked by every channel before it takes one. The result
 * in the run store answers even once Temporal has forgotten the cycle; a cycle being closed takes no more,
 * though its division workflows may not know yet. A caller that has just read the phase gives
 * it; otherwise the light phase query is asked, and a cycle that does not answer it is left to
 * its division workflow's update to refuse.
 */
export async function acceptsReturns(client: Client, dataDir: string, cycleId: string, phase?: CyclePhase): Promise<boolean> {
  if (await isClosed(openStore(dataDir), cycleId)) return false;
  const current = phase ?? (await client.workflow.getHandle(cycleId).query(cyclePhaseQuery).catch(() => undefined))?.phase;
  return current !== 'closing' && current !== 'closed';
}
