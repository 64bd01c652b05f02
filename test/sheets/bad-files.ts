/**
 * The files a real collection gets instead of a clean return, each made from a real filled
 * sheet: an old .xls, an encrypted workbook, an .xlsm, a CSV, a broken zip, zip bombs, XML
 * with a DOCTYPE. Zips are written byte by byte here, so that their headers can lie.
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import JSZip from 'jszip';
import { load } from './fixtures';

export const MB = 1024 * 1024;

/** The parts of an xlsx (or any zip), by name, in their order in the file. */
export async function zipParts(data: Buffer): Promise<Map<string, Buffer>> {
  const zip = await JSZip.loadAsync(data);
  const parts = new Map<string, Buffer>();
  for (const file of Object.values(zip.files)) if (!file.dir) parts.set(file.name, await file.async('nodebuffer'));
  return parts;
}

export interface ZipEntry {
  name: string;
  /** What the entry inflates to; left out when `deflated` is given with its `crc` and `size`. */
  data?: Buffer;
  /** The compressed bytes, when made elsewhere (a bomb's). */
  deflated?: Buffer;
  /** CRC-32 of the inflated bytes. */
  crc?: number;
  /** The uncompressed size the headers declare: the true one unless a test wants them to lie. */
  size?: number;
  /** 0 stored, 8 deflated (default). */
  method?: 0 | 8;
}

/** A zip with exactly these entries and headers: local headers, data, central directory, end record. */
export function writeZip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const method = entry.method ?? 8;
    const name = Buffer.from(entry.name, 'utf8');
    const body = entry.deflated ?? (method === 8 ? deflateRawSync(entry.data!) : entry.data!);
    const crc = entry.crc ?? crc32(entry.data!);
    const size = entry.size ?? entry.data!.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The xlsx rewritten with `change` applied to its parts (add, replace or delete by name). */
export async function withParts(data: Buffer, change: (parts: Map<string, Buffer>) => void): Promise<Buffer> {
  const parts = await zipParts(data);
  change(parts);
  return writeZip([...parts].map(([name, part]) => ({ name, data: part })));
}

/** A part's text with `text` put in after its XML declaration. */
export function afterXmlDeclaration(part: Buffer, text: string): Buffer {
  const xml = part.toString('utf8');
  const end = xml.startsWith('<?xml') ? xml.indexOf('?>') + 2 : 0;
  return Buffer.from(xml.slice(0, end) + text + xml.slice(end), 'utf8');
}

const SHEET = 'xl/worksheets/sheet1.xml';

const SPACES = Buffer.alloc(MB, ' ');
// A full flush ends the block on a byte boundary and forgets the history: copies of it can follow one another.
const fullFlush = (data: Buffer) => deflateRawSync(data, { finishFlush: constants.Z_FULL_FLUSH });
const SPACES_BLOCK = fullFlush(SPACES);

/**
 * The sheet XML with `paddingMb` MB of spaces inside <sheetData>: still a valid sheet that exceljs
 * would read, deflated a thousand to one (1 GB of it is a 1 MB file). The deflate stream is the
 * one block of 1 MB of spaces repeated, so a gigabyte costs nothing to make. Gives the part's
 * entry fields, the CRC only when asked (a gigabyte takes a second).
 */
export function paddedSheet(sheetXml: Buffer, paddingMb: number, withCrc = true): { deflated: Buffer; crc: number; size: number } {
  const xml = sheetXml.toString('utf8');
  const at = xml.indexOf('<sheetData>') + '<sheetData>'.length;
  const head = Buffer.from(xml.slice(0, at), 'utf8');
  const rest = Buffer.from(xml.slice(at), 'utf8');
  const deflated = Buffer.concat([fullFlush(head), ...Array<Buffer>(paddingMb).fill(SPACES_BLOCK), deflateRawSync(rest)]);
  let crc = 0;
  if (withCrc) {
    crc = crc32(head);
    for (let i = 0; i < paddingMb; i++) crc = crc32(SPACES, crc);
    crc = crc32(rest, crc);
  }
  return { deflated, crc, size: head.length + paddingMb * MB + rest.length };
}

