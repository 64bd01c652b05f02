import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSentMail } from '../../stack/sent-mail';
import { filledWithSeed, type OpenCycle, openR4Cycle, seedPlan } from '../support/returns';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

let cycle: OpenCycle;

beforeAll(async () => {
  // Arao's table is about 20 KB: a limit of 1 KB makes it a table too large to mail to everyone.
  cycle = await openR4Cycle({ TORIMATOME_RESULT_TABLE_ATTACHED_UP_TO: '1000' });
}, 180_000);

afterAll(async () => {
  await cycle?.stop();
});

describe('result mails once the table is too large to send to everyone', () => {
  it('gives each division its own rows and the summary by area, without the table', async () => {
    const file = join(cycle.service.dataDir, 'somu.xlsx');
    writeFileSync(file, await filledWithSeed((await cycle.request('somu')).attachments[0]!.content));
    expect((await cycle.cli('submit', '--division', 'somu', file)).stdout).toMatch(/回答を受け付けました|確認事項があります/);
    expect((await cycle.cli('cycle', 'close')).code).toBe(0);

    const results = (await readSentMail(cycle.service.sentDir)).filter((m) => m.subject.startsWith('【取りまとめ結果】'));
    expect(results.length).toBeGreaterThan(1);
    expect(results.every((m) => m.attachments.length === 0)).toBe(true);
    const somu = results.find((m) => m.to[0] === 'somu@city.arao.example')!;
    expect(somu.text).toContain('添付せず、総務課の項目と集計をこのメールに記載します');
    // Its own answers as the table has them, and nothing of another division.
    for (const no of [3, 10, 13]) {
      const item = seedPlan.items.find((i) => i.no === no)!;
      expect(somu.text).toContain(`整理番号${no} ${item.initiative}: ${item.values.marks!.R4}`);
    }
    expect(somu.text).not.toContain(`整理番号1 ${seedPlan.items[0]!.initiative}`);
    // The summary: somu's 11 answers are in, every other item of R4 is blank.
    const items = seedPlan.items.length;
    const answered = [3, 10, 13, 14, 16, 17, 18, 19, 20, 21, 22];
    const count = (mark: string) => answered.filter((no) => seedPlan.items.find((i) => i.no === no)!.values.marks!.R4 === mark).length;
    const r3 = (mark: string) => seedPlan.items.filter((i) => (i.values.marks!.R3 ?? '') === mark).length;
    expect(somu.text).toContain(`合計: ○ ${r3('○')}→${count('○')}、△ ${r3('△')}→${count('△')}、× ${r3('×')}→${count('×')}、- ${r3('-')}→${count('-')}、空欄・未提出 ${r3('')}→${items - answered.length}`);
    expect(Buffer.byteLength(somu.text)).toBeLessThan(100 * 1024);
  }, 120_000);
});
