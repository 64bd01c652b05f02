import type ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { readXlsxCell } from '../../master/xlsx-cell';
import { itemFingerprint } from '../../sheets/item-fingerprint';
import { readMetadataSheet } from '../../sheets/return-sheet-meta';
import { writeReturnSheet } from '../../sheets/write-return-sheet';
import { SMALL_PLAN_HEADER } from '../fixtures/small-plan';
import { CYCLE_ID, edited, load, seedPlan, sheetInput, somuSheet, withoutYear } from './fixtures';

// The seed's columns for the R4 sheet are the plan table's, the same header the plan export writes.
const HEADER = SMALL_PLAN_HEADER;
// 総務課 leads 3, 10, 13, 14, 16-22 and is a co-division of 4 and 15; rows from 8 in number order.
const ROW_OF: Record<number, number> = { 3: 8, 4: 9, 10: 10, 13: 11, 14: 12, 15: 13, 16: 14, 17: 15, 18: 16, 19: 17, 20: 18, 21: 19, 22: 20 };
const ANSWER_ROWS = [8, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20];
const READONLY_ROWS = [9, 13];
const LAST_COLUMN = HEADER.length;
const STATUS_TEXT = 'K';
const MARK = 'O';

const answerSheet = (workbook: ExcelJS.Workbook) => workbook.getWorksheet('回答')!;
const text = (cell: ExcelJS.Cell) => readXlsxCell(cell.value);
const rowTexts = (sheet: ExcelJS.Worksheet, row: number) =>
  Array.from({ length: LAST_COLUMN }, (_, i) => text(sheet.getCell(row, i + 1)));

