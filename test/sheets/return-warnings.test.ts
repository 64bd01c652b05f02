import { describe, expect, it } from 'vitest';
import type { Plan } from '../../domain/plan';
import { findWarnings } from '../../sheets/return-warnings';
import { divisionItems, seedPlan, withoutYear } from './fixtures';

const r4 = (): Plan => withoutYear(seedPlan(), 'R4');
type Mark = '○' | '△' | '×' | '-' | '';
const codes = (plan: Plan, division: string, answers: Array<{ no: number; mark: Mark; statusText: string }>) =>
  findWarnings(plan, 'R4', divisionItems(plan, division), answers.map(({ no, mark, statusText }) => ({ no, values: { marks: mark, statusText } }))).map((w) => [w.code, w.no, w.cell]);
const LONG = '今年度は研修を三回開催し、延べ百二十名の職員が参加した。';

describe('確認事項 (warnings that need an explanation)', () => {
  it('flags a mark that goes backwards from last year, on the mark cell', () => {
    // くらしいきいき課's sheet has items 1, 2, 3 (read-only), 4 and 24 from row 8; item 4 was △ in R3.
    expect(codes(r4(), 'くらしいきいき課', [{ no: 4, mark: '×', statusText: LONG }])).toEqual([['mark-backwards', 4, 'O11']]);
    expect(codes(r4(), 'くらしいきいき課', [{ no: 4, mark: '△', statusText: LONG }])).toEqual([]);
  });

  it('flags ○ where the schedule says 検討 this year, and - where it says 実施', () => {
    const plan = r4();
    const item = plan.items.find((i) => i.no === 16)!;
    item.schedule = { R1: '検討', R2: '→', R3: '→', R4: '→', R5: '実施' };
    item.values.marks = { R1: '-', R2: '-', R3: '-' };
    expect(codes(plan, '総務課', [{ no: 16, mark: '○', statusText: LONG }])).toEqual([['done-while-studying', 16, expect.any(String)]]);
    expect(codes(plan, '総務課', [{ no: 19, mark: '-', statusText: LONG }])).toEqual([['not-yet-while-scheduled', 19, expect.any(String)]]);
  });

  it('flags a status text copied from last year, or too short to say what was done, on the text cell', () => {
    const plan = r4();
    plan.fieldYears.statusText = ['R3'];
    for (const item of plan.items) item.values.statusText = { R3: LONG };
    expect(codes(plan, '総務課', [{ no: 19, mark: '○', statusText: LONG }])).toEqual([['same-text-as-last-year', 19, expect.stringMatching(/^K\d+$/)]]);
    expect(codes(r4(), '総務課', [{ no: 19, mark: '○', statusText: '実施した。' }])).toEqual([['short-text', 19, expect.stringMatching(/^K\d+$/)]]);
  });
});
