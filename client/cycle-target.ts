import { userInfo } from 'node:os';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { yearCode } from '../domain/cycle';
import { cycleId } from '../domain/workflow-ids';
import { FiscalYearError } from '../domain/fiscal-year';
import { dataDir, loadPlan, UserError } from '../store/master-files';
import { connectClient, resolveSettings } from '../worker/settings';
import { readCycleStatus } from '../service/cycle-status';
import type { CycleStatus } from '../workflows/definitions';
import { openStore } from '../store/open-store';

/** Runs a command's work with a Temporal client for the service in use, closed after. */
export async function withClient<T>(work: (client: Client, dir: string) => Promise<T>): Promise<T> {
  const dir = dataDir();
  const client = await connectClient((await resolveSettings(dir)).temporal);
  try {
    return await work(client, dir);
  } finally {
    await client.connection.close();
  }
}

/** Who takes a reform-office action: `--actor`, else TORIMATOME_ACTOR, else the OS user. */
export function actorOf(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option || env.TORIMATOME_ACTOR || userInfo().username;
}

export function yearArg(value: string): string {
  try {
    return yearCode(value);
  } catch (err) {
    if (err instanceof FiscalYearError) throw new UserError(err.message);
    throw err;
  }
}

/**
 * The cycle a command means: the year given, or else the one cycle still open (or, for
 * commands that read results, the latest one). The municipality is the one the plan master in
 * use belongs to.
 */
export async function targetCycle(client: Client, dataDir: string, year: string | undefined, opts: { orLatestClosed?: boolean } = {}): Promise<string> {
  const { plan } = await loadPlan(openStore(dataDir));
  if (year) return cycleId(plan.municipality.id, yearArg(year));
  const open: string[] = [];
  let latest: { id: string; start: number } | undefined;
  for await (const execution of client.workflow.list({ query: `WorkflowType = 'cycleWorkflow'` })) {
    if (!execution.workflowId.startsWith(`cycle-${plan.municipality.id}-`)) continue;
    if (execution.status.name === 'RUNNING') open.push(execution.workflowId);
    const start = execution.startTime.getTime();
    if (!latest || start > latest.start) latest = { id: execution.workflowId, start };
  }
  if (open.length === 1) return open[0]!;
  if (open.length > 1) throw new UserError(`開いている照会が複数あります（${open.join('、')}）。--year で年度を指定してください。`);
  // Reading a closed cycle's results needs no year when there is nothing else it could mean.
  if (opts.orLatestClosed && latest) return latest.id;
  throw new UserError('開いている照会がありません。--year で年度を指定してください。');
}

/** The cycle's status, from its workflow; a query needs a worker, so a silent one is named. */
export async function queryCycle(client: Client, id: string): Promise<CycleStatus> {
  try {
    return await onCycle(id, () => readCycleStatus(client, id));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`照会 ${id} の状態を取得できません。ワーカー（npm start か torimatome worker）が動いているか確認してください。（${(err as Error).message}）`);
  }
}

/** Runs a call against a cycle workflow, turning "no such cycle" into words. */
export async function onCycle<T>(id: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new UserError(`照会 ${id} はありません（cycle launch で開始します）。`);
    throw err;
  }
}

/** Commander's way to take an option several times. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `4=text` options as texts by item number; anything else is refused with the option named. */
export function itemTexts(values: readonly string[], option: string): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const value of values) {
    const m = /^\s*(\d+)\s*=(.+)$/s.exec(value);
    if (!m || !m[2]!.trim()) throw new UserError(`${option} は <整理番号>=<文> の形で指定してください: ${value}`);
    texts[m[1]!] = m[2]!.trim();
  }
  return texts;
}
