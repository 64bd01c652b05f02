import { allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { statusPage } from '../domain/status-pages';
import { divisionWorkflowId } from '../domain/workflow-ids';
import type { Activities } from '../activities';
import {
  CYCLE_CLOSED,
  CYCLE_HISTORY_LIMIT,
  type CloseResult,
  closeCycleUpdate,
  type CycleInput,
  type CyclePhase,
  cyclePhaseQuery,
  type CycleStatus,
  cycleStatusQuery,
  type DivisionStatus,
  divisionReportSignal,
  reassignItemUpdate,
  resendSheetSignal,
} from './definitions';

const { snapshotCycle, startDivisionWorkflows, closeDivisionWorkflows, mailConsolidatedTable, reassignItem, startArchiver } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  // The batch activities heartbeat per division: a killed worker's batch moves on in seconds.
  heartbeatTimeout: '20 seconds',
  retry: { nonRetryableErrorTypes: ['CycleRefused'] },
});

// Writing the table of a large plan is one long step between heartbeats.
const { consolidateCycle } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '5 minutes',
});

/**
 * Divisions are handled through activities in batches rather than as child workflows, so the
 * cycle's history grows with the number of batches, not of divisions (a city may have
 * thousands), and stays clear of the limit on pending children.
 */
const BATCH = 100;

function batches<T>(all: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < all.length; i += BATCH) out.push(all.slice(i, i + BATCH));
  return out;
}

/** One municipality's collection for one fiscal year, from launch to the consolidated table. */
export async function cycleWorkflow(input: CycleInput): Promise<CloseResult> {
  const cycleId = workflowInfo().workflowId;
  // A run that carries the state on is open from its first moment: an update may be its first event.
  let phase: CyclePhase = input.carried ? 'open' : 'launching';
  const divisions = new Map<string, DivisionStatus>();
  let closedBy: string | undefined;
  let result: CloseResult | undefined;
  // The divisions of an indexed cycle keep their statuses themselves: the cycle's history does
  // not grow with the season, and a return costs no task of the cycle. Cycles launched before
  // replay with every report signalled to them; a run carried on keeps its cycle's way.
  const indexed = input.carried ? input.carried.indexed === true : patched('divisions-indexed');

  const status = (): CycleStatus => ({
    cycleId,
    year: input.year,
    deadline: input.deadline,
    launchedBy: input.launchedBy,
    phase,
    divisions: [...divisions.values()],
    result,
    ...(indexed && { indexed }),
  });
  setHandler(cycleStatusQuery, (page) => {
    if (!page) return status();
    const { entries, next } = statusPage([...divisions.values()], page);
    return { ...status(), divisions: entries, next };
  });
  setHandler(cyclePhaseQuery, () => ({ phase, deadline: input.deadline }));

  setHandler(divisionReportSignal, (report) => {
    // A return that reaches the cycle once it is closing came too late to count.
    if (!divisions.has(report.divisionId) || phase === 'closing' || phase === 'closed') return;
    // The division sends its whole status, so a send-back clears what a return had set.
    divisions.set(report.divisionId, report);
  });

  setHandler(
    closeCycleUpdate,
    async ({ actor }) => {
      closedBy = actor;
      await condition(() => result !== undefined);
      return result!;
    },
    {
      validator: (_request: { actor: string }) => {
        if (closedBy !== undefined) throw new Error(CYCLE_CLOSED);
      },
    },
  );

  setHandler(
    reassignItemUpdate,
    async ({ no, divisionId, actor }) => {
      const { from, fromStillAnswers } = await reassignItem({ cycleId, no, to: divisionId, actor });
      const target = divisions.get(divisionId);
      if (!target) {
        divisions.set(divisionId, { divisionId, role: 'answer', state: 'preparing', attempts: 0 });
        await startDivisionWorkflows({ cycleId, year: input.year, deadline: input.deadline, ladder: input.ladder, divisions: [{ divisionId, role: 'answer' }], indexed });
        divisions.get(divisionId)!.state = 'waiting';
      } else if (from !== divisionId) {
        await getExternalWorkflowHandle(divisionWorkflowId(cycleId, divisionId)).signal(resendSheetSignal, { role: 'answer', actor });
      }
      if (from !== divisionId) {
        await getExternalWorkflowHandle(divisionWorkflowId(cycleId, from)).signal(resendSheetSignal, { role: fromStillAnswers ? 'answer' : 'inform', actor });
      }
      return { from, to: divisionId };
    },
    {
      validator: (_request: { no: number; divisionId: string; actor: string }) => {
        if (phase !== 'open') throw new Error(CYCLE_CLOSED);
      },
    },
  );

  if (input.carried) {
    for (const division of input.carried.divisions) divisions.set(division.divisionId, division);
  } else {
    const snapshot = await snapshotCycle({ cycleId, municipalityId: input.municipalityId, year: input.year });
    for (const { divisionId, role } of snapshot.divisions) {
      divisions.set(divisionId, { divisionId, role, state: 'preparing', attempts: 0 });
    }
    for (const batch of batches(snapshot.divisions)) {
      await startDivisionWorkflows({ cycleId, year: input.year, deadline: input.deadline, ladder: input.ladder, divisions: batch, indexed });
      for (const { divisionId, role } of batch) {
        const division = divisions.get(divisionId)!;
        if (division.state === 'preparing') division.state = role === 'answer' ? 'waiting' : 'informed';
      }
    }
  }
  phase = 'open';

  // Cycles launched before the history limit replay with every report in one history.
  if (patched('cycle-continue-as-new')) {
    const limit = { ...CYCLE_HISTORY_LIMIT, ...input.historyLimit };
    // The carried state is counted once, at the start, so that a large one cannot make every run start afresh at once.
    const startBytes = workflowInfo().historySize;
    const full = () => workflowInfo().historyLength > limit.events || workflowInfo().historySize - startBytes > limit.bytes;
    await condition(() => closedBy !== undefined || full());
    if (closedBy === undefined) {
      // An update in flight finishes here; one sent during the switch reaches the next run.
      await condition(allHandlersFinished);
      if (closedBy === undefined) return continueAsNew<typeof cycleWorkflow>({ ...input, carried: { divisions: [...divisions.values()], ...(indexed && { indexed }) } });
    }
  }

  await condition(() => closedBy !== undefined);
  phase = 'closing';
  const ids = [...divisions.keys()];
  for (const batch of batches(ids)) await closeDivisionWorkflows({ cycleId, divisionIds: batch });
  // The divisions' statuses are read by the activity (their results, or a query of this cycle):
  // at thousands of divisions they are more than an activity's input should carry.
  const closed = await consolidateCycle({ cycleId, closedBy: closedBy!, closedAt: new Date().toISOString() });
  for (const batch of batches(ids)) await mailConsolidatedTable({ cycleId, divisionIds: batch, result: closed });
  result = closed;
  phase = 'closed';
  // Cycles closed before the archive existed replay without it; `audit archive` archives them.
  if (patched('archive-at-close')) await startArchiver({ cycleId });
  await condition(allHandlersFinished);
  return result;
}
