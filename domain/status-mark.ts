import { z } from 'zod';

/**
 * 取組状況（年度末時点）: ○ done, △ partly done, × not done or under study, - from next year on,
 * and blank where the item did not exist yet (not applicable).
 */
export const STATUS_MARKS = ['○', '△', '×', '-'] as const;
export const StatusMark = z.enum([...STATUS_MARKS, '']);
export type StatusMark = z.infer<typeof StatusMark>;

export const STATUS_MARK_MEANINGS: Readonly<Record<Exclude<StatusMark, ''>, string>> = {
  '○': '実施済み',
  '△': '一部実施',
  '×': '未実施または検討中',
  '-': '翌年度以降実施',
};

// An explicit table rather than NFKC: NFKC leaves 〇 ◯ ▲ ✕ ― ー alone and would turn
// other look-alikes into letters, and each variant here is one that people really type.
const MARK_VARIANTS: ReadonlyMap<string, StatusMark> = new Map<string, StatusMark>([
  ...['○', '〇', '◯', '⭕'].map((c) => [c, '○'] as const),
  ...['△', '▲', '▵'].map((c) => [c, '△'] as const),
  ...['×', '✕', '✖', '╳', 'x', 'X', 'ｘ', 'Ｘ'].map((c) => [c, '×'] as const),
  ...['-', '‐', '−', '–', '—', '―', 'ー', '─', '－'].map((c) => [c, '-'] as const),
]);

export type MarkReading =
  | { ok: true; mark: StatusMark; variant: boolean }
  | { ok: false; value: string };

/**
 * Reads a status mark cell. Surrounding spaces (also U+3000) and emoji variation selectors
 * are ignored; `variant` tells that the cell held a look-alike that was mapped.
 */
export function readStatusMark(cell: string): MarkReading {
  const text = cell.replace(/[\uFE0E\uFE0F]/g, '').replace(/^[\s\u3000]+|[\s\u3000]+$/g, '');
  if (text === '') return { ok: true, mark: '', variant: false };
  const mark = MARK_VARIANTS.get(text);
  if (mark === undefined) return { ok: false, value: cell };
  return { ok: true, mark, variant: mark !== text };
}

export function unknownStatusMarkMessage(value: string): string {
  return `取組状況の記号「${value}」は使えません（○ △ × - または空欄）`;
}
