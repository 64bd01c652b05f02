import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARAO_COLLECTION } from '../domain/arao-collection';
import {
  achievementRate,
  CollectionDefinitionError,
  type CollectionDefinitionInput,
  parseCollectionDefinition,
  ratingRank,
  readRating,
  TargetActualField,
} from '../domain/collection-definition';

const example = (name: string): unknown => JSON.parse(readFileSync(path.join(__dirname, '../seeds/examples', name, 'definition.json'), 'utf8'));

/** A small valid definition to break one thing at a time. */
const base = (): CollectionDefinitionInput => ({
  scales: [{ id: 'grade', name: '評価', values: [{ symbol: 'A', label: '良い' }, { symbol: 'B', label: '普通' }, { symbol: 'C', label: '悪い' }] }],
  fields: [
    { id: 'grade', kind: 'rating', scale: 'grade', header: '評価（{year}）' },
    { id: 'note', kind: 'text', header: '取組内容（{year}）', maxLength: 200 },
  ],
  table: { columns: [{ plan: 'no' }, { field: 'grade' }, { field: 'note' }] },
  summary: { ratings: ['grade'] },
});

function problemsOf(input: unknown): readonly string[] {
  try {
    parseCollectionDefinition(input);
  } catch (error) {
    expect(error).toBeInstanceOf(CollectionDefinitionError);
    return (error as CollectionDefinitionError).problems;
  }
  throw new Error('the definition was taken');
}

describe('collection definition', () => {
  it('takes the shipped definitions: Arao, the four-step rating with 効果額, the two ratings with a numeric goal', () => {
    expect(ARAO_COLLECTION.fields.map((f) => f.id)).toEqual(['statusText', 'marks']);
    const fourStep = parseCollectionDefinition(example('four-step'));
    expect(fourStep.scales[0]!.values.map((v) => v.symbol)).toEqual(['S', 'A', 'B', 'C', '-']);
    expect(fourStep.fields.find((f) => f.id === 'nextSteps')?.required).toBe(false);
    const twoRating = parseCollectionDefinition(example('two-rating'));
    expect(twoRating.summary.ratings).toEqual(['stage', 'achievement']);
    expect(twoRating.fields.find((f) => f.id === 'goal')).toMatchObject({ kind: 'targetActual', lowerIsBetter: false, warnRateAbove: 100 });
  });

  it('refuses a scale with a repeated symbol, naming the value', () => {
    const input = base();
    input.scales![0]!.values[2]!.symbol = 'A';
    expect(problemsOf(input)).toEqual(['scales[0].values[2].symbol: 記号「A」が重複しています（values[0]「A」にもあります）']);
    const variant = base();
    variant.scales![0]!.values[1]!.variants = ['ａ', 'A', 'ａ'];
    expect(problemsOf(variant)).toEqual([
      'scales[0].values[1].variants[1]: 記号「A」が重複しています（values[0]「A」にもあります）',
      'scales[0].values[1].variants[2]: 記号「ａ」が同じ値に2回あります',
    ]);
  });

  it('refuses a field of an unknown kind, naming it and the kinds there are', () => {
    const input = base() as { fields: unknown[] };
    input.fields[1] = { id: 'when', kind: 'date', header: '完了日' };
    expect(problemsOf(input)).toEqual(['fields[1].kind: 項目の種類（kind）「date」は使えません（rating, text, number, targetActual）']);
  });

  it('refuses a table column or a summary naming no field, and a rating of an unknown scale', () => {
    const input = base();
    input.table.columns.push({ field: 'effect' });
    input.summary = { ratings: ['note'], sums: ['grade'] };
    (input.fields[0] as { scale: string }).scale = 'grades';
    expect(problemsOf(input)).toEqual([
      'fields[0].scale: 尺度「grades」が定義されていません',
      'table.columns[3].field: 項目「effect」が定義されていません',
      'summary.ratings[0]: 項目「note」は評価の項目ではありません',
      'summary.sums[0]: 項目「grade」は数値の項目ではありません',
    ]);
  });

  it('words zod\'s own checks in Japanese too, every problem at once', () => {
    const problems = problemsOf({ scales: [{ id: 'Grade', name: '', values: [{ symbol: 'A', label: 'x' }] }], fields: [], table: { columns: [{ plan: 'rank' }] }, extra: 1 });
    expect(problems).toEqual([
      'scales[0].id: 名前（id）「Grade」は半角英数字で、英小文字から始めてください',
      'scales[0].name: 尺度の名前（name）が空です',
      'scales[0].values: 尺度には値が2つ以上必要です',
      'fields: 回答する項目（fields）が1つもありません',
      'table.columns[0]: 表の列は { "plan": "no" | "area" | "policy" | "initiative" | "overview" | "schedule" | "divisions" } か { "field": 項目の名前 } です',
      '知らない名前です: extra',
    ]);
    for (const problem of problems) expect(problem).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
  });

  it('refuses a number field whose range is upside down, and a not-yet-due symbol the scale lacks', () => {
    const input = base();
    input.fields.push({ id: 'effect', kind: 'number', header: '効果額（{year}）', unit: '千円', min: 10, max: 0 });
    input.scales![0]!.notYetDue = '-';
    expect(problemsOf(input)).toEqual(['scales[0].notYetDue: 「-」はこの尺度の記号ではありません', 'fields[2].max: 上限 0 が下限 10 より小さくなっています']);
  });
});

describe('reading a rating', () => {
  const [scale] = parseCollectionDefinition(example('four-step')).scales;

  it('ranks best to worst and leaves the not-yet-due value unranked', () => {
    expect(['S', 'A', 'B', 'C', '-', '', 'D'].map((s) => ratingRank(scale!, s))).toEqual([4, 3, 2, 1, undefined, undefined, undefined]);
  });

  it('reads a declared look-alike as its symbol, blank as blank, and refuses the rest with the cell', () => {
    expect(readRating(scale!, ' ｓ\u3000')).toEqual({ ok: true, symbol: 'S', variant: true });
    expect(readRating(scale!, 'B')).toEqual({ ok: true, symbol: 'B', variant: false });
    expect(readRating(scale!, '\u3000')).toEqual({ ok: true, symbol: '', variant: false });
    expect(readRating(scale!, 'AA')).toEqual({ ok: false, value: 'AA' });
  });
});

describe('achievement rate', () => {
  const field = (over: Record<string, unknown>) => TargetActualField.parse({ id: 'goal', kind: 'targetActual', header: '目標（{year}）', unit: '件', ...over });

  it('is actual ÷ target × 100, rounded to the field\'s decimals and in its direction', () => {
    expect(achievementRate(field({}), 3, 2)).toBe(66.7);
    expect(achievementRate(field({ rateRounding: 'floor' }), 3, 2)).toBe(66.6);
    expect(achievementRate(field({ rateRounding: 'ceil', rateDecimals: 0 }), 3, 1)).toBe(34);
    // 2.01 ÷ 200 × 100 is 1.00499… in binary; the rate rounds the decimal 1.005.
    expect(achievementRate(field({ rateDecimals: 2 }), 200, 2.01)).toBe(1.01);
  });

  it('turns round for a goal where lower is better, and has no rate for a target of 0', () => {
    expect(achievementRate(field({ lowerIsBetter: true }), 50, 40)).toBe(125);
    expect(achievementRate(field({}), 0, 5)).toBeUndefined();
    expect(achievementRate(field({ lowerIsBetter: true }), 10, 0)).toBeUndefined();
  });
});