describe('writeReturnSheet', () => {
  it('shows one sheet with the heading, the seed columns and the items in number order', async () => {
    const workbook = await load(await somuSheet());
    expect(workbook.worksheets.map((s) => [s.name, s.state])).toEqual([
      ['回答', 'visible'],
      ['様式情報', 'veryHidden'],
    ]);
    const sheet = answerSheet(workbook);
    expect(text(sheet.getCell('A1'))).toBe('荒尾市 行政改革実施計画 取組状況調査（令和4年度）回答様式　総務課');
    expect(text(sheet.getCell('A2'))).toBe('提出期限　令和5年3月31日（金）23:59');
    expect(text(sheet.getCell('A3'))).toContain('黄色のセルに入力してください');
    expect(text(sheet.getCell('A4'))).toBe('取組状況：「○」実施済み 「△」一部実施 「×」未実施または検討中 「-」令和5年度以降実施');
    expect(text(sheet.getCell('A5'))).toBe('問い合わせ先　文化企画課（bunka-kikaku@city.arao.example）');
    expect(rowTexts(sheet, 7)).toEqual(HEADER);
    expect(Object.entries(ROW_OF).map(([no, row]) => [sheet.getCell(row, 1).value, row])).toEqual(
      Object.entries(ROW_OF).map(([no, row]) => [Number(no), row]),
    );
    expect(sheet.rowCount).toBe(20);
  });

  it('prefills every cell but the answer cells from the plan', async () => {
    const plan = seedPlan();
    const item14 = plan.items.find((item) => item.no === 14)!;
    const sheet = answerSheet(await load(await somuSheet()));
    expect(rowTexts(sheet, ROW_OF[14]!)).toEqual([
      '14',
      item14.area,
      item14.policy,
      item14.initiative,
      item14.overview,
      ...['R1', 'R2', 'R3', 'R4', 'R5'].map((y) => item14.schedule[y]),
      '',
      '△',
      '△',
      '△',
      '',
      '総務課',
    ]);
    expect(text(sheet.getCell(`P${ROW_OF[15]}`))).toBe('財政課、総務課、公共施設マネジメント推進室');
  });

  it('unlocks only the status text and mark of answer rows, under a protection without password', async () => {
    const sheet = answerSheet(await load(await somuSheet()));
    const unlocked: string[] = [];
    for (let row = 1; row <= 20; row++) {
      for (let column = 1; column <= LAST_COLUMN; column++) {
        const cell = sheet.getCell(row, column);
        if (cell.protection?.locked === false) unlocked.push(cell.address);
      }
    }
    expect(unlocked.sort()).toEqual(ANSWER_ROWS.flatMap((row) => [`${STATUS_TEXT}${row}`, `${MARK}${row}`]).sort());
    // exceljs reads the protection back but leaves it out of its types.
    const { sheetProtection } = sheet as unknown as { sheetProtection: Record<string, unknown> };
    expect(sheetProtection).toMatchObject({ sheet: true, formatRows: true, formatColumns: true });
    // A password would cost exceljs 100,000 hash rounds per sheet.
    expect(sheetProtection).not.toHaveProperty('hashValue');
    expect(sheetProtection).not.toHaveProperty('algorithmName');
  });

  it('highlights the answer cells, greys read-only rows and says who answers them', async () => {
    const sheet = answerSheet(await load(await somuSheet()));
    const fill = (address: string) => (sheet.getCell(address).fill as ExcelJS.FillPattern | undefined)?.fgColor?.argb;
    expect(fill('K12')).toBe('FFFFF2CC');
    expect(fill('O12')).toBe('FFFFF2CC');
    expect(fill('D12')).toBeUndefined();
    for (const row of READONLY_ROWS) {
      for (const column of ['A', 'D', 'K', 'O', 'P']) expect(fill(`${column}${row}`)).toBe('FFD9D9D9');
    }
    expect(text(sheet.getCell('K9'))).toBe('（参考表示）この取組は主担当課のくらしいきいき課が回答します。入力は不要です。');
    expect(text(sheet.getCell('K13'))).toContain('主担当課の財政課が回答します');
    expect(text(sheet.getCell('O9'))).toBe('');
    expect(sheet.getCell('K12').alignment?.wrapText).toBe(true);
  });

  it('offers the marks as a dropdown on the mark cells of answer rows only', async () => {
    const sheet = answerSheet(await load(await somuSheet()));
    for (const row of ANSWER_ROWS) {
      expect(sheet.getCell(`${MARK}${row}`).dataValidation).toMatchObject({ type: 'list', formulae: ['"○,△,×,-"'], showErrorMessage: true });
    }
    for (const row of READONLY_ROWS) expect(sheet.getCell(`${MARK}${row}`).dataValidation).toBeUndefined();
    expect(sheet.getCell('K12').dataValidation).toBeUndefined();
  });

  it('prints on A3 landscape, one page wide, with the header row on every page', async () => {
    const sheet = answerSheet(await load(await somuSheet()));
    expect(sheet.pageSetup).toMatchObject({
      paperSize: 8,
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      printTitlesRow: '7:7',
    });
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 7 });
  });

  it('records the cycle, division, version and each row in the very hidden sheet', async () => {
    const workbook = await load(await somuSheet());
    const meta = readMetadataSheet(workbook.getWorksheet('様式情報')!);
    expect(meta).toMatchObject({
      cycleId: CYCLE_ID,
      divisionId: 'somu',
      divisionName: '総務課',
      year: 'R4',
      sheetVersion: 1,
      period: { from: 'R1', to: 'R5' },
      pastYears: ['R1', 'R2', 'R3'],
    });
    expect(meta!.items.map(({ no, row, role }) => [no, row, role])).toEqual(
      Object.entries(ROW_OF).map(([no, row]) => [Number(no), row, READONLY_ROWS.includes(row) ? 'readonly' : 'answer']),
    );
  });

  it('fingerprints the prefilled cells so that a changed one can be found', async () => {
    const data = await somuSheet();
    const prefilled = (sheet: ExcelJS.Worksheet, row: number) =>
      rowTexts(sheet, row).filter((_, i) => i !== 10 && i !== 14) as string[];
    const workbook = await load(data);
    const meta = readMetadataSheet(workbook.getWorksheet('様式情報')!)!;
    for (const { row, fingerprint } of meta.items) {
      expect(itemFingerprint(prefilled(answerSheet(workbook), row))).toBe(fingerprint);
    }
    expect(new Set(meta.items.map((item) => item.fingerprint)).size).toBe(meta.items.length);

    const tampered = await load(await edited(data, (wb) => (answerSheet(wb).getCell('N12').value = '○')));
    expect(itemFingerprint(prefilled(answerSheet(tampered), 12))).not.toBe(meta.items.find((item) => item.no === 14)!.fingerprint);
  });

  it('prefills the answer cells with what the plan holds for the year, or with the answers given back', async () => {
    const plan = seedPlan();
    const item14 = plan.items.find((item) => item.no === 14)!;
    const fromPlan = answerSheet(await load(await writeReturnSheet(sheetInput(plan))));
    expect(text(fromPlan.getCell('K12'))).toBe(item14.values.statusText!.R4);
    expect(text(fromPlan.getCell('K12'))).toHaveLength(607);
    expect(text(fromPlan.getCell('O12'))).toBe('△');
    // Past marks stop before the cycle year even when the plan already has it.
    expect(rowTexts(fromPlan, 7)).toEqual(HEADER);

    const given = answerSheet(await load(await writeReturnSheet(sheetInput(plan, undefined, { answers: { 14: { marks: '○', statusText: '差戻し後の内容' } } }))));
    expect(text(given.getCell('K12'))).toBe('差戻し後の内容');
    expect(text(given.getCell('O12'))).toBe('○');
    expect(text(given.getCell('K10'))).toBe(plan.items.find((item) => item.no === 10)!.values.statusText!.R4);
    // Read-only rows keep their note whatever is given for them.
    expect(text(given.getCell('K9'))).toContain('参考表示');
  });

  it('makes answer rows tall enough to write in, and taller for long text', async () => {
    const sheet = answerSheet(await load(await writeReturnSheet(sheetInput(seedPlan()))));
    const height = (row: number) => sheet.getRow(row).height;
    for (const row of ANSWER_ROWS) expect(height(row)).toBeGreaterThanOrEqual(100);
    // Item 14's 607 characters need more room than item 19's 169.
    expect(height(ROW_OF[14]!)).toBeGreaterThan(height(ROW_OF[19]!) + 100);
  });

  it('shows past marks only for the plan mark years before the cycle year', async () => {
    const plan = withoutYear(withoutYear(seedPlan(), 'R4'), 'R2');
    const sheet = answerSheet(await load(await writeReturnSheet(sheetInput(plan))));
    // One column fewer: the plan's columns end at O, and 説明 follows.
    expect(rowTexts(sheet, 7).slice(10)).toEqual(['取組状況（R4年度末見込み）', '取組状況（R1年度末時点）', '取組状況（R3年度末時点）', '取組状況（R4年度末時点）', '担当課', '説明']);
    expect(sheet.getCell('N12').protection?.locked).toBe(false);
    expect(sheet.getCell('O12').protection?.locked).not.toBe(false);
  });

  it('ends the table with 説明, open on the rows the division answers and locked on the others', async () => {
    const sheet = answerSheet(await load(await somuSheet()));
    expect(text(sheet.getCell('Q7'))).toBe('説明');
    expect(sheet.getCell(`Q${ANSWER_ROWS[0]}`).protection?.locked).toBe(false);
    expect(sheet.getCell(`Q${READONLY_ROWS[0]}`).protection?.locked).not.toBe(false);
  });
});
