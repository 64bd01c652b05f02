import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planBeforeYear } from '../../domain/cycle';
import { Plan } from '../../domain/plan';
import { fillReturnSheet, sheetValue } from '../../sheets/fill-return-sheet';
import { readSentMail, type SentMail } from '../../stack/sent-mail';
import { torimatome } from '../support/cli';
import { recordHistories, recordingHistories } from '../support/histories';
import { SEED_DIRECTORY_PATH, SEED_PLAN_PATH } from '../support/seed';
import { startTestService, type TestService } from '../support/service';

const seedPlan = Plan.parse(JSON.parse(readFileSync(SEED_PLAN_PATH, 'utf8')));
let service: TestService;
const cli = (...args: string[]) => torimatome({ cwd: service.dataDir, dataDir: service.dataDir, actor: '文化企画課 行革担当' }, ...args);

const sent = () => readSentMail(service.sentDir);

const ladderMails = (all: SentMail[], division: string) => all.filter((m) => /^【(督促|期限超過|上長報告)】/.test(m.subject) && m.subject.includes(division));

beforeAll(async () => {
  service = await startTestService(planBeforeYear(seedPlan, 'R4'));
}, 180_000);

afterAll(async () => {
  await service?.stop();
});

describe('the reminder and escalation ladder, counted in seconds from the deadline', () => {
  it('reminds, notes the overdue, escalates up the hierarchy, and leaves alone who returned or got more time', async () => {
    const launch = await cli('cycle', 'launch', '--year', 'R4', '--deadline', new Date(Date.now() + 3_600_000).toISOString(), '--ladder-clock', 'seconds');
    expect(launch.stderr).toBe('');

    // 総務課 returns at once; 収納課 gets ten more minutes; 財政課 does nothing.
    const somuSheet = (await sent()).find((m) => m.subject.startsWith('【依頼】') && m.to[0] === 'somu@city.arao.example')!.attachments[0]!.content;
    const filled = join(service.dataDir, 'somu.xlsx');
    writeFileSync(filled, await fillReturnSheet(somuSheet, seedPlan.definition, 'R4', (no) => ({ values: { marks: seedPlan.items[no - 1]!.values.marks!.R4 as string, statusText: seedPlan.items[no - 1]!.values.statusText!.R4 as string } })));
    expect((await cli('submit', '--division', 'somu', filled)).stdout).toContain('回答を受け付けました');
    // Every division's deadline is moved to 25 seconds from now, however long the launch took:
    // the ladders are planned again from it.
    expect((await cli('cycle', 'extend', '--deadline', new Date(Date.now() + 25_000).toISOString())).stdout).toContain('全9課の提出期限を');
    const extended = await cli('cycle', 'extend', '--division', '収納課', '--deadline', new Date(Date.now() + 600_000).toISOString());
    expect(extended.stdout).toContain('収納課の提出期限を');
    // 会計課 is excused; 収納課 gets a new address mid-cycle, and a reminder by hand goes there.
    expect((await cli('cycle', 'excuse', '--division', 'kaikei', '--reason', '担当者の長期不在')).stdout).toContain('会計課の提出を免除しました');
    const directory = JSON.parse(readFileSync(SEED_DIRECTORY_PATH, 'utf8'));
    directory.divisions.find((d: { id: string }) => d.id === 'shuno').contact = 'shuno-new@city.arao.example';
    writeFileSync(join(service.dataDir, 'plan', 'divisions.json'), JSON.stringify(directory));
    expect((await cli('cycle', 'remind', '--division', '収納課')).stdout).toContain('督促のメールを送りました: 収納課');
    await expect.poll(async () => (await sent()).filter((m) => m.to.includes('shuno-new@city.arao.example')).length, { timeout: 20_000 }).toBe(1);

    await expect.poll(async () => ladderMails(await sent(), '財政課').length, { timeout: 90_000, interval: 1_000 }).toBe(5);
    const zaisei = ladderMails(await sent(), '財政課').map((m) => ({ kind: m.subject.slice(0, m.subject.indexOf('】') + 1), to: m.to, cc: m.cc }));
    expect(zaisei).toEqual([
      { kind: '【督促】', to: ['zaisei@city.arao.example'], cc: [] },
      { kind: '【督促】', to: ['zaisei@city.arao.example'], cc: [] },
      { kind: '【期限超過】', to: ['zaisei@city.arao.example'], cc: ['zaisei-head@city.arao.example'] },
      { kind: '【上長報告】', to: ['somu-bu-head@city.arao.example'], cc: ['zaisei-head@city.arao.example'] },
      { kind: '【上長報告】', to: ['bunka-kikaku-head@city.arao.example'], cc: ['somu-bu-head@city.arao.example'] },
    ]);
    const all = await sent();
    expect(ladderMails(all, '（総務課）')).toEqual([]);
    expect(ladderMails(all, '収納課').map((m) => m.to)).toEqual([['shuno-new@city.arao.example']]);
    expect(ladderMails(all, '会計課')).toEqual([]);

    // Who owes nothing has no timer running: 総務課 returned and 会計課 was excused while their
    // first rung's timer ran, and neither woke at a rung time after that.
    const client = new Client({ connection: await Connection.connect({ address: service.server.address }), namespace: service.server.namespace });
    const timersFired = async (division: string) =>
      (await client.workflow.getHandle(`division-arao-R4-${division}`).fetchHistory()).events!.filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_FIRED).length;
    expect(await timersFired('zaisei')).toBe(5);
    expect(await timersFired('somu')).toBe(0);
    expect(await timersFired('kaikei')).toBe(0);
    await client.connection.close();

    const status = JSON.parse((await cli('cycle', 'status', '--json')).stdout);
    expect(status.rungsReached).toMatchObject({ zaisei: 5 });
    expect(status.rungsReached.somu).toBeUndefined();
    const division = (id: string) => status.divisions.find((d: { divisionId: string }) => d.divisionId === id);
    expect(division('shuno').deadline).toBeDefined();
    expect(division('kaikei')).toMatchObject({ state: 'excused', log: [{ result: 'excused', note: '担当者の長期不在', by: '文化企画課 行革担当' }] });

    // 整理番号31 moves from 財政課 to 市民課, and 整理番号33 to 建築住宅課, which only saw items so far.
    const before = (await sent()).length;
    expect((await cli('cycle', 'reassign', '--item', '31', '--division', '市民課')).stdout).toContain('整理番号31を財政課から市民課に移しました');
    expect((await cli('cycle', 'reassign', '--item', '33', '--division', 'kenchiku-jutaku')).stdout).toContain('整理番号33を会計課から建築住宅課に移しました');
    // New sheets for 財政課, 市民課 and 建築住宅課; 会計課, excused, is not asked to answer again.
    await expect.poll(async () => (await sent()).slice(before).filter((m) => m.subject.startsWith('【')).length, { timeout: 30_000 }).toBe(3);
    const resent = (await sent()).slice(before);
    expect(resent.filter((m) => m.to[0] === 'kaikei@city.arao.example')).toEqual([]);
    const sheetTo = (address: string) => resent.find((m) => m.to[0] === address && m.attachments.length === 1)!.attachments[0]!.content;
    expect(await sheetValue(sheetTo('shimin@city.arao.example'), '具体的な取組', 31)).toBe('枠配分予算編成方式の改善');
    expect(await sheetValue(sheetTo('kenchiku-jutaku@city.arao.example'), '具体的な取組', 33)).toBe('多様な収納方法の検討');
    // Read from Temporal's visibility, which follows the division's own status by a moment.
    const moved = async () => JSON.parse((await cli('cycle', 'status', '--json')).stdout).divisions.find((d: { divisionId: string }) => d.divisionId === 'kenchiku-jutaku');
    await expect.poll(moved, { timeout: 30_000, interval: 500 }).toMatchObject({ role: 'answer', state: 'waiting' });

    if (recordingHistories) await recordHistories(service.server, 'ladder', ['cycle-arao-R4', ...['zaisei', 'shuno', 'kaikei', 'somu', 'shimin', 'kenchiku-jutaku'].map((d) => `division-arao-R4-${d}`)]);
    const close = await cli('cycle', 'close');
    expect(close.stdout).toContain('未提出');
    const late = await cli('submit', '--division', 'zaisei', filled);
    expect(late.stderr).toContain('照会は締め切られているため、財政課の回答は受け付けられません。事情がある場合は文化企画課（bunka-kikaku@city.arao.example）に連絡してください。');
    const csv = readFileSync(join(service.dataDir, 'cycles', 'cycle-arao-R4', 'result', 'cycle-arao-R4-consolidated.csv'), 'utf8');
    expect(csv).toMatch(/\r\n25,[^\r]*,提出免除: 担当者の長期不在\r\n/);
    expect(csv).toMatch(/\r\n31,[^\r]*,未提出\r\n/);
    // 会計課 was excused, but 33 had moved to 建築住宅課 by then, which did not return.
    expect(csv).toMatch(/\r\n33,[^\r]*,未提出\r\n/);
  }, 180_000);
});
