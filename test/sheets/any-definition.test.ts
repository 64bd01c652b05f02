/**
 * The sheet, its checks and warnings, and the table and its summary under definitions other
 * than Arao's: the two shipped examples, and a scale too long for Excel's inline list. Expected
 * values are written out here, not computed with the product's helpers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CollectionDefinition, parseCollectionDefinition } from '../../domain/collection-definition';
import { Plan } from '../../domain/plan';
import { readXlsxCell } from '../../master/xlsx-cell';
import { areaSummary, consolidatePlan, writeConsolidatedWorkbook } from '../../sheets/consolidated-table';
import { type Answer, fillReturnSheet } from '../../sheets/fill-return-sheet';
import { readReturnSheet } from '../../sheets/read-return-sheet';
import { findWarnings } from '../../sheets/return-warnings';
import { type SheetItem, writeReturnSheet } from '../../sheets/write-return-sheet';
import { edited, filledSomuSheet, load, somuExpected } from './fixtures';

const example = (name: string): CollectionDefinition =>
  parseCollectionDefinition(JSON.parse(readFileSync(join(__dirname, '..', '..', 'seeds', 'examples', name, 'definition.json'), 'utf8')));

const item = (no: number, area: string, values: Plan['items'][number]['values']) => ({
  no,
  area,
  policy: `${area}の施策`,
  initiative: `取組${no}`,
  overview: `取組${no}の概要`,
  schedule: { R3: '実施', R4: '→', R5: '→', R6: '→', R7: '→' },
  values,
  leadDivision: '財政課',
  coDivisions: [],
});

function planOf(definition: CollectionDefinition, items: ReturnType<typeof item>[]): Plan {
  return Plan.parse({
    municipality: { id: 'sakuragawa', name: '桜川市' },
    title: '行政改革実施計画',
    version: 1,
    period: { from: 'R3', to: 'R7' },
    definition,
    fieldYears: Object.fromEntries(definition.fields.map((field) => [field.id, ['R4']])),
    items,
  });
}

const META = {
  cycleId: 'cycle-sakuragawa-R5',
  municipalityName: '桜川市',
  year: 'R5',
  divisionId: 'zaisei',
  divisionName: '財政課',
  sheetVersion: 1,
  deadline: '2024-03-31T23:59:59+09:00',
  contact: '行政改革推進課',
};

async function cycle(plan: Plan, answer: (no: number) => Answer | undefined) {
  const items: SheetItem[] = plan.items.map((i) => ({ item: i, role: 'answer' }));
  const sheet = await writeReturnSheet({ meta: META, plan, items });
  const filled = await fillReturnSheet(sheet, plan.definition, 'R5', answer);
  const reading = await readReturnSheet(filled, { ...META, items, definition: plan.definition });
  const warnings = reading.ok ? findWarnings(plan, 'R5', items, reading.answers) : [];
  return { sheet, reading, warnings, items };
}

const messages = (problems: ReadonlyArray<{ cell?: string; message: string }>) => problems.map((p) => [p.cell, p.message]);

describe('the four-step form (S/A/B/C with 効果額)', () => {
  const definition = example('four-step');
  const plan = planOf(definition, [
    item(1, '財政の健全化', { work: { R4: '公共施設の使用料を見直した。' }, progress: { R4: 'A' }, effect: { R4: 1000 }, nextSteps: { R4: '' } }),
    item(2, '財政の健全化', { work: { R4: '補助金を整理した。' }, progress: { R4: 'S' }, effect: { R4: 200 }, nextSteps: { R4: '' } }),
    item(3, '組織の見直し', { work: { R4: '窓口を統合した。' }, progress: { R4: '-' }, effect: { R4: null }, nextSteps: { R4: '' } }),
  ]);
  const work = (no: number) => `令和5年度は取組${no}について計画どおりに進め、関係課と調整を終えた。`;

  it('writes the cycle year and its history under the definition\'s headers, with its list and figure rules', async () => {
    const { sheet } = await cycle(plan, () => undefined);
    const answer = (await load(sheet)).getWorksheet('回答')!;
    const header = Array.from({ length: 12 }, (_, i) => readXlsxCell(answer.getCell(7, i + 1).value));
    expect(header).toEqual([
      '整理番号', '基本方針', '具体的な取組', '事業概要', 'R5年度の取組内容', '進捗状況（R4年度）', '進捗状況（R5年度）',
      '効果額（R4年度・千円）', '効果額（R5年度・千円）', '課題・今後の方針（R5年度）', '担当課', '説明',
    ]);
    expect(readXlsxCell(answer.getCell('A3').value)).toBe(
      '黄色のセルに入力してください。「R5年度の取組内容」には文章で、「進捗状況（R5年度）」には記号（S A B C -）を選んで、「効果額（R5年度・千円）」には数値（単位：千円）で、' +
        '「課題・今後の方針（R5年度）」には文章で入力します。確認事項（前年度より下がった記号など）をお知らせした場合は、「説明」に理由を書いてください。' +
        '灰色の行は他の課が主担当の取組で、参考として表示しています。その他のセルは変更できません。',
    );
    expect(readXlsxCell(answer.getCell('A4').value)).toBe('進捗状況：「S」計画以上 「A」計画どおり 「B」やや遅れている 「C」ほとんど進んでいない 「-」実施時期前');
    expect(answer.getCell('G8').dataValidation).toMatchObject({ type: 'list', formulae: ['"S,A,B,C,-"'] });
    expect(answer.getCell('I8').dataValidation).toMatchObject({ type: 'decimal', operator: 'between', formulae: [-10000000, 10000000], errorStyle: 'warning' });
    expect(answer.getCell('H8').value).toBe(1000);
    expect(answer.getCell('H8').numFmt).toBe('#,##0');
    expect(answer.getCell('I8').protection).toMatchObject({ locked: false });
    expect(answer.getCell('H8').protection?.locked).not.toBe(false);
  });

  it('reads full-width digits, separators and look-alike symbols, and refuses what is not a value, each at its cell', async () => {
    const good = await cycle(plan, (no) => ({ values: { work: work(no), progress: 'ａ', effect: '１，２００' as unknown as number, nextSteps: '' } }));
    expect(good.reading.problems).toEqual([]);
    expect(good.reading.answers.map((a) => a.values)).toEqual([1, 2, 3].map((no) => ({ work: work(no), progress: 'A', effect: 1200, nextSteps: '' })));

    const bad = await cycle(plan, (no) =>
      ({
        1: { values: { work: '', progress: 'X', effect: 1.5 } },
        2: { values: { work: work(2), progress: 'A', effect: 'たくさん' as unknown as number } },
        3: { values: { work: work(3), progress: '', effect: 20000000 } },
      })[no],
    );
    expect(bad.reading.ok).toBe(false);
    expect(messages(bad.reading.problems)).toEqual([
      ['E8', 'セル E8（整理番号1）: 「R5年度の取組内容」が入力されていません'],
      ['G8', 'セル G8（整理番号1）: 進捗状況の記号「X」は使えません（S A B C - のいずれかを選んでください）'],
      ['I8', 'セル I8（整理番号1）: 「効果額（R5年度・千円）」の 1.5 は整数で入力してください'],
      ['I9', 'セル I9（整理番号2）: 「効果額（R5年度・千円）」の「たくさん」は数値として読めません。数字だけを入力してください（全角の数字、桁区切りのカンマ、マイナスを表す▲も読めます）'],
      ['G10', 'セル G10（整理番号3）: 進捗状況の記号が入力されていません'],
      ['I10', 'セル I10（整理番号3）: 「効果額（R5年度・千円）」の 20000000 は入力できる範囲（-10000000〜10000000）の外です'],
    ]);
    expect(bad.reading.problems.map((p) => p.code)).toEqual(['missing-status-text', 'unknown-mark', 'too-many-decimals', 'not-a-figure', 'missing-mark', 'figure-out-of-range']);
  });

  it('asks for an explanation of a worse rating, a negative 効果額 and a figure far from last year\'s', async () => {
    const { reading, warnings } = await cycle(plan, (no) =>
      ({
        1: { values: { work: work(1), progress: 'B', effect: 1100 } },
        2: { values: { work: work(2), progress: 'S', effect: -300 } },
        3: { values: { work: work(3), progress: 'A', effect: 900 } },
      })[no],
    );
    expect(reading.ok).toBe(true);
    expect(messages(warnings)).toEqual([
      ['G8', 'セル G8（整理番号1）: 進捗状況が前年度の「A」から「B」に下がっています。理由を説明してください'],
      ['I9', 'セル I9（整理番号2）: 効果額が-300千円で、0千円を下回っています。値を確かめ、説明してください'],
      ['I9', 'セル I9（整理番号2）: 効果額が前年度の200千円から-300千円に変わっています（前年度の0.5倍〜2倍の外です）。値を確かめ、説明してください'],
    ]);
    expect(warnings.map((w) => w.code)).toEqual(['mark-backwards', 'figure-below', 'figure-far-from-last-year']);
  });

  it('counts each rating by area against last year and sums the 効果額', async () => {
    const { reading } = await cycle(plan, (no) => ({ values: { work: work(no), progress: ['B', 'S', 'A'][no - 1]!, effect: [1100, 300, 900][no - 1]!, nextSteps: '' } }));
    const consolidated = consolidatePlan(plan, 'R5', new Map(reading.answers.map((a) => [a.no, a.values])));
    const summary = areaSummary(consolidated, 'R5');
    expect(summary.years).toEqual(['R4', 'R5']);
    expect(summary.measures.map((m) => m.label)).toEqual(['S', 'A', 'B', 'C', '-', '空欄・未提出', '効果額（千円）']);
    // Per measure, R4 then R5.
    expect(summary.areas).toEqual([
      { area: '財政の健全化', values: [1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1200, 1400] },
      { area: '組織の見直し', values: [0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 900] },
    ]);
    expect(summary.total).toEqual([1, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1200, 2300]);
    const table = (await load(await writeConsolidatedWorkbook({ plan: consolidated, year: 'R5', notes: new Map(), notReturned: [] }))).getWorksheet('実施状況')!;
    const header = (table.getRow(3).values as unknown[]).slice(1);
    // The year's work and its issues are shown for the cycle year only, as the definition says; ratings and figures with last year's.
    expect(header).toEqual(['整理番号', '基本方針', '具体的な取組', '事業概要', 'R5年度の取組内容', '進捗状況（R4年度）', '進捗状況（R5年度）',
      '効果額（R4年度・千円）', '効果額（R5年度・千円）', '課題・今後の方針（R5年度）', '担当課', '備考']);
    expect(table.getCell('I4').value).toBe(1100);
    expect(table.getCell('I4').numFmt).toBe('#,##0');
  });
});

describe('the two-rating form (着手状況・達成度 with a numeric goal)', () => {
  const definition = example('two-rating');
  const plan = planOf(definition, [
    item(1, '行政サービスの向上', { stage: { R4: '取組中' }, achievement: { R4: '一部達成' }, goal: { R4: { target: 100, actual: 80 } }, work: { R4: '電子申請を広げた。' } }),
    item(2, '行政サービスの向上', { stage: { R4: '完了' }, achievement: { R4: '達成' }, goal: { R4: { target: 0, actual: 0 } }, work: { R4: '窓口を一つにした。' } }),
  ]);
  const work = (no: number) => `令和5年度は取組${no}の対象を広げ、利用件数を増やすための周知を続けた。`;

  it('takes target and actual in two cells, refuses a blank one, and holds a rate above 100 %', async () => {
    const bad = await cycle(plan, (no) => (no === 1 ? { values: { stage: '取組中', achievement: '達成', goal: { target: 100, actual: null }, work: work(1) } } : undefined));
    expect(messages(bad.reading.problems).filter(([cell]) => cell === 'J8')).toEqual([['J8', 'セル J8（整理番号1）: 「数値目標（R5） 実績」が入力されていません']]);
    expect(bad.reading.problems.find((p) => p.cell === 'J8')?.code).toBe('missing-figure');

    const { reading, warnings } = await cycle(plan, (no) =>
      ({
        1: { values: { stage: '取組中', achievement: '達成', goal: { target: 120, actual: 131 }, work: work(1) } },
        2: { values: { stage: '取組中', achievement: '達成', goal: { target: 0, actual: 3 }, work: work(2) } },
      })[no],
    );
    expect(reading.ok).toBe(true);
    expect(reading.answers.map((a) => a.values.goal)).toEqual([{ target: 120, actual: 131 }, { target: 0, actual: 3 }]);
    // 131 ÷ 120 × 100 = 109.1666…, truncated to one decimal; a target of 0 has no rate and so no warning.
    expect(messages(warnings)).toEqual([
      ['J8', 'セル J8（整理番号1）: 数値目標の達成率が109.1％で、100％を超えています。目標と実績を確かめ、説明してください'],
      ['F9', 'セル F9（整理番号2）: 着手状況が前年度の「完了」から「取組中」に下がっています。理由を説明してください'],
    ]);
    expect(warnings.map((w) => w.code)).toEqual(['rate-above', 'mark-backwards']);
    const consolidated = consolidatePlan(plan, 'R5', new Map(reading.answers.map((a) => [a.no, a.values])));
    const table = (await load(await writeConsolidatedWorkbook({ plan: consolidated, year: 'R5', notes: new Map(), notReturned: [] }))).getWorksheet('実施状況')!;
    const rows = [4, 5].map((r) => (table.getRow(r).values as unknown[]).slice(1));
    expect((table.getRow(3).values as unknown[]).slice(1)).toEqual([
      '整理番号', '基本方針', '施策', '具体的な取組', '着手状況（R4）', '着手状況（R5）', '達成度（R4）', '達成度（R5）',
      '数値目標（R5） 目標', '数値目標（R5） 実績', '数値目標（R5） 達成率（％）', 'R5年度の取組実績', '担当課', '備考',
    ]);
    expect(rows.map((cells) => cells.slice(8, 11))).toEqual([
      [120, 131, 109.1],
      [0, 3, '-'],
    ]);
    expect(table.getCell('K4').numFmt).toBe('#,##0.0');
    const summary = areaSummary(consolidated, 'R5');
    expect(summary.measures.map((m) => m.label)).toEqual([
      '着手状況 完了', '着手状況 取組中', '着手状況 未着手', '着手状況 空欄・未提出',
      '達成度 達成', '達成度 一部達成', '達成度 未達成', '達成度 空欄・未提出',
      '数値目標 目標（件）', '数値目標 実績（件）',
    ]);
    expect(summary.total).toEqual([1, 0, 1, 2, 0, 0, 0, 0, 1, 2, 1, 0, 0, 0, 0, 0, 100, 120, 80, 134]);
  });
});

describe('a figure with a warning above it', () => {
  const definition = parseCollectionDefinition({
    fields: [{ id: 'visitors', kind: 'number', header: '来庁者数（{year}）', unit: '人', max: 1000000, warnAbove: 50000 }],
    table: { columns: [{ plan: 'no' }, { plan: 'initiative' }, { field: 'visitors' }, { plan: 'divisions' }] },
  });
  const plan = planOf(definition, [item(1, '分野', { visitors: { R4: 40000 } })]);

  it('asks about a figure above its warning but within its range', async () => {
    const { warnings } = await cycle(plan, () => ({ values: { visitors: 60000 } }));
    expect(warnings.map((w) => [w.code, w.cell, w.message])).toEqual([
      ['figure-above', 'D8', 'セル D8（整理番号1）: 来庁者数が60,000人で、50,000人を上回っています。値を確かめ、説明してください'],
    ]);
  });
});

describe('a scale longer than Excel keeps in a list rule', () => {
  const values = Array.from({ length: 30 }, (_, i) => ({ symbol: `第${i + 1}段階に到達`, label: `段階${i + 1}` }));
  const definition = parseCollectionDefinition({
    scales: [{ id: 'level', name: '到達段階', values }],
    fields: [{ id: 'level', kind: 'rating', scale: 'level', header: '到達段階（{year}）' }],
    table: { columns: [{ plan: 'no' }, { plan: 'initiative' }, { field: 'level' }, { plan: 'divisions' }] },
  });
  const plan = planOf(definition, [item(1, '分野', { level: { R4: '第3段階に到達' } })]);

  it('lists the values from a range of a hidden sheet, and reads a value chosen from it', async () => {
    const { sheet, reading } = await cycle(plan, () => ({ values: { level: '第30段階に到達' } }));
    const workbook = await load(sheet);
    const lists = workbook.getWorksheet('選択肢')!;
    expect(lists.state).toBe('hidden');
    expect(Array.from({ length: 30 }, (_, i) => lists.getCell(i + 1, 1).value)).toEqual(values.map((v) => v.symbol));
    expect(workbook.getWorksheet('回答')!.getCell('D8').dataValidation).toMatchObject({ type: 'list', formulae: ["'選択肢'!$A$1:$A$30"] });
    expect(reading.answers).toEqual([{ no: 1, values: { level: '第30段階に到達' } }]);
  });
});

describe('a sheet mailed before there was a definition', () => {
  it("reads as Arao's: its metadata's pastMarkYears are the past years it shows", async () => {
    const old = await edited(await filledSomuSheet(), (workbook) => {
      const meta = workbook.getWorksheet('様式情報')!;
      meta.eachRow((row) => {
        if (row.getCell(1).value === 'pastYears') row.getCell(1).value = 'pastMarkYears';
      });
    });
    const reading = await readReturnSheet(old, somuExpected());
    expect(reading.problems).toEqual([]);
    expect(reading.answers.map((a) => a.no)).toEqual([3, 10, 13, 14, 16, 17, 18, 19, 20, 21, 22]);
  });
});
