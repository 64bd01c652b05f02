import type ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../domain/plan';
import { writePlanWorkbook } from '../../master/plan-workbook';
import { readReturnSheet, type ReturnReading } from '../../sheets/read-return-sheet';
import { writeReturnSheet } from '../../sheets/write-return-sheet';
import { edited, expectedReturn, seedPlan, sheetInput, somuSheet, withoutYear } from './fixtures';

// Answer rows of the 総務課 sheet (see write-return-sheet.test.ts); K is the status text, O the mark.
const ANSWER_ROW_OF: Record<number, number> = { 3: 8, 10: 10, 13: 11, 14: 12, 16: 14, 17: 15, 18: 16, 19: 17, 20: 18, 21: 19, 22: 20 };

const seed = seedPlan();
const before = withoutYear(seed, 'R4');
const seedAnswer = (no: number) => {
  const item = seed.items.find((i) => i.no === no)!;
  return { no, mark: item.marks.R4!, statusText: item.statusText.R4! };
};

/** The sheet as 総務課 would return it: every answer row filled with the seed's R4 values, then `change`. */
async function returned(change: (sheet: ExcelJS.Worksheet) => void = () => {}, data?: Buffer): Promise<Buffer> {
  return edited(data ?? (await somuSheet()), (workbook) => {
    const sheet = workbook.getWorksheet('回答')!;
    for (const [no, row] of Object.entries(ANSWER_ROW_OF)) {
      const { mark, statusText } = seedAnswer(Number(no));
      sheet.getCell(`K${row}`).value = statusText;
      sheet.getCell(`O${row}`).value = mark;
    }
    change(sheet);
  });
}

const read = async (data: Buffer, plan: Plan = before, changes = {}): Promise<ReturnReading> => readReturnSheet(data, expectedReturn(plan, changes));

async function refused(data: Buffer, changes = {}): Promise<ReturnReading['problems']> {
  const reading = await read(data, before, changes);
  expect(reading.ok).toBe(false);
  expect(reading.answers).toEqual([]);
  return reading.problems;
}

