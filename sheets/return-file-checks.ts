/**
 * What a returned file is, told before any spreadsheet library opens it: from its first bytes
 * (empty, too large, an old .xls, an encrypted workbook, text), then from its zip container
 * (the central directory's entry count and declared sizes, the parts as they inflate, any
 * DOCTYPE in an XML part). Each check stops at the first problem, which says what the file is.
 */
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
/** Parts whose start is kept to tell the file's kind: a macro-enabled type, a Strict OOXML namespace. */
const KEPT_PARTS = new Set([CONTENT_TYPES, WORKBOOK]);
/** How much of a kept part is kept; Excel writes both in a few KB. */
const KEPT_BYTES = 64 * 1024;
// Excel's "Strict Open XML Spreadsheet" namespace, which exceljs does not read.
const STRICT_NAMESPACE = 'http://purl.oclc.org/ooxml/spreadsheetml/main';

interface PartReading {
  problem?: ReturnProblem;
  bytes: number;
  text?: string;
}

/**
 * Inflates one part, counting bytes as they come: a part that inflates past its declared size
 * (headers can lie) or past what is left of the budget is stopped there. XML parts are scanned
 * for a DOCTYPE, in UTF-8 and in UTF-16 (whose ASCII is the same bytes with NULs between).
 */
async function readPart(zip: yauzl.ZipFile, entry: yauzl.Entry, budget: number): Promise<PartReading> {
  let stream: NodeJS.ReadableStream & { destroy(): void };
  try {
    stream = (await zip.openReadStreamPromise(entry)) as typeof stream;
  } catch {
    return { problem: fileProblem(P.corruptFile), bytes: 0 };
  }
  const scan = XML_PART.test(entry.fileName);
  const keep = KEPT_PARTS.has(entry.fileName);
  return new Promise((resolve) => {
    let bytes = 0;
    let tail = '';
    let kept = '';
    let done = false;
    const finish = (reading: PartReading) => {
      if (done) return;
      done = true;
      stream.removeAllListeners('data');
      stream.destroy();
      resolve(reading);
    };
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      bytes += chunk.length;
      if (bytes > entry.uncompressedSize) return finish({ problem: fileProblem(P.partSizeMismatch, entry.fileName), bytes });
      if (bytes > budget) return finish({ problem: fileProblem(P.expandedTooLarge, bytes, budget), bytes });
      if (scan) {
        const text = tail + chunk.toString('latin1').replace(/\0/g, '');
        if (DOCTYPE.test(text)) return finish({ problem: fileProblem(P.xmlDoctype, entry.fileName), bytes });
        tail = text.slice(-CHUNK_OVERLAP);
      }
      if (keep && kept.length < KEPT_BYTES) kept += chunk.toString('latin1');
    });
    stream.on('error', () => finish({ problem: fileProblem(P.corruptFile), bytes }));
    stream.on('end', () => {
      if (bytes < entry.uncompressedSize) return finish({ problem: fileProblem(P.partSizeMismatch, entry.fileName), bytes });
      finish({ bytes, ...(keep && { text: kept }) });
    });
  });
}

/** The zip's entries as its central directory lists them; a problem when the directory cannot be read or lists too many. */
async function openZip(data: Buffer, limits: ContainerLimits): Promise<{ zip: yauzl.ZipFile; entries: yauzl.Entry[] } | { problem: ReturnProblem }> {
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

/** What the central directory alone tells: another format, a macro project, parts that declare too much. */
function directoryProblem(entries: readonly yauzl.Entry[], limits: ContainerLimits): ReturnProblem | undefined {
  const names = new Set(entries.map((entry) => entry.fileName.toLowerCase()));
  if (names.has('mimetype') && names.has('content.xml')) return fileProblem(P.odsFile);
  if (names.has('xl/vbaproject.bin')) return fileProblem(P.macroFile);
  if (!names.has(CONTENT_TYPES.toLowerCase()) || !names.has(WORKBOOK)) return fileProblem(P.notXlsx);
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

/**
 * The problem with an xlsx's zip container, or undefined when exceljs may open it: the central
 * directory as `checkZipDirectory` checks it, then every part inflated once with its bytes
 * counted, so that a part whose header understates its size is stopped at the declared size,
 * and every XML part scanned for a DOCTYPE. Inflates at most `maxExpandedBytes`.
 */
export async function checkZipContainer(data: Buffer, limits: ContainerLimits): Promise<ReturnProblem | undefined> {
  const opened = await openZip(data, limits);
  if ('problem' in opened) return opened.problem;
  const { zip, entries } = opened;
  try {
    const problem = directoryProblem(entries, limits);
    if (problem) return problem;
    let inflated = 0;
    const kept = new Map<string, string>();
    for (const entry of entries) {
      if (entry.fileName.endsWith('/')) continue;
      if (entry.isEncrypted()) return fileProblem(P.encryptedFile);
      if (!entry.canDecodeFileData()) return fileProblem(P.corruptFile);
      const reading = await readPart(zip, entry, limits.maxExpandedBytes - inflated);
      if (reading.problem) return reading.problem;
      inflated += reading.bytes;
      if (reading.text !== undefined) kept.set(entry.fileName, reading.text);
    }
    // application/vnd.ms-excel.sheet.macroEnabled.main+xml: an .xlsm renamed .xlsx, or saved with its macros gone.
    if (/macroEnabled/i.test(kept.get(CONTENT_TYPES) ?? '')) return fileProblem(P.macroFile);
    if (kept.get(WORKBOOK)?.includes(STRICT_NAMESPACE)) return fileProblem(P.strictXlsx);
    return undefined;
  } finally {
    zip.close();
  }
}
