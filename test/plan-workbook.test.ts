import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { ARAO_COLLECTION } from '../domain/arao-collection';
import { Plan, serializePlan } from '../domain/plan';
import { unknownStatusMarkMessage } from '../domain/status-mark';
import type { Finding } from '../master/findings';
import { readPlanWorkbook, writePlanWorkbook } from '../master/plan-workbook';
import { laterPlan, SMALL_PLAN_HEADER, smallPlan } from './fixtures/small-plan';

type LoadInput = Parameters<ExcelJS.Xlsx['load']>[0];

async function load(data: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(data as unknown as LoadInput);
  return workbook;
}

/** The fixture's workbook after someone changed it in Excel. */
async function edited(change: (workbook: ExcelJS.Workbook) => void, plan = smallPlan()): Promise<Buffer> {
  const workbook = await load(await writePlanWorkbook(plan));
  change(workbook);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const table = (workbook: ExcelJS.Workbook) => workbook.getWorksheet('実施計画')!;
const info = (workbook: ExcelJS.Workbook) => workbook.getWorksheet('計画情報')!;

// Sheet rows of the fixture's items: a row per item in number order under the header.
const ROW_OF = { 1: 2, 2: 3, 3: 4, 12: 5 } as const;

/** The cell of item `no` under the header `header`. */
function cell(workbook: ExcelJS.Workbook, header: string, no: keyof typeof ROW_OF): ExcelJS.Cell {
  const sheet = table(workbook);
  const headers = sheet.getRow(1).values as unknown[];
  const column = headers.indexOf(header);
  if (column < 1) throw new Error(`no column ${header}`);
  return sheet.getCell(ROW_OF[no], column);
}

/** Reads a workbook as the import does with no definition given and no plan in use: Arao's, unless the workbook carries one. */
const readArao = (data: Buffer) => readPlanWorkbook(data, undefined, ARAO_COLLECTION);

async function roundTrip(plan: Plan): Promise<{ plan?: Plan; findings: Finding[] }> {
  return readArao(await writePlanWorkbook(plan));
}

/** Reads an edited workbook that must be refused, and gives its errors. */
async function refused(change: (workbook: ExcelJS.Workbook) => void): Promise<Finding[]> {
  const result = await readArao(await edited(change));
  expect(result.plan).toBeUndefined();
  return result.findings.filter((f) => f.severity === 'error');
}

/** Reads an edited workbook that must be accepted. */
async function accepted(change: (workbook: ExcelJS.Workbook) => void): Promise<{ plan: Plan; findings: Finding[] }> {
  const { plan, findings } = await readArao(await edited(change));
  expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
  expect(plan).toBeDefined();
  return { plan: plan!, findings };
}

function withTexts(texts: string[]): Plan {
  const plan = smallPlan();
  const [first] = plan.items;
  return Plan.parse({
    ...plan,
    items: texts.map((text, i) => ({ ...first!, no: i + 1, overview: text, values: { ...first!.values, statusText: { R4: text } } })),
  });
}

describe('writePlanWorkbook', () => {
  it('puts the table on 実施計画 with a bold, frozen header', async () => {
    const workbook = await load(await writePlanWorkbook(smallPlan()));
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['実施計画', '計画情報']);
    const sheet = table(workbook);
    expect(sheet.getRow(1).values).toEqual([undefined, ...SMALL_PLAN_HEADER]);
    expect(sheet.getCell('A1').font?.bold).toBe(true);
    expect(sheet.getCell('A2').font?.bold).not.toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.getColumn(5).width).toBeGreaterThan(sheet.getColumn(1).width!);
    expect(sheet.getCell('E2').alignment?.wrapText).toBe(true);
    expect(sheet.rowCount).toBe(5);
  });

  it('writes 整理番号 as a number and everything else as text', async () => {
    const workbook = await load(await writePlanWorkbook(smallPlan()));
    expect(cell(workbook, '整理番号', 12).value).toBe(12);
    expect(cell(workbook, '取組状況（R4年度末見込み）', 1).value).toBe('=SUM(A1)で集計した');
    expect(cell(workbook, '取組状況（R4年度末見込み）', 2).value).toBe('-5%の減少');
    expect(cell(workbook, '取組状況（R1年度末時点）', 2).value).toBe('-');
    expect(cell(workbook, '担当課', 3).value).toBe('総合政策課、総務課、教育振興課');
    expect(cell(workbook, '施策', 3).value).toBeNull();
  });

  it('puts what the table cannot carry on 計画情報', async () => {
    const workbook = await load(await writePlanWorkbook(smallPlan()));
    const rows = info(workbook).getSheetValues().slice(1).map((row) => (row as unknown[]).slice(1));
    expect(rows).toEqual([
      ['自治体ID', 'arao'],
      ['自治体名', '荒尾市'],
      ['計画名', '荒尾市行財政改革実施計画'],
      ['版', 3],
      ['計画期間', 'R1〜R5'],
    ]);
  });

  it('stamps the workbook with a fixed date, not the time of export', async () => {
    const workbook = await load(await writePlanWorkbook(smallPlan()));
    expect(workbook.created.toISOString()).toBe('2000-01-01T00:00:00.000Z');
    expect(workbook.modified.toISOString()).toBe('2000-01-01T00:00:00.000Z');
  });
});

