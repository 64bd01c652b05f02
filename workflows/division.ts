import { allHandlersFinished, condition, getExternalWorkflowHandle, patched, proxyActivities, proxyLocalActivities, setHandler, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { type DivisionEvent, type DivisionState, checkOutcome, nextState, owesReturn } from '../domain/division-state';
import {
  type AttemptRecord,
  CYCLE_CLOSED,
  closeDivisionSignal,
  excuseSignal,
  extendDeadlineSignal,
  remindNowSignal,
  resendSheetSignal,
  type DivisionInput,
  divisionReportSignal,
  DIVISION_STATE_ATTRIBUTE,
  DIVISION_STATUS_MEMO,
  type DivisionStatus,
  divisionStatusQuery,
  NOT_RETURNED,
  NOTHING_TO_ANSWER,
  type ReturnSubmission,
  sendBackUpdate,
  type SubmitStatus,
  submitReturnUpdate,
} from './definitions';

// Each takes well under a second; a short timeout lets a task whose worker was killed be
// retried on another within seconds, not minutes.
const { prepareSheet, sendRequestMail, sendBack, planLadder, sendRungMail, sendManualReminder } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
});
const { planLadder: planLadderLocally } = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds' });

// Checking a return is what the submitter waits for: it gets a short timeout and few retries,
// so that a file that cannot be read answers quickly instead of hanging the update. It runs as a
// local activity, in the task that took the update: a scheduled activity's round trip through
// the server and the second task it needs cost as much as the check itself, on every return.
const CHECK_OPTIONS = { startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 3 } } as const;
const { checkReturn } = proxyActivities<Activities>(CHECK_OPTIONS);
const { checkReturn: checkReturnLocally } = proxyLocalActivities<Activities>(CHECK_OPTIONS);

