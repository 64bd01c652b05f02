import type { WorkflowHandle } from '@temporalio/client';
import { STATUS_PAGE_BYTES } from '../domain/status-pages';
import { type CycleStatus, cycleStatusQuery } from '../workflows/definitions';

/**
 * The cycle's whole status, read page by page so that no query result grows with the season.
 * The pages are separate reads: a division whose state changed between two of them shows as it
 * was when its own page was read, as it would in any status read a moment earlier.
 */
export async function readCycleStatus(handle: WorkflowHandle, maxBytes = STATUS_PAGE_BYTES): Promise<CycleStatus> {
  const { next, ...first } = await handle.query(cycleStatusQuery, { from: 0, maxBytes });
  const divisions = [...first.divisions];
  for (let from = next; from !== undefined; ) {
    const page = await handle.query(cycleStatusQuery, { from, maxBytes });
    divisions.push(...page.divisions);
    from = page.next;
  }
  return { ...first, divisions };
}