describe('readPlanWorkbook round trip', () => {
  it.each([
    ['the fixture', smallPlan()],
    ['a plan over R3–R7', laterPlan()],
    ['a plan across eras with no items', Plan.parse({ ...smallPlan(), period: { from: 'H30', to: 'R2' }, fieldYears: { statusText: [], marks: ['H30'] }, items: [] })],
    [
      'text that XML, Excel or number parsing would change',
      withTexts(['a\r\nb', 'a\rb', 'ctl\u0001\u001F', '_x000D_ literal', '__x0041__', '😀 \uD800 lone', '\uFFFE', '001', '1e3', 'TRUE', '2024-04-01', '#N/A', "'quoted"]),
    ],
  ])('gives back %s byte for byte', async (_, plan) => {
    const result = await roundTrip(plan);
    expect(result.findings).toEqual([]);
    expect(serializePlan(result.plan!)).toBe(serializePlan(plan));
  });

  it('gives back the plan in canonical order', async () => {
    const plan = smallPlan();
    const shuffled = { ...plan, fieldYears: { ...plan.fieldYears, marks: ['R4', 'R1', 'R3', 'R2'] }, items: [...plan.items].reverse() };
    const { plan: read } = await roundTrip(shuffled);
    // The plan file leaves Arao's definition out; the plan read holds it, after the period.
    expect(Object.keys(read!)).toEqual(['municipality', 'title', 'version', 'period', 'definition', 'fieldYears', 'items']);
    const { definition, ...rest } = read!;
    expect(definition).toEqual(ARAO_COLLECTION);
    expect(JSON.stringify(rest)).toBe(JSON.stringify(JSON.parse(serializePlan(plan))));
  });
});

