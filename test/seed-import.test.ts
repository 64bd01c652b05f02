import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serializePlan, type Plan } from '../domain/plan';
import { importPlan } from '../master/import';
import { SEED_PLAN_PATH, SEED_TEXT_PATH, seedDirectory, seedOverrides, seedText } from './support/seed';

// Read off the seed document by hand: marks R1-R4 (_ = blank), schedule R1-R5 (_ = blank), divisions.
const EXPECTED = `
1 ○○○○ 実施,→,→,→,→ くらしいきいき課
2 ○○○○ 実施,→,→,→,→ くらしいきいき課 総合政策課
3 -○○○ 検討,順次実施,→,→,→ 総務課 くらしいきいき課
4 -△△× 検討,順次実施,→,→,→ くらしいきいき課 総務課 総合政策課
5 -○○○ 検討,順次実施,→,→,→ 総合政策課
6 ○○○○ 実施,→,→,→,→ 総合政策課
7 △○○○ 実施,→,→,→,→ 総合政策課
8 ○○○○ 実施,検討,実施,→,→ 総合政策課 教育振興課
9 -○○○ 検討,実施,→,→,→ 総合政策課
10 ○○○○ 実施,→,→,→,→ 総務課 文化企画課
11 △△△△ 実施,→,→,→,→ 文化企画課
12 △△○○ 実施,→,→,→,→ 文化企画課
13 △○○○ 実施,→,→,→,→ 総務課
14 △△△△ 実施,→,→,→,→ 総務課
15 -○○○ 検討,順次実施,→,→,→ 財政課 総務課 公共施設マネジメント推進室
16 -×△△ 検討,実施,→,→,→ 総務課
17 △△○○ 実施,→,→,→,→ 総務課
18 ×△△△ 実施,→,→,→,→ 総務課
19 ○○○○ 実施,→,→,→,→ 総務課
20 △△○○ 実施,→,→,→,→ 総務課
21 ○○○○ 検討,順次実施,→,→,→ 総務課
22 -○○○ 検討,実施,→,→,→ 総務課
23 -△○○ 検討,実施,→,→,→ 収納課
24 ○○○○ 実施,→,→,→,→ くらしいきいき課
25 ○○○○ 実施,→,→,→,→ 会計課 財政課
26 -××× 検討,順次実施,→,→,→ 財政課 公共施設マネジメント推進室
27 --○○ 検討,→,実施,→,→ 各施設所管課 公共施設マネジメント推進室
28 -○○○ 検討,順次実施,→,→,→ 各施設所管課 公共施設マネジメント推進室
29 --△○ 検討,→,順次実施,→,→ 公共施設マネジメント推進室 財政課
30 ○○○○ 実施,→,→,→,→ 総合政策課 財政課
31 ○○○○ 実施,→,→,→,→ 財政課
32 ○○○○ 実施,→,→,→,→ 文化企画課
33 -○○○ 検討,順次実施,→,→,→ 会計課
34 ---× 検討,→,→,実施,→ 市民課 文化企画課
35 __○○ _,_,実施,→,→ 文化企画課
`
  .trim()
  .split('\n')
  .map((line) => {
    const [no, marks, schedule, ...divisions] = line.split(' ');
    return {
      no: Number(no),
      marks: [...marks!].map((m) => (m === '_' ? '' : m)),
      schedule: schedule!.split(',').map((s) => (s === '_' ? '' : s)),
      divisions,
    };
  });

// Area and policy as the shipped overrides settle them: [first item, last item, area, policy].
const GROUPS: Array<[number, number, string, string]> = [
  [1, 4, '地域マネジメント', '協働の更なる推進による地域の自治力の強化'],
  [5, 9, '地域マネジメント', '効果的な広報の推進と広聴の充実によるコミュニケーションの活性化'],
  [10, 12, '組織マネジメント', 'マネジメント体制の確立を通じた組織力の強化'],
  [13, 15, '組織マネジメント', '新たなチャレンジが盛んに生まれる働きやすい組織風土の醸成'],
  [16, 22, '人材マネジメント', ''],
  [23, 25, '財政基盤の強化', ''],
  [26, 29, '財政基盤の強化', '公共施設等の適正管理'],
  [30, 31, '政策の費用対効果の向上', ''],
  [32, 35, '政策の費用対効果の向上', 'ICTや民間等の活用を通じた業務効率化や市民サービスの向上'],
];

