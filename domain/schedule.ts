import { z } from 'zod';

/** スケジュール（年度）: what the plan says for an item in a fiscal year. */
export const SCHEDULE_ENTRIES = ['実施', '検討', '順次実施', '→'] as const;
export const ScheduleEntry = z.enum([...SCHEDULE_ENTRIES, '']);
export type ScheduleEntry = z.infer<typeof ScheduleEntry>;

/** `→` continues the entry of the year before. */
export const CONTINUE: ScheduleEntry = '→';

const ENTRY_VARIANTS: ReadonlyMap<string, ScheduleEntry> = new Map<string, ScheduleEntry>([
  ['実施', '実施'],
  ['検討', '検討'],
  ['順次実施', '順次実施'],
  ...['→', '⇒', '➡', '➔', '⟶'].map((c) => [c, '→'] as const),
]);

/** Reads a schedule cell; undefined when the cell is not a schedule entry. */
export function readScheduleEntry(cell: string): ScheduleEntry | undefined {
  const text = cell.replace(/[\uFE0E\uFE0F]/g, '').replace(/^[\s\u3000]+|[\s\u3000]+$/g, '');
  return text === '' ? '' : ENTRY_VARIANTS.get(text);
}

/**
 * Whether a schedule reads as a plan can: every `→` continues an entry, and once an item is
 * carried out (実施 / 順次実施) it does not go back to being studied (検討).
 */
export function isPlausibleSchedule(entries: readonly ScheduleEntry[]): boolean {
  let previous: ScheduleEntry = '';
  let carriedOut = false;
  for (const entry of entries) {
    if (entry === CONTINUE && previous === '') return false;
    if (entry === '検討' && carriedOut) return false;
    if (entry === '実施' || entry === '順次実施') carriedOut = true;
    if (entry !== CONTINUE) previous = entry;
  }
  return true;
}
