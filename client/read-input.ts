import { readFile, stat } from 'node:fs/promises';
import { UserError } from '../store/master-files';

/** Plan tables and return sheets are a few hundred kilobytes; anything far larger is not one. */
export const MAX_INPUT_BYTES = 20 * 1024 * 1024;

/** Reads a file the user named, refusing a missing or oversized one in Japanese. */
export async function readInputFile(path: string): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new UserError(`ファイルが見つかりません: ${path}`);
  }
  if (size > MAX_INPUT_BYTES) {
    throw new UserError(`ファイルが大きすぎます（${(size / 1024 / 1024).toFixed(1)} MB、上限 ${MAX_INPUT_BYTES / 1024 / 1024} MB）: ${path}`);
  }
  return readFile(path);
}
