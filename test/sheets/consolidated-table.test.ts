import type ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { type Plan, serializePlan } from '../../domain/plan';
import type { StatusMark } from '../../domain/status-mark';
import { writePlanCsv } from '../../master/plan-csv';
import { readXlsxCell } from '../../master/xlsx-cell';
import { consolidatePlan, writeConsolidatedCsv, writeConsolidatedWorkbook } from '../../sheets/consolidated-table';
import { SMALL_PLAN_HEADER, smallPlan } from '../fixtures/small-plan';
import { load, seedPlan, withoutYear } from './fixtures';

type Answers = Map<number, { marks: StatusMark; statusText: string }>;

/** The plan's own values for `year`, as if every division had returned them. */
const answersOf = (plan: Plan, year: string, nos = plan.items.map((item) => item.no)): Answers =>
  new Map(plan.items.filter((item) => nos.includes(item.no)).map((item) => [item.no, { marks: item.values.marks![year] as StatusMark, statusText: item.values.statusText![year] as string }]));

const seed = seedPlan();
const before = withoutYear(seed, 'R4');

describe('consolidatePlan', () => {
  it('turns the plan from before the cycle and every answer back into the seed plan', () => {
    expect(serializePlan(consolidatePlan(before, 'R4', answersOf(seed, 'R4')))).toBe(serializePlan(seed));
  });

  it('leaves unanswered items blank for the year and everything else as it was', () => {
    const answers = answersOf(seed, 'R4');
    answers.delete(14);
    answers.delete(27);
    const plan = consolidatePlan(before, 'R4', answers);
    expect(plan.version).toBe(before.version);
    expect(plan.fieldYears.statusText).toEqual(['R4']);
    expect(plan.fieldYears.marks).toEqual(['R1', 'R2', 'R3', 'R4']);
    for (const item of plan.items) {
      const original = seed.items.find((i) => i.no === item.no)!;
      if (item.no === 14 || item.no === 27) {
        expect(item).toEqual({ ...original, values: { statusText: { R4: '' }, marks: { ...original.values.marks, R4: '' } } });
      } else {
        expect(item).toEqual(original);
      }
    }
  });

  it('adds the year among the others in order, and only once', () => {
    const small = smallPlan();
    const answers: Answers = new Map(small.items.map((item) => [item.no, { marks: item.values.marks!.R3 as StatusMark, statusText: `R3の${item.no}` }]));
    const plan = consolidatePlan(withoutYear(small, 'R3'), 'R3', answers);
    expect(plan.fieldYears.marks).toEqual(['R1', 'R2', 'R3', 'R4']);
    expect(plan.fieldYears.statusText).toEqual(['R3', 'R4']);
    expect(plan.items.map((item) => item.values.marks!.R3)).toEqual(small.items.map((item) => item.values.marks!.R3));
    expect(plan.items.map((item) => item.values.statusText!.R3)).toEqual(['R3の1', 'R3の2', 'R3の3', 'R3の12']);
    expect(plan.items.map((item) => item.values.statusText!.R4)).toEqual(small.items.map((item) => item.values.statusText!.R4));
    const again = consolidatePlan(plan, 'R3', new Map());
    expect(again.fieldYears.marks).toEqual(['R1', 'R2', 'R3', 'R4']);
    expect(again.items.map((item) => item.values.marks!.R3)).toEqual(['', '', '', '']);
    expect(consolidatePlan(small, 'R5', new Map()).fieldYears.statusText).toEqual(['R4', 'R5']);
  });

  it('leaves out answers for items the plan no longer has', () => {
    const plan = consolidatePlan(before, 'R4', new Map([[99, { marks: '○', statusText: '廃止された取組' }]]));
    expect(plan.items.map((item) => item.no)).toEqual(before.items.map((item) => item.no));
    expect(plan.items.every((item) => item.values.marks!.R4 === '' && item.values.statusText!.R4 === '')).toBe(true);
  });
});

describe('writeConsolidatedCsv', () => {
  it('is the plan export CSV of the consolidated plan with 備考 as the last column', () => {
    const notes = new Map([[14, '未提出'], [27, '確認事項：説明あり']]);
    const csv = writeConsolidatedCsv(consolidatePlan(before, 'R4', answersOf(seed, 'R4')), 'R4', notes);
    // The seed holds no line break in a cell, so each CRLF ends a record.
    const records = writePlanCsv(seed).split('\r\n');
    const expected = records.map((record, i) => {
      if (i === 0) return `${record},備考`;
      if (record === '') return record;
      return `${record},${notes.get(Number(record.split(',')[0])) ?? ''}`;
    });
    expect(csv).toBe(expected.join('\r\n'));
    expect(csv.split('\r\n')[14]).toMatch(/^14,.*,総務課,未提出$/);
  });

  it('guards and quotes the notes as the plan CSV does its cells', () => {
    const csv = writeConsolidatedCsv(smallPlan(), 'R4', new Map([[1, '=HYPERLINK("x")'], [2, '差戻し中, 再提出待ち'], [3, '-']]));
    const [, first, second, third] = csv.split('\r\n');
    expect(first!.endsWith(`,"'=HYPERLINK(""x"")"`)).toBe(true);
    expect(second!.endsWith(',"差戻し中, 再提出待ち"')).toBe(true);
    expect(third!.endsWith(',-')).toBe(true);
  });
});

