/**
 * What a returned file is, told before any spreadsheet library opens it: from its first bytes
 * (empty, too large, an old .xls, an encrypted workbook, text), then from its zip container
 * (the central directory's entry count, names and declared sizes, the parts as they inflate
 * with their CRC-32, any DOCTYPE in an XML part). Each check stops at the first problem, which
 * says what the file is.
 */
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { fileProblem, RETURN_PROBLEMS as P, type ReturnProblem } from './return-problems';

/** OLE2 compound file (.xls, .doc, and an encrypted .xlsx, which Office wraps in one). */
const OLE2_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
/** Local file header, and the end of an empty archive's central directory. */
const ZIP_MAGICS = [Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('PK\x05\x06', 'latin1')];
// An encrypted OOXML file (MS-OFFCRYPTO) is a compound file with these two streams.
const ENCRYPTION_STREAMS = ['EncryptionInfo', 'EncryptedPackage'];
// A compound file's directory entries are 128 bytes; the name (UTF-16LE) opens one, its byte length (with the NUL) is at 0x40.
const DIRECTORY_ENTRY_SIZE = 128;
const DIRECTORY_NAME_LENGTH_OFFSET = 0x40;
/** How much of a file decides whether it is text. */
const TEXT_SNIFF_BYTES = 64 * 1024;

export interface FileLimits {
  /** Largest file taken, in bytes. */
  maxFileBytes: number;
}

function startsWith(data: Buffer, magic: Buffer): boolean {
  return data.length >= magic.length && data.subarray(0, magic.length).equals(magic);
}

/** Whether a compound file holds a stream of this name, as a directory entry (not just the text somewhere). */
function hasCompoundStream(data: Buffer, name: string): boolean {
  const needle = Buffer.from(`${name}\0`, 'utf16le');
  for (let at = data.indexOf(needle); at >= 0; at = data.indexOf(needle, at + 1)) {
    if (at % DIRECTORY_ENTRY_SIZE === 0 && at + DIRECTORY_NAME_LENGTH_OFFSET + 2 <= data.length && data.readUInt16LE(at + DIRECTORY_NAME_LENGTH_OFFSET) === needle.length) return true;
  }
  return false;
}

/** Text as a CSV, a tab-separated or a "Unicode text" export is: a byte order mark, or no control bytes but line breaks and tabs. */
function looksLikeText(data: Buffer): boolean {
  if ([[0xef, 0xbb, 0xbf], [0xff, 0xfe], [0xfe, 0xff]].some((bom) => startsWith(data, Buffer.from(bom)))) return true;
  // Shift_JIS and UTF-8 never use bytes below 0x20 for anything but ASCII controls; ISO-2022-JP uses ESC.
  return data.subarray(0, TEXT_SNIFF_BYTES).every((byte) => byte >= 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0c || byte === 0x1a || byte === 0x1b);
}

/** The problem with a file that its bytes alone show, or undefined when it may be an xlsx (a zip). Reads no more than the first bytes, and a compound file's directory names. */
export function checkFileBytes(data: Buffer, limits: FileLimits): ReturnProblem | undefined {
  if (data.length === 0) return fileProblem(P.emptyFile);
  if (data.length > limits.maxFileBytes) return fileProblem(P.fileTooLarge, data.length, limits.maxFileBytes);
  if (startsWith(data, OLE2_MAGIC)) {
    return ENCRYPTION_STREAMS.some((name) => hasCompoundStream(data, name)) ? fileProblem(P.encryptedFile) : fileProblem(P.xlsFile);
  }
  if (ZIP_MAGICS.some((magic) => startsWith(data, magic))) return undefined;
  return looksLikeText(data) ? fileProblem(P.textFile) : fileProblem(P.notXlsx);
}

export interface ContainerLimits {
  /** Most entries (parts) the zip may hold. */
  maxParts: number;
  /** Largest size one part may inflate to, in bytes. */
  maxPartBytes: number;
  /** Largest size all parts together may inflate to, in bytes. */
  maxExpandedBytes: number;
}

// What exceljs (and Excel) parse as XML; media (an SVG may well have a DOCTYPE) and binary parts are left alone.
const XML_PART = /\.(xml|rels|vml)$/i;
const DOCTYPE = /<!DOCTYPE/i;
// Longest text a match may straddle two chunks with.
const CHUNK_OVERLAP = 16;
const CONTENT_TYPES = '[Content_Types].xml';
const WORKBOOK = 'xl/workbook.xml';
/** How much of the content types and the workbook part tells the file's kind (a macro-enabled type, a Strict OOXML namespace); Excel writes both in a few KB. */
const KIND_BYTES = 64 * 1024;
// Excel's "Strict Open XML Spreadsheet" namespace, which exceljs does not read.
const STRICT_NAMESPACE = 'http://purl.oclc.org/ooxml/spreadsheetml/main';

type Checked<T> = { problem: ReturnProblem } | T;

const isFolder = (entry: yauzl.Entry) => entry.fileName.endsWith('/');