/** One division in one cycle: its sheet goes out, its returns come in and are checked. */
export async function divisionWorkflow(input: DivisionInput): Promise<DivisionStatus> {
  let state: DivisionState = 'preparing';
  let role = input.role;
  let attempts = 0;
  let accepted: number | undefined;
  let returnedAt: string | undefined;
  let sheetVersion = input.sheetVersion;
  let deadline = input.deadline;
  let replan = false;
  let closed = false;
  const log: AttemptRecord[] = [];

  const status = (): DivisionStatus => ({
    divisionId: input.divisionId,
    role,
    state,
    attempts,
    attempt: accepted,
    returnedAt,
    log: [...log],
    deadline: deadline === input.deadline ? undefined : deadline,
  });
  // What the memo and the state attribute hold now: each change is written once.
  let indexedState: DivisionState = 'preparing';
  let indexedStatus = JSON.stringify(status());
  /** Makes the status known to whoever reads the cycle's: in this division's memo, or by a signal to the cycle. */
  const report = async () => {
    if (!input.indexed) return getExternalWorkflowHandle(input.cycleId).signal(divisionReportSignal, status());
    const now = status();
    if (JSON.stringify(now) !== indexedStatus) upsertMemo({ [DIVISION_STATUS_MEMO]: now });
    if (now.state !== indexedState) upsertSearchAttributes([{ key: DIVISION_STATE_ATTRIBUTE, value: now.state }]);
    indexedStatus = JSON.stringify(now);
    indexedState = now.state;
  };
  const apply = (event: DivisionEvent) => {
    state = nextState(state, event, accepted !== undefined);
  };
  const refuseWhenClosed = () => {
    if (closed) throw new Error(CYCLE_CLOSED);
  };

  setHandler(divisionStatusQuery, status);
  setHandler(closeDivisionSignal, () => {
    closed = true;
  });
  let reminders = 0;
  setHandler(excuseSignal, async ({ reason, actor }) => {
    if (!owesReturn(state) || closed) return;
    apply({ kind: 'excused' });
    log.push({ attempt: attempts, result: 'excused', at: new Date().toISOString(), by: actor, note: reason });
    await report();
  });
  setHandler(remindNowSignal, async ({ actor }) => {
    if (!owesReturn(state) || closed) return;
    await sendManualReminder({ cycleId: input.cycleId, divisionId: input.divisionId, deadline, seq: ++reminders, actor });
  });
  setHandler(resendSheetSignal, async ({ role: newRole }) => {
    if (closed) return;
    role = newRole;
    apply({ kind: 'resent', role });
    sheetVersion++;
    const sheet = await prepareSheet({ cycleId: input.cycleId, divisionId: input.divisionId, sheetVersion, deadline });
    // An excused division owes nothing: its sheet changes, but no mail asks it to answer.
    // Histories from before this rule replay with the mail they sent.
    const excused = state === 'excused' && patched('no-request-when-excused');
    if (!excused) await sendRequestMail({ cycleId: input.cycleId, divisionId: input.divisionId, role, deadline, sheet });
    await report();
  });
  setHandler(extendDeadlineSignal, ({ deadline: extended }) => {
    deadline = extended;
    replan = true;
  });

  setHandler(
    submitReturnUpdate,
    async (submission) => {
      const attempt = ++attempts;
      const check = await (patched('check-return-locally') ? checkReturnLocally : checkReturn)({ cycleId: input.cycleId, divisionId: input.divisionId, sheetVersion, attempt, submission });
      const warnings = check.warnings ?? [];
      const result: SubmitStatus = checkOutcome(check);
      log.push({ attempt, result, at: new Date().toISOString(), by: submission.submittedBy });
      // An earlier accepted return keeps counting through a held one, until a new one is accepted.
      const reported = result === 'accepted' || (result === 'held' && accepted === undefined);
      apply({ kind: 'checked', result });
      if (result === 'accepted') {
        accepted = attempt;
        returnedAt = new Date().toISOString();
      }
      // An indexed division's memo shows every attempt; the cycle counted only those that changed what it holds.
      if (reported || input.indexed) await report();
      return { status: result, attempt, problems: check.problems, warnings };
    },
    {
      // Only what the workflow's own state rules out; this leaves nothing in the history.
      validator: (_submission: ReturnSubmission) => {
        refuseWhenClosed();
        if (role === 'inform') throw new Error(NOTHING_TO_ANSWER);
      },
    },
  );

  setHandler(
    sendBackUpdate,
    async ({ actor, comments }) => {
      const attempt = accepted!;
      accepted = undefined;
      returnedAt = undefined;
      apply({ kind: 'sentBack' });
      sheetVersion++;
      log.push({ attempt, result: 'sentBack', at: new Date().toISOString(), by: actor });
      await report();
      // The deadline in force: an extension before the send-back is what the division now works to.
      await sendBack({ cycleId: input.cycleId, divisionId: input.divisionId, attempt, comments, sheetVersion, deadline, actor });
      return { sheetVersion };
    },
    {
      validator: (_request: { actor: string; comments: Record<string, string> }) => {
        refuseWhenClosed();
        if (accepted === undefined) throw new Error(NOT_RETURNED);
      },
    },
  );

  /**
   * Waits for a rung's time: 'due' when it comes while a return is owed, 'passed' when it came
   * while none was (the division is not reminded of it later), 'stop' on a close or a new plan.
   * A timer runs only while a return is owed.
   */
  const rungTime = async (at: number): Promise<'due' | 'passed' | 'stop'> => {
    for (;;) {
      if (!owesReturn(state)) {
        await condition(() => closed || replan || owesReturn(state));
        if (!closed && !replan && Date.now() >= at) return 'passed';
      }
      if (closed || replan) return 'stop';
      if (!(await condition(() => closed || replan || !owesReturn(state), Math.max(0, at - Date.now())))) return 'due';
    }
  };

  const sheet = await prepareSheet({ cycleId: input.cycleId, divisionId: input.divisionId, sheetVersion: input.sheetVersion, deadline: input.deadline });
  await sendRequestMail({ cycleId: input.cycleId, divisionId: input.divisionId, role: input.role, deadline: input.deadline, sheet });
  apply({ kind: 'sheetSent', role: input.role });
  if (input.indexed) await report();

  // A division that only sees items waits: an item reassigned to it makes it one that answers.
  await condition(() => closed || role === 'answer');
  // Cycles launched before the ladder existed replay without it.
  if (!closed && patched('escalation-ladder')) {
    while (!closed) {
      // An extension shows in the cycle's status as soon as its ladder is planned again.
      if (replan) await report();
      replan = false;
      // Rung dates come from an activity: holiday data read here could change a replay. A local
      // one, since it reads no more than the calendar: an activity task of its own for each of
      // 2,000 divisions is server work the launch waits on. Histories from before replay with it.
      const rungs = await (patched('ladder-planned-locally') ? planLadderLocally : planLadder)({ ladder: input.ladder, deadline });
      // A division that owes nothing (returned, held, excused) has no timer running: the rung
      // times would otherwise wake every division that has returned, 2,000 at once, for nothing.
      const sleeps = patched('ladder-sleeps-while-nothing-owed');
      for (const rung of rungs) {
        if (sleeps) {
          const when = await rungTime(Date.parse(rung.at));
          if (when === 'stop') break;
          if (when === 'passed') continue;
        } else {
          await condition(() => closed || replan, Math.max(0, Date.parse(rung.at) - Date.now()));
          if (closed || replan) break;
        }
        // A return stops the ladder; a send-back makes the division owe one again.
        if (owesReturn(state)) await sendRungMail({ cycleId: input.cycleId, divisionId: input.divisionId, rung, deadline });
      }
      if (!replan) await condition(() => closed || replan);
    }
  }

  await condition(() => closed && allHandlersFinished());
  // Handlers change the state while this function waits.
  apply({ kind: 'closed' });
  return status();
}