describe('writeConsolidatedWorkbook', () => {
  // Items 1, 2 and 12 returned; item 3 (総合政策課) did not.
  const small = smallPlan();
  const consolidated = consolidatePlan(withoutYear(small, 'R4'), 'R4', answersOf(small, 'R4', [1, 2, 12]));
  const input = {
    plan: consolidated,
    year: 'R4',
    notes: new Map([[3, '未提出']]),
    notReturned: [{ divisionId: 'sogo-seisaku', divisionName: '総合政策課' }],
  };
  const texts = (sheet: ExcelJS.Worksheet, row: number, columns: number) =>
    Array.from({ length: columns }, (_, i) => readXlsxCell(sheet.getCell(row, i + 1).value));
  const sheetRows = (sheet: ExcelJS.Worksheet) => {
    const rows: unknown[][] = [];
    sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    return rows;
  };

  it('holds the table, its counts and the divisions that did not return', async () => {
    const workbook = await load(await writeConsolidatedWorkbook(input));
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['実施状況', '集計', '未提出']);
  });

  it('puts the title, the legend and the CSV table with 備考 on 実施状況', async () => {
    const sheet = (await load(await writeConsolidatedWorkbook(input))).getWorksheet('実施状況')!;
    const width = SMALL_PLAN_HEADER.length + 1;
    expect(readXlsxCell(sheet.getCell('A1').value)).toBe('荒尾市 荒尾市行財政改革実施計画の実施状況（令和4年度末見込み）');
    expect(readXlsxCell(sheet.getCell('A2').value)).toBe('取組状況：「○」実施済み 「△」一部実施 「×」未実施または検討中 「-」令和5年度以降実施');
    const csv = writeConsolidatedCsv(consolidated, 'R4', input.notes).slice(1).split('\r\n');
    expect(texts(sheet, 3, width)).toEqual([...SMALL_PLAN_HEADER, '備考']);
    expect(texts(sheet, 3, width).join(',')).toBe(csv[0]);
    expect(texts(sheet, 4, width)).toEqual(['1', '地域マネジメント', '協働の推進', '職員研修の充実', '協働について研修を行う。', '実施', '→', '→', '→', '→', '=SUM(A1)で集計した', '○', '○', '○', '○', 'くらしいきいき課', '']);
    expect(texts(sheet, 6, width)).toEqual(['3', '地域マネジメント', '', '広報手段の検討', '', '', '', '検討', '実施', '→', '', '', '', '-', '', '総合政策課、総務課、教育振興課', '未提出']);
    expect(texts(sheet, 7, width)[0]).toBe('12');
    expect(sheet.getCell('A4').value).toBe(1);
    expect(sheet.rowCount).toBe(7);
  });

  it('merges the area label over its items, and the policy label within it', async () => {
    const sheet = (await load(await writeConsolidatedWorkbook(input))).getWorksheet('実施状況')!;
    const master = (address: string) => (sheet.getCell(address).isMerged ? sheet.getCell(address).master.address : address);
    expect(['B4', 'B5', 'B6', 'B7'].map(master)).toEqual(['B4', 'B4', 'B4', 'B7']);
    expect(['C4', 'C5', 'C6', 'C7'].map(master)).toEqual(['C4', 'C4', 'C6', 'C7']);
    expect(sheet.getCell('B4').font?.bold).toBe(true);
  });

  it('prints 実施状況 on A3 landscape with the header repeated, under a title of the caller\'s choice', async () => {
    const sheet = (await load(await writeConsolidatedWorkbook({ ...input, title: '3.実施計画の実施状況（令和4年度末見込み）' }))).getWorksheet('実施状況')!;
    expect(sheet.pageSetup).toMatchObject({ paperSize: 8, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: '3:3' });
    expect(sheet.getCell('A1').value).toBe('3.実施計画の実施状況（令和4年度末見込み）');
  });

  it('counts each mark by area on 集計, this year against the year before', async () => {
    const sheet = (await load(await writeConsolidatedWorkbook(input))).getWorksheet('集計')!;
    // Counted by hand from the fixture: R3 marks ○ △ - | ○, R4 marks ○ × (none) | ○.
    expect(sheetRows(sheet)).toEqual([
      ['基本方針', '○ R3', '○ R4', '△ R3', '△ R4', '× R3', '× R4', '- R3', '- R4', '空欄・未提出 R3', '空欄・未提出 R4'],
      ['地域マネジメント', 1, 1, 1, 0, 0, 1, 1, 0, 0, 1],
      ['組織力の強化', 1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
      ['合計', 2, 2, 1, 0, 0, 1, 1, 0, 0, 1],
    ]);
  });

  it('counts the year alone where the plan has no marks for the year before', async () => {
    const plan = consolidatePlan(withoutYear(small, 'R3'), 'R4', answersOf(small, 'R4'));
    const sheet = (await load(await writeConsolidatedWorkbook({ ...input, plan }))).getWorksheet('集計')!;
    expect(sheetRows(sheet)[0]).toEqual(['基本方針', '○ R4', '△ R4', '× R4', '- R4', '空欄・未提出 R4']);
    expect(sheetRows(sheet)[3]).toEqual(['合計', 2, 1, 1, 0, 0]);
  });

  it('lists the divisions that did not return on 未提出, or says there are none', async () => {
    const listed = (await load(await writeConsolidatedWorkbook(input))).getWorksheet('未提出')!;
    expect(sheetRows(listed)).toEqual([
      ['担当課', '課ID'],
      ['総合政策課', 'sogo-seisaku'],
    ]);
    const none = (await load(await writeConsolidatedWorkbook({ ...input, notReturned: [] }))).getWorksheet('未提出')!;
    expect(sheetRows(none)).toEqual([['担当課', '課ID'], ['未提出の課はありません']]);
  });
});
