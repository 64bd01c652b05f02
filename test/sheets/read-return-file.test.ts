import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CheckerPool, type CheckerPoolOptions, createCheckerPool, RETURN_FILE_LIMITS, type ReturnFileLimits } from '../../sheets/checker-pool';
import { readReturnFile } from '../../sheets/read-return-file';
import type { ReturnReading } from '../../sheets/read-return-sheet';
import { checkFileBytes, verifyZipContainer } from '../../sheets/return-file-checks';
import {
  afterCrcRecorded,
  afterXmlDeclaration,
  compoundFile,
  corruptedSheetData,
  csvOf,
  encryptedWorkbook,
  ENTITY_BOMB,
  honestBomb,
  lyingBomb,
  MB,
  macroWorkbook,
  odsFile,
  remarkedSheetXml,
  withParts,
  withSecondSheet,
  writeZip,
  xlsWorkbook,
  zipParts,
} from './bad-files';
import { edited, filledSomuSheet, seedAnswer, somuExpected } from './fixtures';

const ANSWER_NOS = [3, 10, 13, 14, 16, 17, 18, 19, 20, 21, 22];
const CHILDREN = join(__dirname, 'children');

let filled: Buffer;
beforeAll(async () => {
  filled = await filledSomuSheet();
});

// One pool for each set of limits a test asks for, as a worker holds one for its life.
const pools = new Map<string, CheckerPool>();
const pool = (options: CheckerPoolOptions = {}): CheckerPool => {
  const key = JSON.stringify(options);
  if (!pools.has(key)) pools.set(key, createCheckerPool(options));
  return pools.get(key)!;
};
afterAll(() => pools.forEach((p) => p.close()));

const read = (data: Buffer, limits: Partial<ReturnFileLimits> = {}): Promise<ReturnReading> => readReturnFile(data, somuExpected(), pool({ limits }));

/** The one problem a refused file has, without its message. */
async function refusedFor(data: Buffer, limits: Partial<ReturnFileLimits> = {}): Promise<{ code: string; message: string }> {
  const reading = await read(data, limits);
  expect(reading.ok).toBe(false);
  expect(reading.answers).toEqual([]);
  expect(reading.problems).toHaveLength(1);
  return reading.problems[0]!;
}

describe('readReturnFile: a clean return', () => {
  it('accepts the filled sheet, read in a checker process, with every answer', async () => {
    const started = performance.now();
    const reading = await read(filled);
    const elapsed = performance.now() - started;
    expect(reading).toEqual({ ok: true, problems: [], answers: ANSWER_NOS.map(seedAnswer) });
    // Node, tsx and exceljs start in about 0.6 s and the sheet reads in about 0.2 s; a loaded CI machine gets room.
    expect(elapsed).toBeLessThan(10_000);
    console.info(`readReturnFile: a filled sheet checked in ${Math.round(elapsed)} ms`);
  });

  it('gives the problems of a sheet that is a sheet, as readReturnSheet does', async () => {
    const reading = await read(await edited(filled, (wb) => (wb.getWorksheet('回答')!.getCell('O12').value = null)));
    expect(reading.problems).toEqual([{ code: 'missing-mark', cell: 'O12', no: 14, message: 'セル O12（整理番号14）: 取組状況の記号が入力されていません' }]);
  });

  it('checks several files at once', async () => {
    const readings = await Promise.all([filled, Buffer.alloc(0), filled].map((data) => read(data)));
    expect(readings.map((r) => r.ok)).toEqual([true, false, true]);
  });
});

