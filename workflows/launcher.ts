import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import { cycleId } from '../domain/workflow-ids';
import { fiscalYearCode, fiscalYearOfDate } from '../domain/fiscal-year';
import { cycleWorkflow } from './cycle';
import type { LauncherInput } from './definitions';

const TOKYO_OFFSET_MS = 9 * 3_600_000;

/**
 * Started by the yearly Schedule: launches the cycle of the fiscal year it runs in, under the
 * cycle's own stable id, so a cycle launched by hand or by a Schedule is the same cycle and a
 * second launch is refused either way.
 */
export async function launcherWorkflow(input: LauncherInput): Promise<string> {
  const today = new Date(Date.now() + TOKYO_OFFSET_MS).toISOString().slice(0, 10);
  const year = fiscalYearCode(fiscalYearOfDate(today));
  // The deadline is the next such day in Japan, this calendar year or the next.
  const thisYear = `${today.slice(0, 4)}-${input.deadlineMonthDay}`;
  const deadlineDay = thisYear >= today ? thisYear : `${Number(today.slice(0, 4)) + 1}-${input.deadlineMonthDay}`;
  const id = cycleId(input.municipalityId, year);
  try {
    await startChild(cycleWorkflow, {
      workflowId: id,
      args: [{ municipalityId: input.municipalityId, year, deadline: `${deadlineDay}T23:59:59+09:00`, launchedBy: input.launchedBy, ladder: input.ladder }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return `${id} was already launched`;
  }
  return `${id} launched`;
}