/** The cells of the seed line that holds item `no`, exactly as the document has them. */
function seedCells(no: number): string[] {
  const line = readFileSync(SEED_TEXT_PATH, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${no}\t`));
  if (!line) throw new Error(`item ${no} is not in the seed`);
  return line.split('\t');
}

async function importSeed(): Promise<Plan> {
  const outcome = await importPlan(seedText(), { overrides: seedOverrides(), directory: seedDirectory() });
  expect(outcome.findings.filter((f) => f.severity === 'error' || f.severity === 'decision')).toEqual([]);
  return outcome.plan!;
}

describe('importing the R4 seed table', () => {
  it('reads all 35 items as the seed document has them', async () => {
    const plan = await importSeed();
    expect(plan.items.map((i) => i.no)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    expect(plan.period).toEqual({ from: 'R1', to: 'R5' });
    expect(plan.fieldYears.statusText).toEqual(['R4']);
    expect(plan.fieldYears.marks).toEqual(['R1', 'R2', 'R3', 'R4']);
    for (const item of plan.items) {
      const cells = seedCells(item.no);
      expect(cells, `initiative of ${item.no}`).toContain(item.initiative);
      expect(cells, `overview of ${item.no}`).toContain(item.overview);
      expect(cells, `status text of ${item.no}`).toContain(item.values.statusText!.R4);
      expect((item.values.statusText!.R4 as string).length).toBeGreaterThan(50);
      const expected = EXPECTED[item.no - 1]!;
      expect(Object.values(item.values.marks!), `marks of ${item.no}`).toEqual(expected.marks);
      expect(Object.values(item.schedule), `schedule of ${item.no}`).toEqual(expected.schedule);
      expect([item.leadDivision, ...item.coDivisions], `divisions of ${item.no}`).toEqual(expected.divisions);
    }
  });

  it('carries area and policy across their merged spans as the overrides settle them', async () => {
    const plan = await importSeed();
    for (const [from, to, area, policy] of GROUPS) {
      for (let no = from; no <= to; no++) {
        expect({ no, area: plan.items[no - 1]!.area, policy: plan.items[no - 1]!.policy }).toEqual({ no, area, policy });
      }
    }
  });

  it('reproduces the plan master shipped in seeds/ byte for byte', async () => {
    expect(serializePlan(await importSeed())).toBe(readFileSync(SEED_PLAN_PATH, 'utf8'));
  });

  it('names every anomaly of the seed in the report', async () => {
    const { findings } = await importPlan(seedText(), { overrides: seedOverrides(), directory: seedDirectory() });
    const has = (code: string, no?: number) => findings.some((f) => f.code === code && (no === undefined || f.no === no));
    for (const no of [5, 10, 22, 29, 35]) expect(has('cells-realigned', no), `realigned ${no}`).toBe(true);
    for (const no of [5, 22, 29]) expect(has('trailing-empty-cell', no)).toBe(true);
    expect(has('label-carried', 1)).toBe(true);
    expect(has('label-span-ambiguous', 1)).toBe(true);
    for (const no of [7, 9]) expect(has('extra-schedule-arrow', no)).toBe(true);
    expect(has('override-applied', 8)).toBe(true);
    expect(has('collapsed-row', 35)).toBe(true);
    expect(has('dash-variants')).toBe(true);
    for (const no of [15, 16, 22]) expect(has('mark-variant', no)).toBe(true);
    expect(has('override-applied', 14)).toBe(true);
    expect(has('division-group', 27)).toBe(true);
    expect(findings.find((f) => f.code === 'division-group')!.message).toContain('公共施設マネジメント推進室');
    for (const no of [23, 28, 30, 32]) expect(has('lone-label-settled', no)).toBe(true);
    for (const no of [13, 16]) expect(has('lone-label-classified', no)).toBe(true);
  });
});

describe('an Excel text export of the same table', () => {
  it('reads the same plan when lines end in spaces and tabs and blank lines hold only whitespace', async () => {
    const lines = seedText().toString('utf8').split('\n');
    const legend = lines.findIndex((l) => l.startsWith('●'));
    expect(legend).toBeGreaterThanOrEqual(0);
    const exported = lines.flatMap((line, i) => [`${line}${i === legend ? '\t\t\t' : ' \t \t'}`, i % 7 === 0 ? ' \t\u3000\t' : []].flat()).join('\r\n');
    const outcome = await importPlan(Buffer.from(exported, 'utf8'), { overrides: seedOverrides(), directory: seedDirectory() });
    expect(outcome.findings.filter((f) => f.severity === 'error' || f.severity === 'decision')).toEqual([]);
    expect(serializePlan(outcome.plan!)).toBe(readFileSync(SEED_PLAN_PATH, 'utf8'));
  });
});

describe('what the seed cannot tell by itself', () => {
  it('stops without overrides and names each open point with how to settle it', async () => {
    const { plan, findings } = await importPlan(seedText(), { overrides: { loneLabels: {}, items: {} }, directory: seedDirectory() });
    expect(plan).toBeUndefined();
    const decisions = findings.filter((f) => f.severity === 'decision');
    expect(decisions.map((f) => [f.code, f.no ?? null])).toEqual([
      ['missing-municipality', null],
      ['lone-label-ambiguous', 23],
      ['lone-label-ambiguous', 28],
      ['lone-label-ambiguous', 30],
      ['lone-label-ambiguous', 32],
      ['schedule-ambiguous', 8],
      ['missing-division', 14],
    ]);
    expect(decisions[1]!.message).toContain('"23": { "kind"');
  });

  it('refuses item 14 without a division and accepts it once the overrides name one', async () => {
    const overrides = seedOverrides();
    delete overrides.items['14'];
    const refused = await importPlan(seedText(), { overrides, directory: seedDirectory() });
    expect(refused.plan).toBeUndefined();
    const missing = refused.findings.filter((f) => f.severity === 'decision');
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({ code: 'missing-division', no: 14, line: 33 });
    expect(missing[0]!.message).toContain('"14": { "divisions"');

    const accepted = await importPlan(seedText(), { overrides: seedOverrides(), directory: seedDirectory() });
    expect(accepted.plan!.items[13]!.leadDivision).toBe('総務課');
  });

  it('asks for row 8 schedule, whose six cells do not read as a plan once an arrow is dropped', async () => {
    const overrides = seedOverrides();
    delete overrides.items['8'];
    const { plan, findings } = await importPlan(seedText(), { overrides, directory: seedDirectory() });
    expect(plan).toBeUndefined();
    const decision = findings.find((f) => f.severity === 'decision')!;
    expect(decision).toMatchObject({ code: 'schedule-ambiguous', no: 8 });
    expect(decision.message).toContain('実施 検討 実施 → → →');
  });
});