describe.concurrent('readReturnFile: files that are not an xlsx, told by content', () => {
  it('an empty file', async () => {
    expect(await refusedFor(Buffer.alloc(0))).toEqual({ code: 'empty-file', message: 'ファイルが空です（0バイト）。回答様式に入力して保存したファイルを添付してください' });
  });

  it('a 50 MB file, refused by its size before anything parses it', async () => {
    // The sheet, then zeros: parsed, it would be a zip without its end record (corrupt-file).
    const big = Buffer.alloc(50 * MB);
    filled.copy(big);
    expect(checkFileBytes(big, RETURN_FILE_LIMITS)).toMatchObject({ code: 'file-too-large' });
    const problem = await refusedFor(big);
    expect(problem).toEqual({
      code: 'file-too-large',
      message: 'ファイルが大きすぎます（50.0MB。上限は10.0MBです）。お送りした回答様式に入力したファイルは通常1MBに満たない大きさです。画像などを貼り付けずに、回答様式に入力して提出してください',
    });
  });

  it('an Excel 97-2003 workbook (.xls)', async () => {
    const problem = await refusedFor(xlsWorkbook(filled));
    expect(problem.code).toBe('xls-file');
    expect(problem.message).toContain('Excel 97-2003形式（.xls）');
  });

  it('a workbook encrypted with a password, which Office wraps in a compound file', async () => {
    const problem = await refusedFor(encryptedWorkbook(filled));
    expect(problem.code).toBe('encrypted-file');
    expect(problem.message).toContain('パスワードで保護（暗号化）');
  });

  it('a real encrypted workbook: the filled sheet encrypted with a password to open, as Excel does it', async () => {
    // Made once with msoffcrypto-tool (OOXMLFile.encrypt, agile encryption, the password himitsu) from the filled 総務課 sheet.
    const problem = await refusedFor(readFileSync(join(__dirname, 'files', 'encrypted-somu.xlsx')));
    expect(problem.code).toBe('encrypted-file');
  });

  it('a compound file that only mentions the encryption streams in its content is an .xls', async () => {
    // The names in a cell's text, not in the directory: not at a directory entry's place.
    const mention = Buffer.concat([Buffer.alloc(5), Buffer.from('EncryptedPackage\0', 'utf16le')]);
    expect((await refusedFor(compoundFile(['Workbook'], mention))).code).toBe('xls-file');
  });

  it('a macro-enabled workbook (.xlsm), by its VBA project or by its content type', async () => {
    for (const variant of [{}, { contentType: false }, { vbaProject: false }]) {
      const problem = await refusedFor(await macroWorkbook(filled, variant));
      expect(problem.code).toBe('macro-file');
      expect(problem.message).toContain('マクロ有効ブック（.xlsm）');
    }
  });

  it('a CSV or text file, in UTF-8, Shift_JIS or UTF-16 ("Unicode テキスト")', async () => {
    for (const encoding of ['utf8', 'shift_jis', 'utf16le-bom'] as const) {
      const csv = await csvOf(filled, encoding);
      expect(csv.length).toBeGreaterThan(1000);
      const problem = await refusedFor(csv);
      expect(problem.code, encoding).toBe('text-file');
      expect(problem.message).toContain('CSVやテキストなど');
    }
  });

  it('a workbook saved as Strict Open XML, whose namespaces exceljs does not read', async () => {
    const strict = await withParts(filled, (parts) => {
      const workbook = parts.get('xl/workbook.xml')!.toString('utf8').replace('http://schemas.openxmlformats.org/spreadsheetml/2006/main', 'http://purl.oclc.org/ooxml/spreadsheetml/main');
      parts.set('xl/workbook.xml', Buffer.from(workbook, 'utf8'));
    });
    expect((await refusedFor(strict)).code).toBe('strict-xlsx');
  });

  it('an OpenDocument spreadsheet (.ods)', async () => {
    expect((await refusedFor(odsFile())).code).toBe('ods-file');
  });

  it('a PDF or another binary file', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), Buffer.from([0, 1, 2, 3, 0x9c, 0x78])]);
    expect((await refusedFor(pdf)).code).toBe('not-xlsx');
  });

  it('a zip that is not a workbook, and an empty zip', async () => {
    const zip = writeZip([{ name: '回答.txt', data: Buffer.from('回答です') }]);
    expect((await refusedFor(zip)).code).toBe('not-xlsx');
    expect((await refusedFor(writeZip([]))).code).toBe('not-xlsx');
  });

  it('a truncated file (a download cut short)', async () => {
    const problem = await refusedFor(filled.subarray(0, Math.floor(filled.length / 2)));
    expect(problem).toEqual({ code: 'corrupt-file', message: 'ファイルが壊れていて開けません。回答様式をもう一度保存し、そのファイルを提出してください' });
  });

  it('a zip whose sheet data does not inflate', async () => {
    expect((await refusedFor(await corruptedSheetData(filled))).code).toBe('corrupt-file');
  });

  it('a zip whose central directory points outside the file', async () => {
    const broken = Buffer.from(filled);
    const end = broken.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
    broken.writeUInt32LE(broken.length * 2, end + 16);
    expect((await refusedFor(broken)).code).toBe('corrupt-file');
  });
});

