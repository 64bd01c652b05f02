import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { consolidatePlan, writeConsolidatedWorkbook } from '../../sheets/consolidated-table';
import { ANSWER_SHEET, META_SHEET } from '../../sheets/return-sheet-layout';
import { readMetadataSheet } from '../../sheets/return-sheet-meta';
import { load, seedPlan, somuSheet } from './fixtures';

/**
 * The sheets are opened by real office software, not only by the library that wrote them:
 * LibreOffice (Debian's libreoffice-calc-nogui, which .ci/run installs) reads each file and
 * saves it again, and what it saved must still hold the protection, the dropdown and the
 * hidden metadata.
 */
async function throughLibreOffice(name: string, data: Buffer): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'torimatome-lo-'));
  const input = join(dir, 'in', name);
  const outDir = join(dir, 'out');
  mkdirSync(join(dir, 'in'));
  writeFileSync(input, data);
  await promisify(execFile)(
    'soffice',
    [`-env:UserInstallation=file://${join(dir, 'profile')}`, '--headless', '--norestore', '--convert-to', 'xlsx:Calc MS Excel 2007 XML', '--outdir', outDir, input],
    { timeout: 120_000 },
  );
  const output = join(outDir, name);
  expect(existsSync(output), `LibreOffice wrote no ${name}`).toBe(true);
  return readFileSync(output);
}

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

  it('the consolidated table converts with its sheets', async () => {
    const plan = seedPlan();
    const data = await writeConsolidatedWorkbook({ plan: consolidatePlan(plan, 'R4', new Map()), year: 'R4', notes: new Map([[14, '未提出']]), notReturned: [{ divisionId: 'somu', divisionName: '総務課' }] });
    const workbook = await load(await throughLibreOffice('table.xlsx', data));
    expect(workbook.worksheets.map((s) => s.name)).toEqual(expect.arrayContaining(['実施状況', '集計', '未提出']));
  }, 180_000);
});
