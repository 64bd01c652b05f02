import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fiscalYearCode, fiscalYearOfDate } from '../../domain/fiscal-year';
import { Plan } from '../../domain/plan';
import { torimatome } from '../support/cli';
import { SEED_PLAN_PATH } from '../support/seed';
import { startTestService, type TestService } from '../support/service';

let service: TestService;
const cli = (...args: string[]) => torimatome({ cwd: service.dataDir, dataDir: service.dataDir, actor: '行革担当' }, ...args);
const today = new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);
const thisYear = fiscalYearCode(fiscalYearOfDate(today));

beforeAll(async () => {
  // The seed plan, carried on to the fiscal year the test runs in, so that a cycle can start today.
  const seed = Plan.parse(JSON.parse(readFileSync(SEED_PLAN_PATH, 'utf8')));
  const years = Array.from({ length: 20 }, (_, i) => `R${i + 1}`).filter((y) => Number(y.slice(1)) <= Number(thisYear.slice(1)));
  const plan = Plan.parse({
    ...seed,
    period: { from: 'R1', to: thisYear },
    items: seed.items.map((item) => ({ ...item, schedule: Object.fromEntries(years.map((y) => [y, item.schedule[y] ?? ''])) })),
  });
  service = await startTestService(plan);
}, 180_000);

afterAll(async () => {
  await service?.stop();
});

describe('a yearly Schedule', () => {
  it('launches the cycle of the fiscal year it runs in, under the stable id, and a second launch is refused', async () => {
    const set = await cli('cycle', 'schedule', '--on', '02-01', '--deadline', '03-15');
    expect(set.stderr).toBe('');
    expect(set.stdout).toContain('毎年2月1日 9:00 に照会を開始し、提出期限を次の3月15日とする');
    expect(set.stdout).toMatch(/次回: 令和\d+年2月1日（.）09:00/);
    expect((await cli('cycle', 'schedule', '--on', '02-30', '--deadline', '03-15')).stderr).toContain('--on は MM-DD の形で指定してください: 02-30');

    const client = new Client({ connection: await Connection.connect({ address: service.server.address }) });
    await client.schedule.getHandle('launch-arao').trigger();
    const id = `cycle-arao-${thisYear}`;
    await expect.poll(() => client.workflow.getHandle(id).describe().then((d) => d.status.name, () => 'none'), { timeout: 60_000, interval: 500 }).toBe('RUNNING');
    const status = JSON.parse((await cli('cycle', 'status', '--json')).stdout);
    const deadlineYear = today.slice(5) <= '03-15' ? today.slice(0, 4) : String(Number(today.slice(0, 4)) + 1);
    expect(status).toMatchObject({ cycleId: id, deadline: `${deadlineYear}-03-15T23:59:59+09:00`, launchedBy: 'スケジュール（行革担当が設定）' });
    const byHand = await cli('cycle', 'launch', '--year', thisYear, '--deadline', `${deadlineYear}-03-15`);
    expect(byHand.stderr).toContain('すでに開始されています');
    await client.connection.close();
  }, 180_000);
});
