import type { DivisionRole } from './cycle';

/**
 * A division's state in a cycle and what moves it, as pure functions: the division workflow
 * applies them to its state, the pages and the office's actions ask the same questions of a
 * status they read. No I/O and no schema library here: the workflows import this module.
 */
export type DivisionState = 'preparing' | 'waiting' | 'held' | 'returned' | 'sentBack' | 'excused' | 'informed' | 'closed';

/** A division that still owes a return: the ladder reminds it, the office may excuse it. */
export function owesReturn(state: DivisionState): boolean {
  return state === 'waiting' || state === 'sentBack';
}

/** What a check of a return comes to: refused on a problem, held while a warning waits for its explanation, else accepted. */
export function checkOutcome(check: { ok: boolean; warnings?: readonly unknown[] }): 'accepted' | 'held' | 'refused' {
  return !check.ok ? 'refused' : check.warnings?.length ? 'held' : 'accepted';
}

export type DivisionEvent =
  /** Its first sheet went out. */
  | { kind: 'sheetSent'; role: DivisionRole }
  /** A return was checked: accepted, held for 確認事項, or refused. */
  | { kind: 'checked'; result: 'accepted' | 'held' | 'refused' }
  /** The reform office refused the accepted return (差戻し). */
  | { kind: 'sentBack' }
  /** The reform office took the division off the ladder. */
  | { kind: 'excused' }
  /** Its items changed and a new sheet went out with this role. */
  | { kind: 'resent'; role: DivisionRole }
  /** The cycle closed. */
  | { kind: 'closed' };

/**
 * The state after `event`. `returned` says whether an accepted return counts now: it keeps
 * counting through a held resubmission, and through a change of role.
 */
export function nextState(state: DivisionState, event: DivisionEvent, returned: boolean): DivisionState {
  switch (event.kind) {
    case 'sheetSent':
      return state === 'preparing' ? (event.role === 'answer' ? 'waiting' : 'informed') : state;
    case 'checked':
      if (event.result === 'accepted') return 'returned';
      return event.result === 'held' && !returned ? 'held' : state;
    case 'sentBack':
      return 'sentBack';
    case 'excused':
      return owesReturn(state) ? 'excused' : state;
    case 'resent':
      if (event.role === 'inform' && !returned) return 'informed';
      return event.role === 'answer' && state === 'informed' ? 'waiting' : state;
    case 'closed':
      // A held or sent-back return stays so, and an excuse stays an excuse.
      return returned || state === 'held' || state === 'sentBack' || state === 'excused' ? state : 'closed';
  }
}