/**
 * A part's name as exceljs gets it: JSZip, which exceljs opens zips with, drops `.` and empty
 * segments, so `xl/./worksheets/sheet1.xml` and `xl//worksheets/sheet1.xml` are the answer
 * sheet to it. yauzl has already refused `..` and absolute names and turned `\` into `/`.
 */
const partName = (entry: yauzl.Entry) => entry.fileName.split('/').filter((segment) => segment !== '' && segment !== '.').join('/');

/** What two entries must not share: Excel takes part names case-insensitively (OPC), exceljs by the exact name, so a file with both would show Excel one sheet and the reader another. */
const partKey = (entry: yauzl.Entry) => partName(entry).toLowerCase();

/**
 * Inflates one part, counting bytes as they come: a part that inflates past its declared size
 * (headers can lie) or past what is left of the budget is stopped there, and one whose bytes
 * do not match the central directory's CRC-32 is refused. XML parts are scanned for a DOCTYPE,
 * in UTF-8 and in UTF-16 (whose ASCII is the same bytes with NULs between). The bytes are kept,
 * at most the budget, since they are what exceljs is given.
 */
async function readPart(zip: yauzl.ZipFile, entry: yauzl.Entry, budget: number): Promise<Checked<{ data: Buffer }>> {
  let stream: NodeJS.ReadableStream & { destroy(): void };
  try {
    stream = (await zip.openReadStreamPromise(entry)) as typeof stream;
  } catch {
    return { problem: fileProblem(P.corruptFile) };
  }
  const scan = XML_PART.test(entry.fileName);
  return new Promise((resolve) => {
    let bytes = 0;
    let crc = 0;
    let tail = '';
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (reading: Checked<{ data: Buffer }>) => {
      if (done) return;
      done = true;
      stream.removeAllListeners('data');
      stream.destroy();
      resolve(reading);
    };
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      bytes += chunk.length;
      if (bytes > entry.uncompressedSize) return finish({ problem: fileProblem(P.partSizeMismatch, entry.fileName) });
      if (bytes > budget) return finish({ problem: fileProblem(P.expandedTooLarge, bytes, budget) });
      if (scan) {
        const text = tail + chunk.toString('latin1').replace(/\0/g, '');
        if (DOCTYPE.test(text)) return finish({ problem: fileProblem(P.xmlDoctype, entry.fileName) });
        tail = text.slice(-CHUNK_OVERLAP);
      }
      crc = crc32(chunk, crc);
      chunks.push(chunk);
    });
    stream.on('error', () => finish({ problem: fileProblem(P.corruptFile) }));
    stream.on('end', () => {
      if (bytes < entry.uncompressedSize) return finish({ problem: fileProblem(P.partSizeMismatch, entry.fileName) });
      if (crc !== entry.crc32) return finish({ problem: fileProblem(P.partCrcMismatch, entry.fileName) });
      finish({ data: Buffer.concat(chunks, bytes) });
    });
  });
}

/** The zip's entries as its central directory lists them; a problem when the directory cannot be read or lists too many. */
async function openZip(data: Buffer, limits: ContainerLimits): Promise<Checked<{ zip: yauzl.ZipFile; entries: yauzl.Entry[] }>> {
  let zip: yauzl.ZipFile;
  try {
    // Sizes are checked here, as the bytes come; yauzl's own check would only say "too many bytes".
    zip = await yauzl.fromBufferPromise(data, { autoClose: false, validateEntrySizes: false, strictFileNames: false });
  } catch {
    return { problem: fileProblem(P.corruptFile) };
  }
  // The end record's count, before a single entry is read.
  if (zip.entryCount > limits.maxParts) {
    zip.close();
    return { problem: fileProblem(P.tooManyParts, zip.entryCount, limits.maxParts) };
  }
  const entries: yauzl.Entry[] = [];
  try {
    for await (const entry of zip.eachEntry()) entries.push(entry);
  } catch {
    zip.close();
    return { problem: fileProblem(P.corruptFile) };
  }
  return { zip, entries };
}

/** What the central directory alone tells: another format, a macro project, a part named twice, parts that declare too much. */
function directoryProblem(entries: readonly yauzl.Entry[], limits: ContainerLimits): ReturnProblem | undefined {
  const parts = new Map<string, yauzl.Entry>();
  // The name given is the first entry's: the one a reader of the file would see first.
  let twice: yauzl.Entry | undefined;
  for (const entry of entries.filter((entry) => !isFolder(entry))) {
    const key = partKey(entry);
    if (parts.has(key)) twice ??= parts.get(key);
    else parts.set(key, entry);
  }
  const names = new Set(parts.keys());
  if (names.has('mimetype') && names.has('content.xml')) return fileProblem(P.odsFile);
  if (names.has('xl/vbaproject.bin')) return fileProblem(P.macroFile);
  if (!names.has(CONTENT_TYPES.toLowerCase()) || !names.has(WORKBOOK)) return fileProblem(P.notXlsx);
  if (twice) return fileProblem(P.duplicatePart, partName(twice));
  let declared = 0;
  for (const entry of entries) {
    if (entry.uncompressedSize > limits.maxPartBytes) return fileProblem(P.partTooLarge, entry.fileName, entry.uncompressedSize, limits.maxPartBytes);
    declared += entry.uncompressedSize;
  }
  if (declared > limits.maxExpandedBytes) return fileProblem(P.expandedTooLarge, declared, limits.maxExpandedBytes);
  return undefined;
}

