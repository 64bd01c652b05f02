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
  return { no, values: { marks: item.values.marks!.R4!, statusText: item.values.statusText!.R4! } };
};

/** The sheet as 総務課 would return it: every answer row filled with the seed's R4 values, then `change`. */
async function returned(change: (sheet: ExcelJS.Worksheet) => void = () => {}, data?: Buffer): Promise<Buffer> {
  return edited(data ?? (await somuSheet()), (workbook) => {
    const sheet = workbook.getWorksheet('回答')!;
    for (const [no, row] of Object.entries(ANSWER_ROW_OF)) {
      const { marks, statusText } = seedAnswer(Number(no)).values;
      sheet.getCell(`K${row}`).value = statusText as string;
      sheet.getCell(`O${row}`).value = marks as string;
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
    expect(reading.answers.find((a) => a.no === 14)!.values.statusText).toHaveLength(607);
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
    expect(reading.answers.slice(0, 3).map((a) => a.values.marks)).toEqual(['○', '-', '×']);
  });

  it('reads rich text as its plain text and trims the ends', async () => {
    const reading = await read(await returned((sheet) => {
      sheet.getCell('K8').value = { richText: [{ text: '前半、' }, { text: '太字の後半', font: { bold: true } }] };
      sheet.getCell('K10').value = '  一行目\n二行目  ';
    }));
    expect(reading.answers.find((a) => a.no === 3)!.values.statusText).toBe('前半、太字の後半');
    expect(reading.answers.find((a) => a.no === 10)!.values.statusText).toBe('一行目\n二行目');
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
    expect(await refused(await writePlanWorkbook(seed))).toEqual([{ code: 'other-form', message: '他の様式のファイルです。お送りした回答様式に入力して提出してください' }]);
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


  it('refuses a sheet that lacks a row for an item the division now answers', async () => {
    const item = before.items.find((i) => i.no === 5)!;
    const expected = expectedReturn(before);
    const reading = await readReturnSheet(await returned(), { ...expected, items: [...expected.items, { item, role: 'answer' }] });
    expect(reading.ok).toBe(false);
    expect(reading.problems).toMatchObject([{ code: 'missing-item-row', no: 5 }]);
  });
});

/** The text of an item's prefilled cell, as the plan the sheet was written from holds it. */
const sent = (no: number) => before.items.find((i) => i.no === no)!;

describe('readReturnSheet: 説明', () => {
  it('reads what the division wrote in 説明 with the answer, and leaves it out where empty', async () => {
    const reading = await read(await returned((sheet) => (sheet.getCell('Q14').value = '制度見直しの途中で、評価は来年度から')));
    expect(reading.ok).toBe(true);
    expect(reading.answers.find((a) => a.no === 16)).toEqual({ ...seedAnswer(16), explanation: '制度見直しの途中で、評価は来年度から' });
    expect(reading.answers.find((a) => a.no === 17)).toEqual(seedAnswer(17));
  });
});

describe('readReturnSheet: the structure of the sheet against what was sent', () => {
  it('names a prefilled cell that was changed, with its original and new value', async () => {
    const problems = await refused(await returned((sheet) => (sheet.getCell('D12').value = '職員の働き方改革')));
    expect(problems).toEqual([
      {
        code: 'prefilled-changed',
        cell: 'D12',
        no: 14,
        message: `セル D12（整理番号14）: 「具体的な取組」が変更されています（元の値「${sent(14).initiative}」、提出された値「職員の働き方改革」）。入力できるのは黄色のセルだけです。元に戻して提出してください`,
      },
    ]);
  });

  it('names each changed cell of a row, a past mark, a cleared schedule and a formula among them', async () => {
    const problems = await refused(await returned((sheet) => {
      sheet.getCell('N12').value = '○';
      sheet.getCell('F8').value = null;
      sheet.getCell('D8').value = { formula: 'B8', result: '地域マネジメント' };
    }));
    expect(problems.map(({ code, cell, no }) => [code, cell, no])).toEqual([
      ['prefilled-changed', 'D8', 3],
      ['prefilled-changed', 'F8', 3],
      ['prefilled-changed', 'N12', 14],
    ]);
    expect(problems[0]!.message).toContain('提出された値「（数式）」');
    expect(problems[1]!.message).toBe(`セル F8（整理番号3）: 「スケジュール（R1）」が変更されています（元の値「${sent(3).schedule.R1}」、提出された値（空欄））。入力できるのは黄色のセルだけです。元に戻して提出してください`);
    expect(problems[2]!.message).toContain(`「取組状況（R3年度末時点）」が変更されています（元の値「${sent(14).values.marks!.R3}」、提出された値「○」）`);
  });

  it("checks the read-only rows' prefilled cells too, and cuts a long value short", async () => {
    const problems = await refused(await returned((sheet) => (sheet.getCell('E9').value = '長い説明。'.repeat(30))));
    expect(problems).toMatchObject([{ code: 'prefilled-changed', cell: 'E9', no: 4 }]);
    expect(problems[0]!.message).toContain(`提出された値「${'長い説明。'.repeat(8)}…」`);
  });

  it('names a changed item number as a changed cell, not as a row gone', async () => {
    const problems = await refused(await returned((sheet) => (sheet.getCell('A8').value = 5)));
    expect(problems).toEqual([
      { code: 'prefilled-changed', cell: 'A8', no: 3, message: 'セル A8（整理番号3）: 「整理番号」が変更されています（元の値「3」、提出された値「5」）。入力できるのは黄色のセルだけです。元に戻して提出してください' },
    ]);
  });

  it('names a row inserted into the table, and not the rows it pushed down', async () => {
    expect(await refused(await returned((sheet) => sheet.insertRow(10, [99, '追加の取組'])))).toEqual([
      { code: 'added-row', cell: 'A10', message: 'セル A10: 回答様式にない行があります（10行目）。行を追加・コピーせずに、お送りした回答様式のまま入力してください' },
    ]);
  });

  it('names a blank row inserted into the table', async () => {
    expect(await refused(await returned((sheet) => sheet.insertRow(10, [])))).toMatchObject([{ code: 'added-row', cell: 'A10' }]);
  });

  it('names a copied row and a note under the table', async () => {
    const problems = await refused(await returned((sheet) => {
      sheet.getRow(21).values = sheet.getRow(8).values as ExcelJS.CellValue[];
      sheet.getCell('K25').value = '補足：担当者は異動しました';
    }));
    expect(problems.map(({ code, cell }) => [code, cell])).toEqual([['added-row', 'A21'], ['added-row', 'K25']]);
    expect(problems[1]!.message).toBe('セル K25: 回答様式にない行があります（25行目）。行を追加・コピーせずに、お送りした回答様式のまま入力してください');
  });

  it('names a deleted row by its item, and not the rows that moved up', async () => {
    expect(await refused(await returned((sheet) => sheet.spliceRows(10, 1)))).toEqual([
      { code: 'deleted-row', no: 10, message: '整理番号10: この取組の行（10行目）が見つかりません。行を削除せずに、お送りした回答様式のまま入力してください' },
    ]);
  });

  it('names a row emptied by hand as gone', async () => {
    const problems = await refused(await returned((sheet) => sheet.getRow(10).eachCell((cell) => (cell.value = null))));
    expect(problems).toMatchObject([{ code: 'deleted-row', no: 10 }]);
  });

  it('names both rows of a swap, and not the row between them', async () => {
    const problems = await refused(await returned((sheet) => {
      const row8 = sheet.getRow(8).values as ExcelJS.CellValue[];
      sheet.getRow(8).values = sheet.getRow(10).values as ExcelJS.CellValue[];
      sheet.getRow(10).values = row8;
    }));
    expect(problems).toEqual([
      { code: 'moved-row', cell: 'A8', no: 10, message: 'セル A8（整理番号10）: この取組の行が10行目から8行目に移動しています。行を並べ替えずに、お送りした回答様式のまま入力してください' },
      { code: 'moved-row', cell: 'A10', no: 3, message: 'セル A10（整理番号3）: この取組の行が8行目から10行目に移動しています。行を並べ替えずに、お送りした回答様式のまま入力してください' },
    ]);
  });

  it('names one row cut and pasted at the end, and not the rows that moved up', async () => {
    const problems = await refused(await returned((sheet) => {
      const row8 = sheet.getRow(8).values as ExcelJS.CellValue[];
      sheet.spliceRows(8, 1);
      sheet.getRow(20).values = row8;
    }));
    expect(problems).toMatchObject([{ code: 'moved-row', cell: 'A20', no: 3 }]);
  });

  it('names a changed header, and a column inserted by its first shifted header', async () => {
    expect(await refused(await returned((sheet) => (sheet.getCell('K7').value = '取組状況')))).toEqual([
      { code: 'changed-header', cell: 'K7', message: 'セル K7: 見出しが「取組状況（R4年度末見込み）」から「取組状況」に変わっています。列を追加・削除・移動せずに、お送りした回答様式のまま入力してください' },
    ]);
    const inserted = await refused(await returned((sheet) => sheet.spliceColumns(3, 0, [])));
    expect(inserted).toMatchObject([{ code: 'changed-header', cell: 'C7' }]);
    expect(inserted[0]!.message).toContain('見出しが「施策」から（空欄）に変わっています');
  });

  it('names rows added above the table by where its header went', async () => {
    expect(await refused(await returned((sheet) => sheet.insertRow(6, ['記入者：総務課 山田'])))).toEqual([
      { code: 'moved-header', cell: 'A8', message: 'セル A8: 表の見出しの行が7行目から8行目に移っています。表の上の行を追加・削除せずに、お送りした回答様式のまま入力してください' },
    ]);
  });

  it('names the answer sheet renamed, and removed', async () => {
    expect(await refused(await returned((sheet) => (sheet.name = '回答（総務課）')))).toEqual([
      { code: 'renamed-sheet', message: 'シート「回答」の名前が「回答（総務課）」に変わっています。シート名を「回答」に戻して提出してください' },
    ]);
    const removed = await refused(await returned((sheet) => sheet.workbook.removeWorksheet(sheet.id)));
    expect(removed).toEqual([{ code: 'missing-sheet', message: 'シート「回答」がありません。お送りした回答様式のシートを消したり名前を変えたりせずに提出してください' }]);
  });

  it('names the metadata sheet removed, and changed', async () => {
    expect(await refused(await returned((sheet) => sheet.workbook.removeWorksheet('様式情報')))).toEqual([
      { code: 'missing-meta-sheet', message: '非表示のシート「様式情報」がありません。お送りした回答様式のシートを消さずに、そのファイルに入力して提出してください' },
    ]);
    const changedMessage = [{ code: 'changed-meta-sheet', message: '非表示のシート「様式情報」が変更されています。お送りした回答様式に入力し直してください' }];
    // A fingerprint rewritten to match a changed row, and the sheet's layout broken.
    const fingerprint = await refused(await returned((sheet) => {
      const meta = sheet.workbook.getWorksheet('様式情報')!;
      meta.eachRow((row) => {
        if (row.getCell(1).value === 14) row.getCell(4).value = 'f'.repeat(64);
      });
    }));
    expect(fingerprint).toEqual(changedMessage);
    const broken = await refused(await returned((sheet) => (sheet.workbook.getWorksheet('様式情報')!.getCell('A9').value = '番号')));
    expect(broken).toEqual(changedMessage);
  });

  it('names a status text over 2,000 characters with its length, and takes one of 2,000', async () => {
    expect(await refused(await returned((sheet) => (sheet.getCell('K8').value = 'あ'.repeat(2001))))).toEqual([
      { code: 'status-text-too-long', cell: 'K8', no: 3, message: 'セル K8（整理番号3）: 取組状況の文が2,001文字あります。2,000文字以内にしてください' },
    ]);
    // Characters, not UTF-16 units: 2,000 of 𠮷 are 4,000 units.
    const reading = await read(await returned((sheet) => (sheet.getCell('K8').value = '𠮷'.repeat(2000))));
    expect(reading.ok).toBe(true);
  });

  it('cuts a long unknown mark short in its message', async () => {
    const problems = await refused(await returned((sheet) => (sheet.getCell('O8').value = '実施済み。'.repeat(100))));
    expect(problems).toMatchObject([{ code: 'unknown-mark', cell: 'O8', no: 3 }]);
    expect(problems[0]!.message).toBe(`セル O8（整理番号3）: 取組状況の記号「${'実施済み。'.repeat(8)}…」は使えません（○ △ × - のいずれかを選んでください）`);
  });

  it('lists 50 problems at most, and says how many more there are', async () => {
    const problems = await refused(await returned((sheet) => {
      for (let row = 8; row <= 20; row++) for (const column of ['B', 'C', 'D', 'E', 'F', 'G', 'H']) sheet.getCell(`${column}${row}`).value = '変更';
    }));
    expect(problems).toHaveLength(50);
    expect(problems[49]).toEqual({ code: 'more-problems', message: 'ほかに42件の問題があります。お送りした回答様式に入力し直してください' });
  });
});
