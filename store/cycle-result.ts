import { Plan, serializePlan } from '../domain/plan';
import type { CloseResult, CycleStatus } from '../workflows/definitions';
import { cycleKeys } from './file-store';
import { type ObjectStore, readJson } from './object-store';

/**
 * What a close leaves in the run store: the result (written last, so its presence says the
 * cycle is closed), the status as it was at the close, and the consolidated plan.
 */
export async function readCloseResult(store: ObjectStore, cycleId: string): Promise<CloseResult | undefined> {
  return readJson<CloseResult>(store, cycleKeys(cycleId).result);
}

export async function isClosed(store: ObjectStore, cycleId: string): Promise<boolean> {
  return (await store.version(cycleKeys(cycleId).result)) !== undefined;
}

/** What `cycle status` shows once the namespace no longer keeps the workflow. */
export async function readFinalStatus(store: ObjectStore, cycleId: string): Promise<CycleStatus | undefined> {
  return readJson<CycleStatus>(store, cycleKeys(cycleId).finalStatus);
}

/** The status first, then the result: a reader that finds the result finds the status too. */
export async function writeCloseResult(store: ObjectStore, cycleId: string, final: CycleStatus, result: CloseResult): Promise<void> {
  const keys = cycleKeys(cycleId);
  await store.put(keys.finalStatus, `${JSON.stringify(final, null, 2)}\n`);
  await store.put(keys.result, `${JSON.stringify(result, null, 2)}\n`);
}

/** The plan with the year's answers, as the table shows it: what the result mails quote. */
export async function writeConsolidatedPlan(store: ObjectStore, cycleId: string, plan: Plan): Promise<void> {
  await store.put(cycleKeys(cycleId).consolidatedPlan, serializePlan(plan));
}

export async function readConsolidatedPlan(store: ObjectStore, cycleId: string): Promise<Plan> {
  const key = cycleKeys(cycleId).consolidatedPlan;
  const found = await readJson<unknown>(store, key);
  if (found === undefined) throw new Error(`${key} is not in the ${store.location}`);
  return Plan.parse(found);
}
