import { describe, expect, it } from 'vitest';
import { type DivisionEvent, type DivisionState, nextState, owesReturn } from '../domain/division-state';

/** The states a division goes through, from `preparing`, each event with whether an accepted return counts then. */
function run(events: Array<[DivisionEvent, boolean]>): DivisionState[] {
  let state: DivisionState = 'preparing';
  return events.map(([event, returned]) => (state = nextState(state, event, returned)));
}

describe('a division\'s state', () => {
  it('waits once its sheet is out, is refused without moving, held, then returned', () => {
    expect(run([[{ kind: 'sheetSent', role: 'answer' }, false], [{ kind: 'checked', result: 'refused' }, false], [{ kind: 'checked', result: 'held' }, false], [{ kind: 'checked', result: 'accepted' }, false]])).toEqual(['waiting', 'waiting', 'held', 'returned']);
  });

  it('keeps counting an accepted return through a held resubmission, until it is sent back', () => {
    expect(run([[{ kind: 'sheetSent', role: 'answer' }, false], [{ kind: 'checked', result: 'accepted' }, false], [{ kind: 'checked', result: 'held' }, true], [{ kind: 'sentBack' }, true], [{ kind: 'closed' }, false]])).toEqual(['waiting', 'returned', 'returned', 'sentBack', 'sentBack']);
  });

  it('is excused only while it owes a return, and the excuse stays at the close', () => {
    expect(run([[{ kind: 'sheetSent', role: 'answer' }, false], [{ kind: 'excused' }, false], [{ kind: 'closed' }, false]])).toEqual(['waiting', 'excused', 'excused']);
    expect(run([[{ kind: 'sheetSent', role: 'answer' }, false], [{ kind: 'checked', result: 'accepted' }, false], [{ kind: 'excused' }, true]])).toEqual(['waiting', 'returned', 'returned']);
    expect(['waiting', 'sentBack'].every((s) => owesReturn(s as DivisionState))).toBe(true);
    expect((['preparing', 'held', 'returned', 'excused', 'informed', 'closed'] as const).some(owesReturn)).toBe(false);
  });

  it('follows a change of role: an informed division that gains an item waits, one that loses its items is informed unless it returned', () => {
    expect(run([[{ kind: 'sheetSent', role: 'inform' }, false], [{ kind: 'resent', role: 'answer' }, false], [{ kind: 'resent', role: 'inform' }, false]])).toEqual(['informed', 'waiting', 'informed']);
    expect(run([[{ kind: 'sheetSent', role: 'answer' }, false], [{ kind: 'checked', result: 'accepted' }, false], [{ kind: 'resent', role: 'inform' }, true]])).toEqual(['waiting', 'returned', 'returned']);
  });

  it('closes a division that owed a return, and leaves returned, held and informed ones as they are', () => {
    expect(nextState('waiting', { kind: 'closed' }, false)).toBe('closed');
    expect(nextState('informed', { kind: 'closed' }, false)).toBe('closed');
    expect(nextState('held', { kind: 'closed' }, false)).toBe('held');
    expect(nextState('returned', { kind: 'closed' }, true)).toBe('returned');
  });
});
