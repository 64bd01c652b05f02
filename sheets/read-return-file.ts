/**
 * Checking a returned file as it arrives, whatever it is. The cheap checks run here: its first
 * bytes (empty, too large, .xls, encrypted, text) and its zip's central directory (entry count,
 * declared sizes, .ods, a VBA project), which inflate nothing. Everything that inflates or
 * parses it (each part with its bytes counted, the DOCTYPE scan, exceljs, the reader) runs in a
 * checker process of the pool, under a time and a memory limit, so that no file can stall or
 * bring down the worker.
 */
import type { CheckerPool } from './checker-pool';
import type { ExpectedReturn, ReturnReading } from './read-return-sheet';
import { checkFileBytes, checkZipDirectory } from './return-file-checks';

/**
 * Checks and reads a returned file, whatever its bytes: never throws for what a file holds.
 * The problems name what the file is (an .xls, an encrypted workbook, a CSV, too large, a zip
 * bomb…) or, for a return sheet, each cell that is wrong.
 */
export async function readReturnFile(data: Buffer, expected: ExpectedReturn, checkers: CheckerPool): Promise<ReturnReading> {
  const problem = checkFileBytes(data, checkers.limits) ?? (await checkZipDirectory(data, checkers.limits));
  if (problem) return { ok: false, problems: [problem], answers: [] };
  return checkers.read(data, expected);
}
