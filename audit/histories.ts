import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';
import { divisionWorkflowId } from '../domain/workflow-ids';

/**
 * The event histories of one cycle: its cycle workflow and every division workflow it started,
 * read from an archive folder or fetched from Temporal. What the audit commands work from.
 */
export interface WorkflowHistory {
  workflowId: string;
  workflowType: string;
  history: History;
}

export interface CycleHistories {
  cycleId: string;
  histories: WorkflowHistory[];
}

/** Where an archive keeps each history, in the form of `temporal workflow show -o json`. */
export const HISTORIES_FOLDER = 'histories';

export function workflowTypeOf(history: History): string {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown';
}

/** The decoded values of a payload list, as the SDK's default converter reads them. */
export function decodePayloads(payloads: { payloads?: unknown[] | null } | null | undefined): unknown[] {
  return (payloads?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p as Parameters<typeof defaultPayloadConverter.fromPayload>[0]));
}

/**
 * The division workflows a cycle started, from its own history: every `startDivisionWorkflows`
 * it scheduled (at launch, and for a division an item was reassigned to).
 */
export function divisionWorkflowIds(cycleHistory: History, cycleId: string): string[] {
  const ids = new Set<string>();
  for (const event of cycleHistory.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name !== 'startDivisionWorkflows') continue;
    const [input] = decodePayloads(scheduled.input) as Array<{ divisions: Array<{ divisionId: string }> }>;
    for (const { divisionId } of input?.divisions ?? []) ids.add(divisionWorkflowId(cycleId, divisionId));
  }
  return [...ids];
}

/**
 * Every history of the cycle, fetched from Temporal (which keeps them for its retention period)
 * one at a time, the cycle's first, so that a season of thousands need not be held at once.
 */
export async function* eachCycleHistory(client: Client, cycleId: string): AsyncGenerator<WorkflowHistory> {
  const cycle = await client.workflow.getHandle(cycleId).fetchHistory();
  yield { workflowId: cycleId, workflowType: workflowTypeOf(cycle), history: cycle };
  for (const id of divisionWorkflowIds(cycle, cycleId)) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    yield { workflowId: id, workflowType: workflowTypeOf(history), history };
  }
}

/** Every history of the cycle, fetched from Temporal, all at once. */
export async function fetchCycleHistories(client: Client, cycleId: string): Promise<CycleHistories> {
  const histories: WorkflowHistory[] = [];
  for await (const history of eachCycleHistory(client, cycleId)) histories.push(history);
  return { cycleId, histories };
}

/** Every history kept in an archive folder, the cycle's first. */
export async function readArchivedHistories(archiveDir: string): Promise<CycleHistories> {
  const dir = join(archiveDir, HISTORIES_FOLDER);
  if (!existsSync(dir)) throw new Error(`${archiveDir} is not a torimatome archive: it has no ${HISTORIES_FOLDER}/ folder`);
  const histories: WorkflowHistory[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
    const history = historyFromJSON(JSON.parse(await readFile(join(dir, file), 'utf8')));
    histories.push({ workflowId: file.slice(0, -'.json'.length), workflowType: workflowTypeOf(history), history });
  }
  const cycle = histories.find((h) => h.workflowType === 'cycleWorkflow');
  if (!cycle) throw new Error(`${archiveDir} holds no cycle workflow history`);
  return { cycleId: cycle.workflowId, histories: [cycle, ...histories.filter((h) => h !== cycle)] };
}