describe('readReturnFile: a filled sheet whose answer cells were changed inside the zip', () => {
  const CELL = 'O12';
  const NO = 14;
  const DAMAGED = 'ファイル内の「xl/worksheets/sheet1.xml」が壊れています（中身が保存時の検査値（CRC-32）と合いません。壊れたか、保存の後で手を加えられたファイルです）。' +
    'このファイルは読みません。お送りした回答様式をExcelで開いて保存し直し、そのファイルを提出してください';
  const TWICE = 'ファイル内に「xl/worksheets/sheet1.xml」が2つあり、どちらが回答なのか決められません（壊れたか、手を加えられたファイルです）。' +
    'このファイルは読みません。お送りした回答様式をExcelで開いて保存し直し、そのファイルを提出してください';
  let sheetXml: Awaited<ReturnType<typeof remarkedSheetXml>>;
  beforeAll(async () => {
    sheetXml = await remarkedSheetXml(filled, CELL);
  });

  it('reads the changed mark when the zip records it honestly: the change alone is a valid answer', async () => {
    const honest = await withParts(filled, (parts) => parts.set('xl/worksheets/sheet1.xml', sheetXml.remarked));
    const reading = await read(honest);
    expect(reading.answers.find((answer) => answer.no === NO)?.values.marks).toBe(sheetXml.mark);
    expect(reading.answers.find((answer) => answer.no === NO)?.values.marks).not.toBe(seedAnswer(NO).values.marks);
  });

  it('refuses it when the bytes no longer match the CRC-32 recorded when it was saved', async () => {
    const tampered = await afterCrcRecorded(filled, sheetXml.remarked, sheetXml.original);
    expect(await refusedFor(tampered)).toEqual({ code: 'part-crc-mismatch', message: DAMAGED });
  });

  it('refuses a CRC-32 mismatch in the child too, where the parts are inflated', async () => {
    const tampered = await afterCrcRecorded(filled, sheetXml.remarked, sheetXml.original);
    expect(await verifyZipContainer(tampered, RETURN_FILE_LIMITS)).toEqual({ problem: { code: 'part-crc-mismatch', message: DAMAGED } });
  });

  it.each([
    ['under the same name', 'xl/worksheets/sheet1.xml'],
    ['under a name that differs only in case', 'xl/worksheets/Sheet1.xml'],
    ['under a name with a "." segment, which JSZip resolves to the same part', 'xl/./worksheets/sheet1.xml'],
    ['under a name with an empty segment', 'xl//worksheets/sheet1.xml'],
  ])('refuses a second copy of the worksheet with a changed mark, %s', async (_, name) => {
    const twice = await withSecondSheet(filled, sheetXml.remarked, name);
    expect(await refusedFor(twice)).toEqual({ code: 'duplicate-part', message: TWICE });
  });

  it('gives exceljs only the verified parts, re-packed as a zip that passes the same checks', async () => {
    const verified = async (data: Buffer) => {
      const container = await verifyZipContainer(data, RETURN_FILE_LIMITS);
      if ('problem' in container) throw new Error(container.problem.message);
      return container.verified;
    };
    const repacked = await verified(filled);
    expect(await zipParts(repacked)).toEqual(await zipParts(filled));
    expect(await verified(repacked)).toEqual(repacked);
  });
});

