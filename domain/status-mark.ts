import { z } from 'zod';
import { ARAO_COLLECTION } from './arao-collection';
import { readRating, unknownRatingMessage } from './collection-definition';

/**
 * 取組状況（年度末時点）: ○ done, △ partly done, × not done or under study, - from next year on,
 * and blank where the item did not exist yet (not applicable).
 */
export const STATUS_MARKS = ['○', '△', '×', '-'] as const;
export const StatusMark = z.enum([...STATUS_MARKS, '']);
export type StatusMark = z.infer<typeof StatusMark>;

/** Arao's scale of the marks, from its definition. */
export const STATUS_SCALE = ARAO_COLLECTION.scales[0]!;

export const STATUS_MARK_MEANINGS = Object.fromEntries(STATUS_SCALE.values.map((value) => [value.symbol, value.label])) as Readonly<
  Record<Exclude<StatusMark, ''>, string>
>;

export type MarkReading =
  | { ok: true; mark: StatusMark; variant: boolean }
  | { ok: false; value: string };

/**
 * Reads a status mark cell as Arao's definition reads its scale: surrounding spaces (also
 * U+3000) and emoji variation selectors are ignored; `variant` tells that the cell held a
 * look-alike that was mapped.
 */
export function readStatusMark(cell: string): MarkReading {
  const reading = readRating(STATUS_SCALE, cell);
  return reading.ok ? { ok: true, mark: reading.symbol as StatusMark, variant: reading.variant } : reading;
}

export function unknownStatusMarkMessage(value: string): string {
  return unknownRatingMessage(STATUS_SCALE, value);
}
