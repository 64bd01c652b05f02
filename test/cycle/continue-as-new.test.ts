import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planBeforeYear } from '../../domain/cycle';
import { divisionWorkflowId, TASK_QUEUE } from '../../domain/workflow-ids';
import { type CycleInput, type CycleStatus, closeCycleUpdate, cycleStatusQuery, divisionStatusQuery, excuseSignal, reassignItemUpdate } from '../../workflows/definitions';
import { readCycleStatus } from '../../service/cycle-status';
import { torimatome } from '../support/cli';
import { recordHistories, recordingHistories } from '../support/histories';
import { CYCLE_ID, seedPlan } from '../support/returns';
import { startTestService, type TestService } from '../support/service';

let service: TestService;
let client: Client;

beforeAll(async () => {
  service = await startTestService(planBeforeYear(seedPlan, 'R4'));
  client = new Client({ connection: await Connection.connect({ address: service.server.address }), namespace: service.server.namespace });
}, 180_000);

afterAll(async () => {
  await client?.connection.close();
  await service?.stop();
});

/** The runs of the cycle so far, oldest first, followed from the first through each continue-as-new. */
async function runsOf(firstRunId: string): Promise<Array<{ runId: string; status: string }>> {
  const runs: Array<{ runId: string; status: string }> = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const description = await client.workflow.getHandle(CYCLE_ID, runId).describe();
    runs.push({ runId, status: description.status.name });
    runId = undefined;
    if (description.status.name === 'CONTINUED_AS_NEW') {
      const { events } = await client.workflow.getHandle(CYCLE_ID, runs.at(-1)!.runId).fetchHistory();
      runId = events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
  }
  return runs;
}

describe('an open cycle whose history grows starts afresh with its state', () => {
  it('continues as new past its history limit, keeps every division\'s status, and takes the updates sent during the switch', async () => {
    // A limit this low makes a handful of moves start a new run; the default is 2,000 events.
    const input: CycleInput = { municipalityId: 'arao', year: 'R4', deadline: '2049-03-31T23:59:59+09:00', launchedBy: '文化企画課 行革担当', historyLimit: { events: 40 } };
    const handle = await client.workflow.start('cycleWorkflow', { workflowId: CYCLE_ID, taskQueue: TASK_QUEUE, args: [input] });
    const firstRunId = handle.firstExecutionRunId;
    const cycle = client.workflow.getHandle(CYCLE_ID);
    await expect.poll(async () => (await cycle.query(cycleStatusQuery)).phase, { timeout: 60_000 }).toBe('open');
    const launched = await cycle.query(cycleStatusQuery);
    const answering = launched.divisions.filter((d) => d.role === 'answer').map((d) => d.divisionId);
    // Every division has its sheet and waits for a return: an excuse before that has nothing to excuse.
    await expect
      .poll(async () => (await Promise.all(answering.map((id) => client.workflow.getHandle(divisionWorkflowId(CYCLE_ID, id)).query(divisionStatusQuery)))).map((d) => d.state), { timeout: 60_000 })
      .toEqual(answering.map(() => 'waiting'));
    const excused = answering.filter((id) => id !== 'zaisei' && id !== 'shimin');
    expect(excused.length).toBeGreaterThan(5);

    // An excuse changes the division's status, kept by the division itself: the cycle's history
    // does not grow with it, and the status read from the divisions shows it.
    const byId = (status: CycleStatus) => Object.fromEntries(status.divisions.map((d) => [d.divisionId, d.state]));
    const statesOf = async (ids: string[]) => {
      const states = byId(await readCycleStatus(client, CYCLE_ID));
      return ids.map((id) => states[id]);
    };
    const cycleEvents = async () => (await cycle.describe()).historyLength;
    const beforeExcuses = await cycleEvents();
    await Promise.all(excused.map((id) => client.workflow.getHandle(divisionWorkflowId(CYCLE_ID, id)).signal(excuseSignal, { reason: '試験', actor: '文化企画課 行革担当' })));
    await expect.poll(() => statesOf(excused), { timeout: 30_000 }).toEqual(excused.map(() => 'excused'));
    expect(await cycleEvents()).toBe(beforeExcuses);

    // The moves of 整理番号31 are updates of the cycle that land before, during and after the runs change.
    const moves: Array<{ from: string; to: string }> = [];
    for (const to of ['shimin', 'zaisei', 'shimin', 'zaisei', 'shimin', 'zaisei']) {
      moves.push(await cycle.executeUpdate(reassignItemUpdate, { args: [{ no: 31, divisionId: to, actor: '文化企画課 行革担当' }] }));
    }
    expect(moves).toEqual(['shimin', 'zaisei', 'shimin', 'zaisei', 'shimin', 'zaisei'].map((to, i) => ({ from: i % 2 === 0 ? 'zaisei' : 'shimin', to })));

    const runs = await runsOf(firstRunId);
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.slice(0, -1).every((r) => r.status === 'CONTINUED_AS_NEW')).toBe(true);
    expect(runs.at(-1)!.status).toBe('RUNNING');
    const { events } = await client.workflow.getHandle(CYCLE_ID, runs.at(-1)!.runId).fetchHistory();
    expect(events!.length).toBeLessThanOrEqual(60);
    // Each move that came as a run ended was taken by the next one, in its first workflow task.
    const firstTaken = await Promise.all(runs.slice(1).map(async (r) => (await client.workflow.getHandle(CYCLE_ID, r.runId).fetchHistory()).events!.slice(0, 6).map((e) => e.eventType)));
    expect(firstTaken.some((types) => types.includes(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED))).toBe(true);

    // The carried state, with each division's own, is the status the office reads, as `cycle status` shows it.
    const status = JSON.parse((await torimatome({ cwd: service.dataDir, dataDir: service.dataDir }, 'cycle', 'status', '--json')).stdout);
    expect(Object.fromEntries(status.divisions.map((d: { divisionId: string; state: string }) => [d.divisionId, d.state]))).toEqual(byId(await readCycleStatus(client, CYCLE_ID)));
    expect(status.divisions.find((d: { divisionId: string }) => d.divisionId === 'kaikei')).toMatchObject({ state: 'excused', log: [{ result: 'excused', note: '試験' }] });
    // Read in pages of one division each, the status is the whole one.
    const whole = await cycle.query(cycleStatusQuery);
    const firstPage = await cycle.query(cycleStatusQuery, { from: 0, maxBytes: 1 });
    expect(firstPage.divisions).toEqual(whole.divisions.slice(0, 1));
    expect(firstPage.next).toBe(1);
    expect(await readCycleStatus(client, CYCLE_ID, { maxBytes: 1 })).toEqual(await readCycleStatus(client, CYCLE_ID));

    if (recordingHistories) await recordHistories(service.server, 'continue-as-new', [CYCLE_ID]);
    const result = await cycle.executeUpdate(closeCycleUpdate, { args: [{ actor: '文化企画課 行革担当' }] });
    expect(result.returned).toBe(0);
    expect(result.notReturned.sort()).toEqual(['shimin', 'zaisei']);
  }, 180_000);
});
