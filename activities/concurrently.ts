import { Context } from '@temporalio/activity';

/**
 * Runs `work` on every item with at most `limit` at a time, heartbeating the number done, so a
 * batch of thousands of starts, signals or mails is neither serial nor unbounded.
 */
export async function concurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
      Context.current().heartbeat(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
