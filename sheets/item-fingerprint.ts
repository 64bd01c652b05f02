import { createHash } from 'node:crypto';

/**
 * A digest of an item's prefilled cells, written when the sheet is made so that a return whose
 * locked cells were changed (or rows moved) can be told from the sheet that was sent. Texts are
 * trimmed because that is how cells are read back.
 */
export function itemFingerprint(prefilled: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify(prefilled.map((text) => text.trim())))
    .digest('hex');
}