/**
 * The problem that an xlsx's central directory shows, or undefined: reads the directory only
 * (the entry count first, then each entry's name and declared sizes), inflates nothing, so it
 * is cheap enough to run where the file arrives.
 */
export async function checkZipDirectory(data: Buffer, limits: ContainerLimits): Promise<ReturnProblem | undefined> {
  const opened = await openZip(data, limits);
  if ('problem' in opened) return opened.problem;
  opened.zip.close();
  return directoryProblem(opened.entries, limits);
}

interface VerifiedPart {
  name: string;
  data: Buffer;
  crc: number;
}

// Stored, UTF-8 names, 1980-01-01: the fields a local header and its central directory entry share, from "version needed".
const STORED_VERSION = 10;
const UTF8_NAMES = 0x0800;
const DOS_DATE_1980 = 0x21;
const SHARED_FIELDS_BYTES = 26;

function sharedFields(part: VerifiedPart, name: Buffer): Buffer {
  const fields = Buffer.alloc(SHARED_FIELDS_BYTES);
  fields.writeUInt16LE(STORED_VERSION, 0);
  fields.writeUInt16LE(UTF8_NAMES, 2);
  fields.writeUInt16LE(DOS_DATE_1980, 8);
  fields.writeUInt32LE(part.crc, 10);
  fields.writeUInt32LE(part.data.length, 14);
  fields.writeUInt32LE(part.data.length, 18);
  fields.writeUInt16LE(name.length, 22);
  return fields;
}

const signature = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return bytes;
};

/** The parts as a zip of stored entries, nothing in it but their names and bytes: sizes and offsets fit 32 bits, as the limits keep them far below 4 GB. */
function storedZip(parts: readonly VerifiedPart[]): Buffer {
  const locals: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const name = Buffer.from(part.name, 'utf8');
    const fields = sharedFields(part, name);
    // Comment length, disk, attributes, then the local header's offset.
    const rest = Buffer.alloc(14);
    rest.writeUInt32LE(offset, 10);
    locals.push(signature(0x04034b50), fields, name, part.data);
    directory.push(signature(0x02014b50), Buffer.alloc(2), fields, rest, name);
    offset += 4 + fields.length + name.length + part.data.length;
  }
  const directoryBytes = directory.reduce((sum, bytes) => sum + bytes.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(directoryBytes, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...directory, end]);
}

/**
 * Checks an xlsx's zip container and gives the bytes exceljs may open, or the problem: the
 * central directory as `checkZipDirectory` checks it, then every part inflated once with its
 * bytes counted (a part whose header understates its size is stopped at the declared size),
 * its CRC-32 checked against the central directory's, and every XML part scanned for a DOCTYPE.
 * Inflates and keeps at most `maxExpandedBytes`.
 *
 * What exceljs opens is not the file but the parts verified here, packed again stored under
 * the names checked. Handing it the file after checking it would trust two zip readers to
 * agree on what the file holds, and they do not: JSZip takes each name from the local header
 * where yauzl takes the central directory's, resolves `.` and empty segments, moves offsets
 * when bytes precede the archive, and never checks a CRC; yauzl ignores a data descriptor's
 * CRC and sizes. Re-packed, the only entries exceljs can see are the ones verified, each exactly
 * as verified; folder entries, never read, are left out.
 */
export async function verifyZipContainer(data: Buffer, limits: ContainerLimits): Promise<Checked<{ verified: Buffer }>> {
  const opened = await openZip(data, limits);
  if ('problem' in opened) return opened;
  const { zip, entries } = opened;
  try {
    const problem = directoryProblem(entries, limits);
    if (problem) return { problem };
    let inflated = 0;
    const parts: VerifiedPart[] = [];
    for (const entry of entries) {
      if (isFolder(entry)) continue;
      if (entry.isEncrypted()) return { problem: fileProblem(P.encryptedFile) };
      if (!entry.canDecodeFileData()) return { problem: fileProblem(P.corruptFile) };
      const reading = await readPart(zip, entry, limits.maxExpandedBytes - inflated);
      if ('problem' in reading) return reading;
      inflated += reading.data.length;
      parts.push({ name: partName(entry), data: reading.data, crc: entry.crc32 });
    }
    const start = (name: string) => parts.find((part) => part.name === name)?.data.subarray(0, KIND_BYTES).toString('latin1') ?? '';
    // application/vnd.ms-excel.sheet.macroEnabled.main+xml: an .xlsm renamed .xlsx, or saved with its macros gone.
    if (/macroEnabled/i.test(start(CONTENT_TYPES))) return { problem: fileProblem(P.macroFile) };
    if (start(WORKBOOK).includes(STRICT_NAMESPACE)) return { problem: fileProblem(P.strictXlsx) };
    return { verified: storedZip(parts) };
  } finally {
    zip.close();
  }
}