describe('readPlanWorkbook refuses', () => {
  it('a file that is not an xlsx', async () => {
    expect(await readArao(Buffer.from('整理番号,基本方針\r\n1,a\r\n'))).toEqual({
      findings: [{ severity: 'error', code: 'not-xlsx', message: 'Excelファイル（.xlsx）として読めません' }],
    });
  });

  it('a workbook without its sheets', async () => {
    const findings = await refused((workbook) => workbook.removeWorksheet(info(workbook).id));
    expect(findings).toEqual([{ severity: 'error', code: 'missing-sheet', message: 'シート「計画情報」がありません' }]);
  });

  it.each([
    ['B1', 'Arao', 1, '自治体ID「Arao」'],
    ['B2', null, 2, '自治体名が空です'],
    ['B4', '第3版', 4, '版「第3版」は正の整数ではありません'],
    ['B4', 2.5, 4, '版「2.5」は正の整数ではありません'],
    ['B5', 'R5〜R1', 5, '計画期間「R5〜R1」が読めません'],
    ['A3', '名称', 3, '項目「名称」は使えません'],
  ])('計画情報 with %s set to %j', async (address, value, line, message) => {
    const findings = await refused((workbook) => {
      info(workbook).getCell(address).value = value;
    });
    expect(findings[0]).toMatchObject({ severity: 'error', code: 'bad-plan-info', line });
    expect(findings[0]!.message).toContain(message);
  });

  it('計画情報 that lacks a key', async () => {
    const findings = await refused((workbook) => info(workbook).spliceRows(3, 1));
    expect(findings).toEqual([
      { severity: 'error', code: 'bad-plan-info', message: 'シート「計画情報」: 項目「計画名」がありません' },
    ]);
  });

  it('an unknown header, naming the column that is then missing', async () => {
    const findings = await refused((workbook) => {
      table(workbook).getCell('E1').value = '事業の概要';
    });
    expect(findings).toEqual([
      { severity: 'error', code: 'unknown-column', line: 1, message: '列「事業の概要」は実施計画の列ではありません' },
      { severity: 'error', code: 'missing-column', line: 1, message: '列「事業概要」がありません' },
    ]);
  });

  it('a missing schedule year', async () => {
    const findings = await refused((workbook) => table(workbook).spliceColumns(8, 1));
    expect(findings).toEqual([{ severity: 'error', code: 'missing-column', line: 1, message: '列「スケジュール（R3）」がありません' }]);
  });

  it('a column named twice, even in another era', async () => {
    const findings = await refused((workbook) => {
      table(workbook).getCell('Q1').value = 'スケジュール（H31）';
    });
    expect(findings).toEqual([{ severity: 'error', code: 'duplicate-column', line: 1, message: '列「スケジュール（H31）」が重複しています' }]);
  });

  it('a year column outside the plan period', async () => {
    const findings = await refused((workbook) => {
      table(workbook).getCell('O1').value = '取組状況（R7年度末時点）';
    });
    expect(findings).toEqual([
      {
        severity: 'error',
        code: 'column-outside-period',
        line: 1,
        message: '列「取組状況（R7年度末時点）」の R7 は計画期間（R1〜R5）の外です',
      },
    ]);
  });

  it('a year column whose year cannot be read', async () => {
    const findings = await refused((workbook) => {
      table(workbook).getCell('K1').value = '取組状況（来年度末見込み）';
    });
    expect(findings).toMatchObject([{ code: 'bad-column-year', line: 1 }]);
  });

  it('values in a column without a header', async () => {
    const findings = await refused((workbook) => {
      table(workbook).getCell('Q3').value = 'メモ';
    });
    expect(findings).toEqual([{ severity: 'error', code: 'blank-header', line: 1, message: '17列目に見出しがありません' }]);
  });

  it('an empty 具体的な取組', async () => {
    const findings = await refused((workbook) => {
      cell(workbook, '具体的な取組', 2).value = '　 ';
    });
    expect(findings).toEqual([{ severity: 'error', code: 'empty-initiative', no: 2, line: 3, message: '具体的な取組が空です' }]);
  });

  it('an empty 担当課', async () => {
    const findings = await refused((workbook) => {
      cell(workbook, '担当課', 3).value = null;
    });
    expect(findings).toEqual([{ severity: 'error', code: 'empty-division', no: 3, line: 4, message: '担当課が空です' }]);
  });

  it.each([['1.5'], [2.5], ['一'], [0], [null]])('整理番号 %j', async (value) => {
    const findings = await refused((workbook) => {
      cell(workbook, '整理番号', 2).value = value;
    });
    expect(findings).toEqual([expect.objectContaining({ severity: 'error', code: 'bad-item-no', line: 3 })]);
    expect(findings[0]).not.toHaveProperty('no');
  });

  it('a duplicate 整理番号, on the later row', async () => {
    const findings = await refused((workbook) => {
      cell(workbook, '整理番号', 12).value = 3;
    });
    expect(findings).toEqual([{ severity: 'error', code: 'duplicate-item-no', no: 3, line: 5, message: '整理番号 3 は行4と重複しています' }]);
  });

  it('an unknown status mark, quoting it', async () => {
    const findings = await refused((workbook) => {
      cell(workbook, '取組状況（R2年度末時点）', 1).value = '◎';
    });
    expect(findings).toEqual([
      { severity: 'error', code: 'unknown-mark', no: 1, line: 2, message: `列「取組状況（R2年度末時点）」: ${unknownStatusMarkMessage('◎')}` },
    ]);
  });

  it('an unknown schedule entry, quoting it', async () => {
    const findings = await refused((workbook) => {
      cell(workbook, 'スケジュール（R4）', 12).value = '予定';
    });
    expect(findings).toEqual([expect.objectContaining({ severity: 'error', code: 'unknown-schedule', no: 12, line: 5 })]);
    expect(findings[0]!.message).toContain('「予定」');
  });

  it('a formula, asking for the value', async () => {
    const findings = await refused((workbook) => {
      cell(workbook, '事業概要', 1).value = { formula: 'B2&C2', result: '地域マネジメント協働の推進' };
    });
    expect(findings).toEqual([
      { severity: 'error', code: 'formula-cell', no: 1, line: 2, message: expect.stringContaining('数式ではなく値を入力してください') },
    ]);
  });

  it('a formula in 整理番号, on its row', async () => {
    const findings = await refused((workbook) => {
      cell(workbook, '整理番号', 12).value = { formula: 'A4+9', result: 12 };
    });
    expect(findings).toEqual([expect.objectContaining({ code: 'formula-cell', line: 5 })]);
    expect(findings[0]).not.toHaveProperty('no');
  });

  it('a date', async () => {
    const findings = await refused((workbook) => {
      const date = cell(workbook, '事業概要', 3);
      date.value = new Date(Date.UTC(2022, 3, 1));
      date.numFmt = 'yyyy/m/d';
    });
    expect(findings).toEqual([expect.objectContaining({ code: 'unsupported-cell', no: 3, line: 4 })]);
  });

  it('every bad row, not just the first', async () => {
    const findings = await refused((workbook) => {
      cell(workbook, '取組状況（R1年度末時点）', 1).value = '?';
      cell(workbook, '具体的な取組', 12).value = '';
    });
    expect(findings.map((f) => [f.code, f.line])).toEqual([
      ['unknown-mark', 2],
      ['empty-initiative', 5],
    ]);
  });
});