/** A zip bomb whose headers tell the truth: the sheet XML declares all of its `paddingMb` MB. */
export async function honestBomb(sheet: Buffer, paddingMb: number): Promise<Buffer> {
  const parts = await zipParts(sheet);
  return writeZip([...parts].map(([name, data]) => (name === SHEET ? { name, ...paddedSheet(data, paddingMb) } : { name, data })));
}

/** A zip bomb whose headers lie: the sheet XML declares its original size and CRC, and inflates `paddingMb` MB more. */
export async function lyingBomb(sheet: Buffer, paddingMb: number): Promise<Buffer> {
  const parts = await zipParts(sheet);
  return writeZip([...parts].map(([name, data]) => (name === SHEET ? { name, ...paddedSheet(data, paddingMb, false), crc: crc32(data), size: data.length } : { name, data })));
}

/** A billion-laughs entity bomb: ten levels of ten, a 10 GB string from a few hundred bytes. */
export const ENTITY_BOMB =
  '<!DOCTYPE sst [<!ENTITY a0 "ha">' +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY a${i + 1} "${`&a${i};`.repeat(10)}">`).join('') +
  ']>';

/**
 * An OLE2 compound file with these streams in its directory, as Excel 97-2003 (.xls, a
 * Workbook stream) or an encrypted xlsx (EncryptionInfo and EncryptedPackage) is: the header,
 * one directory sector, then `content`.
 */
export function compoundFile(streams: readonly string[], content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header, 0);
  header.writeUInt16LE(0x003e, 24); // minor version
  header.writeUInt16LE(0x0003, 26); // major version 3: 512-byte sectors
  header.writeUInt16LE(0xfffe, 28); // byte order
  header.writeUInt16LE(9, 30); // sector shift
  header.writeUInt16LE(6, 32); // mini sector shift
  header.writeUInt32LE(0, 48); // first directory sector
  const names = ['Root Entry', ...streams];
  const directory = Buffer.alloc(Math.ceil(names.length / 4) * 512);
  names.forEach((name, i) => {
    const encoded = Buffer.from(`${name}\0`, 'utf16le');
    encoded.copy(directory, i * 128);
    directory.writeUInt16LE(encoded.length, i * 128 + 0x40);
    directory.writeUInt8(i === 0 ? 5 : 2, i * 128 + 0x42); // root storage, streams
  });
  return Buffer.concat([header, directory, content]);
}

/** The sheet as Excel saves it with a password to open: the package encrypted inside a compound file. */
export function encryptedWorkbook(sheet: Buffer): Buffer {
  const scrambled = Buffer.from(sheet.map((byte, i) => byte ^ (i * 131) & 0xff));
  return compoundFile(['\u0006DataSpaces', 'EncryptionInfo', 'EncryptedPackage'], scrambled);
}

/** The sheet saved as Excel 97-2003: a compound file with a Workbook stream. */
export const xlsWorkbook = (sheet: Buffer): Buffer => compoundFile(['Workbook', '\u0005SummaryInformation'], sheet);

/** The sheet saved as macro-enabled: a VBA project and the macro-enabled workbook type. */
export async function macroWorkbook(sheet: Buffer, { vbaProject = true, contentType = true } = {}): Promise<Buffer> {
  return withParts(sheet, (parts) => {
    if (vbaProject) parts.set('xl/vbaProject.bin', compoundFile(['VBA', 'PROJECT'], Buffer.from('Attribute VB_Name = "Module1"')));
    if (contentType) {
      const types = parts.get('[Content_Types].xml')!.toString('utf8')
        .replace('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml', 'application/vnd.ms-excel.sheet.macroEnabled.main+xml')
        .replace('<Default ', '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Default ');
      parts.set('[Content_Types].xml', Buffer.from(types, 'utf8'));
    }
  });
}

/** The answer sheet as a CSV, as Excel's 名前を付けて保存 → CSV writes it, in the given encoding. */
export async function csvOf(sheet: Buffer, encoding: 'utf8' | 'shift_jis' | 'utf16le-bom'): Promise<Buffer> {
  const workbook = await load(sheet);
  const csvBook = new ExcelJS.Workbook();
  const target = csvBook.addWorksheet('回答');
  workbook.getWorksheet('回答')!.eachRow((row, n) => (target.getRow(n).values = row.values));
  const text = Buffer.from(await csvBook.csv.writeBuffer()).toString('utf8');
  if (encoding === 'shift_jis') return iconv.encode(text, 'Shift_JIS');
  if (encoding === 'utf16le-bom') return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/,/g, '\t'), 'utf16le')]);
  return Buffer.from(text, 'utf8');
}

/** An OpenDocument spreadsheet as LibreOffice writes one: the mimetype entry first, stored. */
export function odsFile(): Buffer {
  return writeZip([
    { name: 'mimetype', data: Buffer.from('application/vnd.oasis.opendocument.spreadsheet'), method: 0 },
    { name: 'content.xml', data: Buffer.from('<?xml version="1.0" encoding="UTF-8"?><office:document-content/>') },
    { name: 'META-INF/manifest.xml', data: Buffer.from('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest/>') },
  ]);
}

/** The file with the deflated data of its sheet XML overwritten: an invalid deflate block, as a broken download leaves. */
export async function corruptedSheetData(sheet: Buffer): Promise<Buffer> {
  const parts = await zipParts(sheet);
  return writeZip([...parts].map(([name, data]) => {
    if (name !== SHEET) return { name, data };
    const deflated = deflateRawSync(data);
    deflated.fill(0xff, 0, 64);
    return { name, deflated, crc: crc32(data), size: data.length };
  }));
}

/**
 * The sheet XML with the mark in `cell` changed to another of the marks, as a hex editor would
 * change it: the cell points at another shared string, nothing else moves.
 */
export async function remarkedSheetXml(sheet: Buffer, cell: string): Promise<{ original: Buffer; remarked: Buffer; mark: string }> {
  const parts = await zipParts(sheet);
  const original = parts.get(SHEET)!;
  const strings = [...parts.get('xl/sharedStrings.xml')!.toString('utf8').matchAll(/<si><t[^>]*>([^<]*)<\/t><\/si>/g)].map((match) => match[1]);
  const xml = original.toString('utf8');
  const at = new RegExp(`(<c r="${cell}"[^>]*t="s"[^>]*><v>)(\\d+)(</v>)`).exec(xml);
  if (!at) throw new Error(`the sheet has no shared-string cell ${cell}`);
  const mark = ['○', '△', '×'].find((candidate) => candidate !== strings[Number(at[2])])!;
  const index = strings.indexOf(mark);
  if (index < 0) throw new Error(`the sheet's shared strings have no ${mark}`);
  const remarked = Buffer.from(xml.replace(at[0], `${at[1]}${index}${at[3]}`), 'utf8');
  return { original, remarked, mark };
}

/** The file with its sheet XML changed after saving: `remarked` stored under the CRC-32 and size of the bytes Excel saved, as its headers recorded them. */
export async function afterCrcRecorded(sheet: Buffer, remarked: Buffer, original: Buffer): Promise<Buffer> {
  const parts = await zipParts(sheet);
  return writeZip([...parts].map(([name, data]) => (name === SHEET ? { name, data: remarked, crc: crc32(original) } : { name, data })));
}

/** The file with a second copy of its sheet XML at the end, under `name` (the same name, or one that a zip reader takes for it). */
export async function withSecondSheet(sheet: Buffer, second: Buffer, name = SHEET): Promise<Buffer> {
  const parts = await zipParts(sheet);
  return writeZip([...[...parts].map(([part, data]) => ({ name: part, data })), { name, data: second }]);
}
