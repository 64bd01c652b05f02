import { isClosed } from '../store/cycle-result';
import { CYCLES_FOLDER } from '../store/file-store';
import type { ObjectStore } from '../store/object-store';
import type { ReturnRecord } from '../store/return-record';
import { hasSnapshot } from '../store/snapshot';
import type { OutboxEntry } from '../store/outbox';
import type { CycleStatus, DivisionStatus } from '../workflows/definitions';

/**
 * Where each division of a cycle stands, as the reform office follows it: one of the groups of
 * its progress bar. Divisions that only see items (通知のみ) answer nothing and are in none.
 */

export type Progress = 'returned' | 'held' | 'refused' | 'waiting' | 'overdue' | 'escalated' | 'excused';

/** In the bar's order, and the names the page shows. */
export const PROGRESS_NAMES: Record<Progress, string> = {
  returned: '回答済み',
  held: '確認事項あり',
  refused: '不備あり',
  waiting: '回答待ち',
  overdue: '期限超過',
  escalated: '上長報告済み',
  excused: '提出免除',
};
export const PROGRESS_ORDER = Object.keys(PROGRESS_NAMES) as Progress[];

export function deadlineInForce(status: CycleStatus, division: DivisionStatus): string {
  return division.deadline ?? status.deadline;
}

/**
 * Whether the ladder planned from the division's deadline in force has reached an escalation
 * rung. An extension plans the ladder afresh, so rungs sent for an earlier deadline do not count.
 */
export function escalated(entries: readonly OutboxEntry[], escalationRungs: ReadonlySet<number>, divisionId: string, deadline: string): boolean {
  // The digits of the deadline, as the rung mail's key carries them.
  const digits = deadline.replace(/[^0-9]/g, '');
  return entries.some((e) => e.divisionId === divisionId && e.rung !== undefined && e.deadlineDigits === digits && escalationRungs.has(e.rung));
}

/**
 * A division that owes a return (or owed one when the cycle closed) is, from the worst down:
 * escalated, overdue, refused when its latest attempt was, else waiting.
 */
export function progressOf(status: CycleStatus, division: DivisionStatus, opts: { escalated: boolean; latest?: ReturnRecord; now: number }): Progress | undefined {
  if (division.role !== 'answer') return undefined;
  switch (division.state) {
    case 'returned':
    case 'held':
    case 'excused':
      return division.state;
    case 'informed':
      return undefined;
  }
  if (opts.escalated) return 'escalated';
  if (division.state === 'closed' || Date.parse(deadlineInForce(status, division)) < opts.now) return 'overdue';
  if (opts.latest && !opts.latest.ok) return 'refused';
  return 'waiting';
}

export interface CycleEntry {
  id: string;
  closed: boolean;
}

/** The cycles of this run store (each launched with a snapshot), latest first. */
export async function listCycles(store: ObjectStore): Promise<CycleEntry[]> {
  const ids = await Promise.all((await store.folders(`${CYCLES_FOLDER}/`)).map(async (id) => ((await hasSnapshot(store, id)) ? [id] : [])));
  const launched = ids.flat().sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  return Promise.all(launched.map(async (id) => ({ id, closed: await isClosed(store, id) })));
}

/** The cycle a page means: the one asked for, else the one open cycle, else the latest when none is open. */
export function chooseCycle(cycles: readonly CycleEntry[], asked: string | undefined): CycleEntry | undefined {
  if (asked) return cycles.find((c) => c.id === asked);
  const open = cycles.filter((c) => !c.closed);
  if (open.length > 1) return undefined;
  return open[0] ?? cycles[0];
}
