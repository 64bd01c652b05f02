import { allHandlersFinished, condition, getExternalWorkflowHandle, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  CYCLE_CLOSED,
  closeDivisionSignal,
  type DivisionInput,
  divisionReportSignal,
  type DivisionState,
  type DivisionStatus,
  divisionStatusQuery,
  NOTHING_TO_ANSWER,
  type ReturnSubmission,
  submitReturnUpdate,
} from './definitions';

const { prepareSheet, sendRequestMail } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
});

// Checking a return is what the submitter waits for: it gets a short timeout and few retries,
// so that a file that cannot be read answers quickly instead of hanging the update.
const { checkReturn } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

/** One division in one cycle: its sheet goes out, its returns come in and are checked. */
export async function divisionWorkflow(input: DivisionInput): Promise<DivisionStatus> {
  let state: DivisionState = 'preparing';
  let attempts = 0;
  let accepted: number | undefined;
  let returnedAt: string | undefined;
  let closed = false;

  const status = (): DivisionStatus => ({ divisionId: input.divisionId, role: input.role, state, attempts, attempt: accepted, returnedAt });

  setHandler(divisionStatusQuery, status);
  setHandler(closeDivisionSignal, () => {
    closed = true;
  });
  setHandler(
    submitReturnUpdate,
    async (submission) => {
      const attempt = ++attempts;
      const check = await checkReturn({ cycleId: input.cycleId, divisionId: input.divisionId, sheetVersion: input.sheetVersion, attempt, submission });
      if (check.ok) {
        accepted = attempt;
        returnedAt = new Date().toISOString();
        state = 'returned';
        await getExternalWorkflowHandle(input.cycleId).signal(divisionReportSignal, status());
      }
      return { status: check.ok ? 'accepted' : 'refused', attempt, problems: check.problems };
    },
    {
      // Only what the workflow's own state rules out; this leaves nothing in the history.
      validator: (_submission: ReturnSubmission) => {
        if (closed) throw new Error(CYCLE_CLOSED);
        if (input.role === 'inform') throw new Error(NOTHING_TO_ANSWER);
      },
    },
  );

  const sheet = await prepareSheet({ cycleId: input.cycleId, divisionId: input.divisionId, sheetVersion: input.sheetVersion, deadline: input.deadline });
  await sendRequestMail({ cycleId: input.cycleId, divisionId: input.divisionId, role: input.role, deadline: input.deadline, sheet });
  if (state === 'preparing') state = input.role === 'answer' ? 'waiting' : 'informed';

  await condition(() => closed && allHandlersFinished());
  if (accepted === undefined) state = 'closed';
  return status();
}
