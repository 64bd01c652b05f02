import { condition, defineSignal, setHandler } from '@temporalio/workflow';

const poke = defineSignal('poke');

/** Waits and holds nothing: what the SDK itself keeps for a cached workflow. */
export async function emptyWorkflow(): Promise<void> {
  let pokes = 0;
  setHandler(poke, () => void pokes++);
  await condition(() => pokes > 0);
}