describe('readPlanWorkbook accepts what people do in Excel', () => {
  const original = serializePlan(smallPlan());

  it('blank rows at the end, even formatted ones', async () => {
    const { plan } = await accepted((workbook) => {
      const sheet = table(workbook);
      sheet.getRow(6).values = ['', ' ', null];
      sheet.getCell('A9').font = { bold: true };
      sheet.getCell('C12').value = '　';
    });
    expect(serializePlan(plan)).toBe(original);
  });

  it('blank rows between items and in 計画情報', async () => {
    const { plan } = await accepted((workbook) => {
      table(workbook).insertRow(3, ['', '　']);
      info(workbook).insertRow(3, [' ', null]);
    });
    expect(serializePlan(plan)).toBe(original);
  });

  it('rich text, links, numbers and surrounding spaces', async () => {
    const { plan } = await accepted((workbook) => {
      cell(workbook, '事業概要', 1).value = { richText: [{ text: ' 協働について', font: { bold: true } }, { text: '研修を行う。\n' }] };
      cell(workbook, '具体的な取組', 2).value = { text: '自治会への加入促進', hyperlink: 'https://example.jp/' };
      cell(workbook, '整理番号', 12).value = ' １２ ';
      cell(workbook, '担当課', 2).value = '総務課 、 くらしいきいき課、';
      cell(workbook, '施策', 12).value = 42;
    });
    expect(plan.items[0]!.overview).toBe('協働について研修を行う。');
    expect(plan.items[1]!.initiative).toBe('自治会への加入促進');
    expect(plan.items[1]!.coDivisions).toEqual(['くらしいきいき課']);
    expect(plan.items[3]).toMatchObject({ no: 12, policy: '42' });
  });

  it('headers broken over lines or with half-width parentheses', async () => {
    const { plan } = await accepted((workbook) => {
      table(workbook).getCell('F1').value = 'スケジュール\n(令和元年度)';
      table(workbook).getCell('K1').value = '取組状況\r\n（R4年度末見込み）';
    });
    expect(serializePlan(plan)).toBe(original);
  });

  it('look-alike marks, saying so', async () => {
    const { plan, findings } = await accepted((workbook) => {
      cell(workbook, '取組状況（R1年度末時点）', 1).value = '〇';
    });
    expect(plan.items[0]!.values.marks!.R1).toBe('○');
    expect(findings).toEqual([
      { severity: 'info', code: 'mark-variant', no: 1, line: 2, message: '列「取組状況（R1年度末時点）」の「〇」を「○」として読みました' },
    ]);
  });

  it('text that Excel itself escaped', async () => {
    const { plan } = await accepted((workbook) => {
      cell(workbook, '事業概要', 1).value = '一行目_x000D_\n二行目';
    });
    expect(plan.items[0]!.overview).toBe('一行目\r\n二行目');
  });
});