describe.concurrent('readReturnFile: hostile zips, stopped before exceljs opens them', () => {
  it('too many parts', async () => {
    const many = await withParts(filled, (parts) => {
      for (let i = 0; i < 1200; i++) parts.set(`customXml/item${i}.xml`, Buffer.from('<a/>'));
    });
    const problem = await refusedFor(many);
    expect(problem.code).toBe('too-many-parts');
    expect(problem.message).toContain(`（${1200 + (await zipParts(filled)).size}個。上限は1000個です）`);
  });

  it('a part that honestly declares a huge size, refused from the central directory', async () => {
    const bomb = await honestBomb(filled, 48);
    expect(bomb.length).toBeLessThan(100 * 1024);
    const problem = await refusedFor(bomb);
    expect(problem.code).toBe('part-too-large');
    expect(problem.message).toMatch(/^ファイル内の「xl\/worksheets\/sheet1\.xml」は展開すると48\.0MBになり、上限（32\.0MB）を超えます/);
  });

  it('parts whose declared sizes add up past the limit', async () => {
    const parts = await zipParts(filled);
    const pictures = [1, 2, 3].map((i) => ({ name: `xl/media/image${i}.png`, data: Buffer.alloc(30 * MB) }));
    const problem = await refusedFor(writeZip([...[...parts].map(([name, data]) => ({ name, data })), ...pictures]));
    expect(problem.code).toBe('expanded-too-large');
    expect(problem.message).toBe('ファイル全体を展開すると90.1MB以上になり、上限（64.0MB）を超えます。お送りした回答様式に入力して提出してください');
  });

  it('a 1 MB file whose sheet declares 14 KB and inflates to 1 GB, stopped at the declared size', async () => {
    const bomb = await lyingBomb(filled, 1024);
    expect(bomb.length).toBeLessThan(1.1 * MB);
    const problem = await refusedFor(bomb);
    expect(problem).toEqual({
      code: 'part-size-mismatch',
      message: 'ファイル内の「xl/worksheets/sheet1.xml」の大きさの記録が中身と合いません（壊れているか、手を加えられたファイルです）。回答様式をもう一度保存し、そのファイルを提出してください',
    });
  });

  it('stops inflating the lying part at once, even in this process', async () => {
    const bomb = await lyingBomb(filled, 1024);
    const started = performance.now();
    expect(await verifyZipContainer(bomb, RETURN_FILE_LIMITS)).toMatchObject({ problem: { code: 'part-size-mismatch' } });
    // Inflating the gigabyte takes about 2 s, and scanning it for a DOCTYPE several more.
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('an XML part with an entity bomb', async () => {
    const bomb = await withParts(filled, (parts) => parts.set('xl/sharedStrings.xml', afterXmlDeclaration(parts.get('xl/sharedStrings.xml')!, ENTITY_BOMB)));
    expect(await refusedFor(bomb)).toEqual({
      code: 'xml-doctype',
      message: 'ファイル内の「xl/sharedStrings.xml」にDOCTYPE宣言があります。Excelが保存するファイルにはないもので、安全のため読みません。お送りした回答様式に入力し、Excelで保存して提出してください',
    });
  });

  it('an XML part with an external entity, never fetched', async () => {
    const external = '<!DOCTYPE workbook [<!ENTITY ext SYSTEM "http://attacker.example/secret">]>';
    const bomb = await withParts(filled, (parts) => parts.set('xl/workbook.xml', afterXmlDeclaration(parts.get('xl/workbook.xml')!, external)));
    const problem = await refusedFor(bomb);
    expect(problem.code).toBe('xml-doctype');
    expect(problem.message).toContain('「xl/workbook.xml」');
  });

  it('a DOCTYPE in a UTF-16 part, and in lower case', async () => {
    const utf16 = await withParts(filled, (parts) => {
      const xml = `<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE Properties SYSTEM "file:///etc/passwd"><Properties/>`;
      parts.set('docProps/app.xml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]));
    });
    expect(await refusedFor(utf16)).toMatchObject({ code: 'xml-doctype', message: expect.stringContaining('「docProps/app.xml」') });
    const lower = await withParts(filled, (parts) => parts.set('xl/styles.xml', afterXmlDeclaration(parts.get('xl/styles.xml')!, '<!doctype x>')));
    expect((await refusedFor(lower)).code).toBe('xml-doctype');
  });

  it('leaves a DOCTYPE in a picture alone (an SVG may have one)', async () => {
    const withSvg = await withParts(filled, (parts) => parts.set('xl/media/image1.svg', Buffer.from('<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd"><svg/>')));
    expect((await read(withSvg)).ok).toBe(true);
  });
});

describe('readReturnFile: the checker processes that parse, under their limits', () => {
  let big: Buffer;
  beforeAll(async () => {
    // 20,000 rows pasted under the table: a real workbook that takes seconds and hundreds of MB to read.
    big = await edited(filled, (wb) => {
      const sheet = wb.getWorksheet('回答')!;
      for (let row = 30; row < 20_030; row++) sheet.getRow(row).values = [row, row * 2, `メモ${row}`, row / 7];
    });
  }, 60_000);

  it('reads the large workbook within the default limits, and names the rows added as one block', async () => {
    const reading = await read(big);
    expect(reading.problems).toMatchObject([{ code: 'added-row', cell: 'A30' }]);
    expect(reading.problems[0]!.message).toContain('（30〜20029行目）');
  }, 60_000);

  it('stops reading at the time limit', async () => {
    const problem = await refusedFor(big, { timeoutMs: 300 });
    expect(problem).toEqual({
      code: 'read-timeout',
      message: 'ファイルを読み取れませんでした（時間切れ：1秒以内に読み終わりませんでした）。お送りした回答様式に入力し、保存し直したファイルを提出してください',
    });
  });

  it('stops reading at the heap limit (V8 aborts the child)', async () => {
    const problem = await refusedFor(big, { maxHeapMb: 48 });
    expect(problem.code).toBe('read-memory');
    expect(problem.message).toContain('メモリの上限48MBを超えました');
  });

  it('stops reading at the resident memory limit, counted above the checker\'s idle size; the same pool then reads a good file', async () => {
    // A filled sheet grows a checker by under 10 MB, the large workbook by about 110.
    const checkers = createCheckerPool({ size: 1, limits: { maxRssMb: 60 } });
    try {
      const readWith = (data: Buffer) => readReturnFile(data, somuExpected(), checkers);
      expect((await readWith(filled)).ok).toBe(true);
      const [before] = checkers.pids();
      const refused = await readWith(big);
      expect(refused.problems).toMatchObject([{ code: 'read-memory' }]);
      expect(refused.problems[0]!.message).toContain('メモリの上限60MBを超えました');
      expect(await readWith(filled)).toEqual({ ok: true, problems: [], answers: ANSWER_NOS.map(seedAnswer) });
      // The killed checker was replaced by a fresh one.
      expect(checkers.pids()).toHaveLength(1);
      expect(checkers.pids()[0]).not.toBe(before);
    } finally {
      checkers.close();
    }
  }, 60_000);

  it('keeps a checker for the next file, and replaces it after the number of files it may read', async () => {
    const checkers = createCheckerPool({ size: 1, recycleAfter: 3 });
    try {
      const pids: number[][] = [];
      for (let i = 0; i < 4; i++) {
        expect((await readReturnFile(filled, somuExpected(), checkers)).ok).toBe(true);
        pids.push(checkers.pids());
      }
      // The third file was its last: the checker is gone, and the fourth file gets a new one.
      expect(pids[0]).toHaveLength(1);
      expect(pids[1]).toEqual(pids[0]);
      expect(pids[2]).toEqual([]);
      expect(pids[3]).toHaveLength(1);
      expect(pids[3]).not.toEqual(pids[0]);
    } finally {
      checkers.close();
    }
  });

  it('reads as many files at once as it has checkers, and no more processes than that', async () => {
    const checkers = createCheckerPool({ size: 2 });
    try {
      const readings = await Promise.all(Array.from({ length: 6 }, () => readReturnFile(filled, somuExpected(), checkers)));
      expect(readings.every((r) => r.ok)).toBe(true);
      expect(checkers.pids()).toHaveLength(2);
    } finally {
      checkers.close();
    }
  });

  it('ends the checkers that wait too long for a file, and starts one again for the next', async () => {
    const checkers = createCheckerPool({ size: 2, idleAfterMs: 300 });
    try {
      await Promise.all([0, 1].map(() => readReturnFile(filled, somuExpected(), checkers)));
      const busy = checkers.pids();
      expect(busy).toHaveLength(2);
      await vi.waitFor(
        () => {
          expect(checkers.pids()).toEqual([]);
          for (const pid of busy) expect(() => process.kill(pid, 0)).toThrow();
        },
        { timeout: 5_000, interval: 50 },
      );
      expect(await readReturnFile(filled, somuExpected(), checkers)).toEqual({ ok: true, problems: [], answers: ANSWER_NOS.map(seedAnswer) });
      expect(checkers.pids()).toHaveLength(1);
    } finally {
      checkers.close();
    }
  });

  const stub = (name: string, limits: Partial<ReturnFileLimits> = {}) => pool({ entry: join(CHILDREN, name), limits, size: 1 }).read(filled, somuExpected());

  it('kills a child whose Buffers grow past the memory limit, which a heap limit would not stop', async () => {
    const reading = await stub('grows-buffers.cjs', { maxRssMb: 256 });
    expect(reading.problems).toMatchObject([{ code: 'read-memory' }]);
  });

  it('kills a child stuck in a loop at the time limit', async () => {
    const reading = await stub('spins.cjs', { timeoutMs: 500 });
    expect(reading.problems).toMatchObject([{ code: 'read-timeout' }]);
  });

  it('turns a crash of the child into a problem', async () => {
    const reading = await stub('crashes.cjs');
    expect(reading.problems).toEqual([{ code: 'read-failed', message: 'ファイルを読み取れませんでした（読み取りが異常終了しました）。お送りした回答様式に入力し、保存し直したファイルを提出してください' }]);
  });

  it('raises when the child cannot start at all: the installation is at fault, not the file', async () => {
    await expect(stub('fails-to-start.cjs')).rejects.toThrow(/ended before it started/);
  });
});

describe('readReturnFile: the corrected file', () => {
  it('accepts the sheet once the division sends the right file', async () => {
    // After an .xlsm, a CSV and a truncated file, the division attaches the sheet itself.
    for (const wrong of [await macroWorkbook(filled), await csvOf(filled, 'shift_jis'), filled.subarray(0, 1000)]) expect((await read(wrong)).ok).toBe(false);
    expect((await read(filled)).ok).toBe(true);
  });

  it('accepts a sheet with an 8 MB picture pasted in, sent over to the child whole', async () => {
    const picture = randomBytes(8 * MB);
    const withPicture = await withParts(filled, (parts) => parts.set('xl/media/image1.png', picture));
    expect(withPicture.length).toBeGreaterThan(8 * MB);
    expect((await read(withPicture)).ok).toBe(true);
  });

  it('accepts a sheet zipped another way: parts in another order, stored rather than deflated, with folder entries', async () => {
    const parts = [...(await zipParts(filled))].reverse();
    const folders = ['xl/', 'xl/worksheets/'].map((name) => ({ name, data: Buffer.alloc(0), method: 0 as const }));
    const reading = await read(writeZip([...folders, ...parts.map(([name, data]) => ({ name, data, method: 0 as const }))]));
    expect(reading.ok).toBe(true);
  });
});
