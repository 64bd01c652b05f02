import { existsSync } from 'node:fs';
import JSZip from 'jszip';
import { afterAll, describe, expect, it } from 'vitest';
import { throughLibreOffice } from '../support/libreoffice';
import { consolidatePlan, writeConsolidatedWorkbook } from '../../sheets/consolidated-table';
import { createCheckerPool } from '../../sheets/checker-pool';
import { readReturnFile } from '../../sheets/read-return-file';
import { ANSWER_SHEET, META_SHEET } from '../../sheets/return-sheet-layout';
import { readMetadataSheet } from '../../sheets/return-sheet-meta';
import { edited, filledSomuSheet, load, seedAnswer, seedPlan, somuExpected, somuSheet } from './fixtures';

/**
 * The sheets are opened by real office software, not only by the library that wrote them:
 * LibreOffice (Debian's libreoffice-calc-nogui, which .ci/run installs) reads each file and
 * saves it again, and what it saved must still hold the protection, the dropdown and the
 * hidden metadata.
 */
const XLS = { extension: 'xls', filter: 'MS Excel 97' };
const ODS = { extension: 'ods', filter: 'calc8' };

/**
 * Whether a cell is locked, read from the file's XML: LibreOffice writes `locked="false"`,
 * which exceljs reads as locked, so the library cannot be the judge here.
 */
async function lockedInXml(data: Buffer, sheetFile: string, address: string): Promise<boolean> {
  const zip = await JSZip.loadAsync(data);
  const sheetXml = await zip.file(`xl/worksheets/${sheetFile}`)!.async('string');
  const style = Number(new RegExp(`<c r="${address}"[^>]*? s="(\\d+)"`).exec(sheetXml)?.[1] ?? 0);
  const stylesXml = await zip.file('xl/styles.xml')!.async('string');
  const cellXfs = /<cellXfs[^>]*>([\s\S]*?)<\/cellXfs>/.exec(stylesXml)![1]!;
  const xf = cellXfs.match(/<xf\b[^>]*?(?:\/>|>[\s\S]*?<\/xf>)/g)![style]!;
  const locked = /<protection[^>]*locked="([^"]+)"/.exec(xf)?.[1];
  return !(locked === 'false' || locked === '0');
}

const checkers = createCheckerPool({ size: 1 });
afterAll(() => checkers.close());

describe('opened and saved by LibreOffice', () => {
  it('is installed, as .ci/run provides it', () => {
    expect(existsSync('/usr/bin/soffice'), 'install libreoffice-calc-nogui (bash .ci/run does)').toBe(true);
  });

  it('a return sheet keeps its locked cells, its dropdown and its hidden metadata', async () => {
    const converted = await throughLibreOffice('somu.xlsx', await somuSheet());
    const workbook = await load(converted);
    const sheet = workbook.getWorksheet(ANSWER_SHEET)!;
    expect(workbook.worksheets[0]!.name).toBe(ANSWER_SHEET);
    const meta = workbook.getWorksheet(META_SHEET)!;
    // LibreOffice has no "very hidden": it keeps the sheet hidden, and its content readable.
    expect(['hidden', 'veryHidden']).toContain(meta.state);
    expect(readMetadataSheet(meta)).toMatchObject({ cycleId: 'cycle-arao-R4', divisionId: 'somu' });
    const rows = [...Array(sheet.rowCount).keys()].map((i) => sheet.getRow(i + 1));
    const item16 = rows.find((r) => r.getCell(1).value === 16)!;
    const cells = [...Array(item16.cellCount).keys()].map((i) => item16.getCell(i + 1));
    const markCell = cells.find((c) => c.dataValidation?.type === 'list')!;
    expect(markCell.dataValidation.formulae.join()).toMatch(/○.*△.*×.*-/);
    expect(await lockedInXml(converted, 'sheet1.xml', markCell.address)).toBe(false);
    expect(await lockedInXml(converted, 'sheet1.xml', item16.getCell(4).address)).toBe(true);
    const sheetXml = await (await JSZip.loadAsync(converted)).file('xl/worksheets/sheet1.xml')!.async('string');
    expect(sheetXml).toMatch(/<sheetProtection[^>]* sheet="(true|1)"/);
  }, 180_000);

  it('a filled return saved again by LibreOffice is accepted: the check reads content, not encoding', async () => {
    const filled = await filledSomuSheet();
    const converted = await throughLibreOffice('somu.xlsx', filled);
    // What LibreOffice changes: its own styles (locked="false" on the input cells), the metadata sheet only hidden.
    const zip = await JSZip.loadAsync(converted);
    expect(await zip.file('xl/styles.xml')!.async('string')).toMatch(/locked="(false|0)"/);
    expect(await zip.file('xl/workbook.xml')!.async('string')).not.toContain('veryHidden');
    expect(converted.equals(filled)).toBe(false);
    const reading = await readReturnFile(converted, somuExpected(), checkers);
    expect(reading).toEqual({ ok: true, problems: [], answers: [3, 10, 13, 14, 16, 17, 18, 19, 20, 21, 22].map(seedAnswer) });
  }, 180_000);

  it('a return tampered with and then saved by LibreOffice is still caught, cell by cell', async () => {
    const tampered = await edited(await filledSomuSheet(), (workbook) => {
      const sheet = workbook.getWorksheet(ANSWER_SHEET)!;
      sheet.getCell('D12').value = '職員の働き方改革';
      sheet.getCell('O17').value = '◎';
      sheet.getCell('A25').value = 'メモ';
    });
    const reading = await readReturnFile(await throughLibreOffice('somu.xlsx', tampered), somuExpected(), checkers);
    expect(reading.ok).toBe(false);
    expect(reading.problems.map(({ code, cell, no }) => ({ code, cell, no }))).toEqual([
      { code: 'added-row', cell: 'A25', no: undefined },
      { code: 'prefilled-changed', cell: 'D12', no: 14 },
      { code: 'unknown-mark', cell: 'O17', no: 19 },
    ]);
  }, 180_000);

  it('a return saved by LibreOffice as .xls or .ods is told for what it is', async () => {
    const filled = await filledSomuSheet();
    expect((await readReturnFile(await throughLibreOffice('somu.xlsx', filled, XLS), somuExpected(), checkers)).problems).toMatchObject([{ code: 'xls-file' }]);
    expect((await readReturnFile(await throughLibreOffice('somu.xlsx', filled, ODS), somuExpected(), checkers)).problems).toMatchObject([{ code: 'ods-file' }]);
  }, 180_000);

  it('the consolidated table converts with its sheets', async () => {
    const plan = seedPlan();
    const data = await writeConsolidatedWorkbook({ plan: consolidatePlan(plan, 'R4', new Map()), year: 'R4', notes: new Map([[14, '未提出']]), notReturned: [{ divisionId: 'somu', divisionName: '総務課' }] });
    const workbook = await load(await throughLibreOffice('table.xlsx', data));
    expect(workbook.worksheets.map((s) => s.name)).toEqual(expect.arrayContaining(['実施状況', '集計', '未提出']));
  }, 180_000);
});