describe('readReturnSheet', () => {
  it('reads back every answer row of a filled sheet, the 607-character text too', async () => {
    const reading = await read(await returned());
    expect(reading).toEqual({ ok: true, problems: [], answers: Object.keys(ANSWER_ROW_OF).map((no) => seedAnswer(Number(no))) });
    expect(reading.answers.find((a) => a.no === 14)!.statusText).toHaveLength(607);
  });

  it('reads what the sheet was prefilled with when the division leaves it', async () => {
    const reading = await read(await writeReturnSheet(sheetInput(seed)), seed);
    expect(reading.ok).toBe(true);
    expect(reading.answers).toEqual(Object.keys(ANSWER_ROW_OF).map((no) => seedAnswer(Number(no))));
  });

  it('accepts look-alike marks and gives them as the marks they stand for', async () => {
    const reading = await read(await returned((sheet) => {
      sheet.getCell('O8').value = '〇';
      sheet.getCell('O10').value = '―';
      sheet.getCell('O11').value = ' ✕\u3000';
    }));
    expect(reading.ok).toBe(true);
    expect(reading.answers.slice(0, 3).map((a) => a.mark)).toEqual(['○', '-', '×']);
  });

  it('reads rich text as its plain text and trims the ends', async () => {
    const reading = await read(await returned((sheet) => {
      sheet.getCell('K8').value = { richText: [{ text: '前半、' }, { text: '太字の後半', font: { bold: true } }] };
      sheet.getCell('K10').value = '  一行目\n二行目  ';
    }));
    expect(reading.answers.find((a) => a.no === 3)!.statusText).toBe('前半、太字の後半');
    expect(reading.answers.find((a) => a.no === 10)!.statusText).toBe('一行目\n二行目');
  });

  it('ignores read-only rows, whatever they hold', async () => {
    const reading = await read(await returned((sheet) => {
      sheet.getCell('O9').value = '◎';
      sheet.getCell('K13').value = null;
    }));
    expect(reading.ok).toBe(true);
    expect(reading.answers.map((a) => a.no)).not.toContain(4);
    expect(reading.answers.map((a) => a.no)).not.toContain(15);
  });

  it('does not depend on cell styles', async () => {
    const reading = await read(await returned((sheet) => {
      sheet.eachRow((row) => row.eachCell((cell) => (cell.style = {})));
    }));
    expect(reading.ok).toBe(true);
    expect(reading.answers).toHaveLength(11);
  });

  it('names the cell and item of a missing mark', async () => {
    expect(await refused(await returned((sheet) => (sheet.getCell('O12').value = null)))).toEqual([
      { code: 'missing-mark', cell: 'O12', no: 14, message: 'セル O12（整理番号14）: 取組状況の記号が入力されていません' },
    ]);
  });

  it('names an unknown mark and shows it', async () => {
    expect(await refused(await returned((sheet) => (sheet.getCell('O17').value = '◎')))).toEqual([
      { code: 'unknown-mark', cell: 'O17', no: 19, message: 'セル O17（整理番号19）: 取組状況の記号「◎」は使えません（○ △ × - のいずれかを選んでください）' },
    ]);
  });

  it('names a missing status text', async () => {
    expect(await refused(await returned((sheet) => (sheet.getCell('K8').value = '  ')))).toEqual([
      { code: 'missing-status-text', cell: 'K8', no: 3, message: 'セル K8（整理番号3）: 「取組状況（R4年度末見込み）」が入力されていません' },
    ]);
  });

  it('asks for the value instead of a formula, in either answer cell', async () => {
    const problems = await refused(await returned((sheet) => {
      sheet.getCell('K14').value = { formula: 'A1&"実施"', result: '3実施' };
      sheet.getCell('O14').value = { formula: 'N14', result: '○' };
    }));
    expect(problems.map(({ code, cell, no }) => ({ code, cell, no }))).toEqual([
      { code: 'formula-cell', cell: 'K14', no: 16 },
      { code: 'formula-cell', cell: 'O14', no: 16 },
    ]);
    expect(problems[0]!.message).toBe('セル K14（整理番号16）: 数式ではなく値を入力してください（数式の入ったセルは読めません）');
  });

  it('refuses a date in an answer cell', async () => {
    const problems = await refused(await returned((sheet) => {
      // As Excel stores a typed date: a serial number in a date format.
      sheet.getCell('O20').value = new Date(Date.UTC(2023, 2, 31));
      sheet.getCell('O20').numFmt = 'yyyy/m/d';
    }));
    expect(problems).toMatchObject([{ code: 'unsupported-cell', cell: 'O20', no: 22 }]);
  });

  it('lists every problem of the sheet, row by row', async () => {
    const problems = await refused(await returned((sheet) => {
      sheet.getCell('O20').value = null;
      sheet.getCell('K11').value = null;
      sheet.getCell('O11').value = 'A';
    }));
    expect(problems.map((p) => [p.code, p.cell, p.no])).toEqual([
      ['missing-status-text', 'K11', 13],
      ['unknown-mark', 'O11', 13],
      ['missing-mark', 'O20', 22],
    ]);
  });

  it('refuses a file that is not an xlsx with one problem', async () => {
    expect(await refused(Buffer.from('整理番号,基本方針\r\n'))).toEqual([
      { code: 'not-xlsx', message: 'Excelファイル（.xlsx）として読めません。お送りした回答様式に入力し、そのまま提出してください' },
    ]);
  });

  it('refuses another workbook as another form', async () => {
    const expected = [{ code: 'other-form', message: '他の様式のファイルです。お送りした回答様式に入力して提出してください' }];
    expect(await refused(await writePlanWorkbook(seed))).toEqual(expected);
    const withoutMeta = await returned((sheet) => sheet.workbook.removeWorksheet('様式情報'));
    expect(await refused(withoutMeta)).toEqual(expected);
  });

  it('refuses another division\'s sheet, naming whose it is', async () => {
    const zaisei = await writeReturnSheet(sheetInput(before, { divisionId: 'zaisei', divisionName: '財政課' }));
    expect(await refused(zaisei)).toEqual([
      { code: 'other-division', message: 'このファイルは財政課（zaisei）の回答様式です。総務課（somu）の回答様式に入力してください' },
    ]);
  });

  it('refuses another cycle\'s sheet, naming its year and cycle', async () => {
    expect(await refused(await returned(), { cycleId: 'cycle-arao-R5', year: 'R5' })).toEqual([
      {
        code: 'other-cycle',
        message: 'このファイルは別の調査（令和4年度、調査ID cycle-arao-R4）の回答様式です。令和5年度の調査（調査ID cycle-arao-R5）の回答様式に入力してください',
      },
    ]);
  });

  it('refuses an outdated version of the sheet', async () => {
    expect(await refused(await returned(), { sheetVersion: 2 })).toEqual([
      { code: 'outdated-sheet', message: 'このファイルは古い回答様式（第1版）です。最新の回答様式（第2版）に入力し直してください' },
    ]);
  });

  it('names both when the sheet is another division\'s in another cycle, and leaves the version out', async () => {
    const zaisei = await writeReturnSheet(sheetInput(before, { divisionId: 'zaisei', divisionName: '財政課' }));
    const problems = await refused(zaisei, { cycleId: 'cycle-arao-R5', year: 'R5', sheetVersion: 3 });
    expect(problems.map((p) => p.code)).toEqual(['other-cycle', 'other-division']);
  });

  it('refuses a sheet of a version other than the current one', async () => {
    const newer = await writeReturnSheet(sheetInput(before, undefined, { meta: { ...sheetInput(before).meta, sheetVersion: 3 } }));
    expect(await refused(newer, { sheetVersion: 2 })).toEqual([
      { code: 'outdated-sheet', message: 'このファイルは別の版の回答様式（第3版）です。最新の回答様式（第2版）に入力し直してください' },
    ]);
  });

  it('refuses a sheet whose answer sheet was renamed', async () => {
    const problems = await refused(await returned((sheet) => (sheet.name = '回答（総務課）')));
    expect(problems).toMatchObject([{ code: 'missing-sheet' }]);
    expect(problems[0]!.message).toContain('シート「回答」がありません');
  });

  it('refuses a sheet that lacks a row for an item the division now answers', async () => {
    const item = before.items.find((i) => i.no === 5)!;
    const expected = expectedReturn(before);
    const reading = await readReturnSheet(await returned(), { ...expected, items: [...expected.items, { item, role: 'answer' }] });
    expect(reading.ok).toBe(false);
    expect(reading.problems).toMatchObject([{ code: 'missing-item-row', no: 5 }]);
  });
});
