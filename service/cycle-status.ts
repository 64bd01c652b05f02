import type { Client } from '@temporalio/client';
import { STATUS_PAGE_BYTES } from '../domain/status-pages';
import { CYCLE_ID_ATTRIBUTE, type CycleStatus, cycleStatusQuery, DIVISION_STATUS_MEMO, type DivisionStatus } from '../workflows/definitions';

/**
 * The cycle's whole status. The cycle answers its own part page by page, so that no query result
 * grows with the season. The pages are separate reads: a division whose state changed between
 * two of them shows as it was when its own page was read, as it would in any status read a
 * moment earlier.
 *
 * In an indexed cycle each division's state comes from its own memo, read from Temporal's
 * visibility in one listing: a change shows there a moment after the division made it, and a
 * division not listed yet shows as the cycle launched it.
 */
export async function readCycleStatus(
  client: Client,
  cycleId: string,
  { maxBytes = STATUS_PAGE_BYTES, asLaunched = false }: { maxBytes?: number; /** The cycle's part only: enough to count the divisions. */ asLaunched?: boolean } = {},
): Promise<CycleStatus> {
  const handle = client.workflow.getHandle(cycleId);
  const { next, ...first } = await handle.query(cycleStatusQuery, { from: 0, maxBytes });
  let divisions = [...first.divisions];
  for (let from = next; from !== undefined; ) {
    const page = await handle.query(cycleStatusQuery, { from, maxBytes });
    divisions.push(...page.divisions);
    from = page.next;
  }
  if (first.indexed && !asLaunched) {
    const own = await indexedDivisions(client, cycleId);
    divisions = divisions.map((d) => own.get(d.divisionId) ?? d);
  }
  return { ...first, divisions };
}

async function indexedDivisions(client: Client, cycleId: string): Promise<Map<string, DivisionStatus>> {
  const found = new Map<string, DivisionStatus>();
  const query = `${CYCLE_ID_ATTRIBUTE.name} = '${cycleId.replaceAll("'", "\\'")}'`;
  for await (const execution of client.workflow.list({ query, pageSize: 1_000 })) {
    const status = execution.memo?.[DIVISION_STATUS_MEMO] as DivisionStatus | undefined;
    if (status) found.set(status.divisionId, status);
  }
  return found;
}

