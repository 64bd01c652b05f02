import { describe, expect, it } from 'vitest';
import { DEFAULT_ESCALATION_POLICY, EscalationPolicy, parseEscalationPolicy, rungRecipients } from '../domain/escalation-policy';
import { seedDirectory } from './support/seed';

const refusal = (input: unknown): string => {
  try {
    parseEscalationPolicy(input);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the policy was accepted');
};

describe('the escalation policy', () => {
  it('defaults to reminders 5 and 1 business days before, overdue after, then two escalations, at 09:00, 年末年始 closed', () => {
    expect(DEFAULT_ESCALATION_POLICY).toEqual({
      sendAt: '09:00',
      closedDays: { recurring: [{ from: '12-29', to: '01-03', name: '年末年始' }], dates: [] },
      rungs: [
        { kind: 'reminder', offsetBusinessDays: -5, to: ['division'] },
        { kind: 'reminder', offsetBusinessDays: -1, to: ['division'] },
        { kind: 'overdue', offsetBusinessDays: 1, to: ['division'], cc: ['divisionHead'] },
        { kind: 'escalation', offsetBusinessDays: 4, to: ['departmentHead'], cc: ['divisionHead'] },
        { kind: 'escalation', offsetBusinessDays: 9, to: ['reformOfficeHead'], cc: ['departmentHead'] },
      ],
    });
    expect(parseEscalationPolicy({})).toEqual(DEFAULT_ESCALATION_POLICY);
    expect(Object.isFrozen(DEFAULT_ESCALATION_POLICY.rungs[0])).toBe(true);
    // A parsed default is a copy that can be changed.
    parseEscalationPolicy({}).rungs[0]!.offsetBusinessDays = -3;
    expect(DEFAULT_ESCALATION_POLICY.rungs[0]!.offsetBusinessDays).toBe(-5);
  });

  it('keeps what the operator wrote and sorts the rungs by offset', () => {
    const policy = parseEscalationPolicy({
      sendAt: '08:30',
      rungs: [
        { kind: 'overdue', offsetBusinessDays: 2, to: ['division', 'divisionHead'] },
        { kind: 'reminder', offsetBusinessDays: 0, to: ['division'] },
      ],
      closedDays: { recurring: [], dates: ['2024-05-01'] },
    });
    expect(policy.sendAt).toBe('08:30');
    expect(policy.rungs.map((r) => r.offsetBusinessDays)).toEqual([0, 2]);
    expect(policy.closedDays).toEqual({ recurring: [], dates: ['2024-05-01'] });
  });

  it('accepts sendAt from 08:00 to 18:00 and refuses the night', () => {
    expect(parseEscalationPolicy({ sendAt: '08:00' }).sendAt).toBe('08:00');
    expect(parseEscalationPolicy({ sendAt: '18:00' }).sendAt).toBe('18:00');
    expect(refusal({ sendAt: '23:00' })).toBe(
      'escalation policy is not valid:\n- sendAt: 23:00 is outside office hours: reminders go out between 08:00 and 18:00 Asia/Tokyo, never at night',
    );
    expect(refusal({ sendAt: '07:59' })).toMatch(/sendAt: 07:59 is outside office hours/);
    expect(refusal({ sendAt: '18:01' })).toMatch(/sendAt: 18:01 is outside office hours/);
    expect(refusal({ sendAt: '9:00' })).toBe('escalation policy is not valid:\n- sendAt: must be a time written HH:MM on the 24-hour clock, such as 09:00, got "9:00"');
    expect(refusal({ sendAt: '24:00' })).toMatch(/HH:MM/);
  });

  it('refuses rungs on the wrong side of the deadline, on the same day, or out of order', () => {
    expect(refusal({ rungs: [{ kind: 'overdue', offsetBusinessDays: 0, to: ['division'] }] })).toMatch(
      /rungs\[0\]\.offsetBusinessDays: an overdue notice goes out after the deadline day \(offset 1 or more\), got 0/,
    );
    expect(refusal({ rungs: [{ kind: 'escalation', offsetBusinessDays: -2, to: ['departmentHead'] }] })).toMatch(/an escalation goes out after the deadline day/);
    expect(refusal({ rungs: [{ kind: 'reminder', offsetBusinessDays: 1, to: ['division'] }] })).toMatch(
      /rungs\[0\]\.offsetBusinessDays: a reminder goes out on or before the deadline day \(offset 0 or less\), got 1/,
    );
    expect(
      refusal({
        rungs: [
          { kind: 'reminder', offsetBusinessDays: -1, to: ['division'] },
          { kind: 'reminder', offsetBusinessDays: -1, to: ['divisionHead'] },
        ],
      }),
    ).toMatch(/rungs\[1\]\.offsetBusinessDays: rungs\[0\] is already on offset -1: one rung per business day/);
    expect(
      refusal({
        rungs: [
          { kind: 'escalation', offsetBusinessDays: 2, to: ['departmentHead'] },
          { kind: 'overdue', offsetBusinessDays: 3, to: ['division'] },
        ],
      }),
    ).toMatch(/rungs\[0\]\.offsetBusinessDays: an escalation cannot come before the overdue notice \(offset 3\), got 2/);
    expect(refusal({ rungs: [{ kind: 'reminder', offsetBusinessDays: -61, to: ['division'] }] })).toMatch(/at most 60 business days before the deadline/);
    expect(refusal({ rungs: [{ kind: 'reminder', offsetBusinessDays: -1.5, to: ['division'] }] })).toMatch(/rungs\[0\]\.offsetBusinessDays: must be a whole number of business days/);
    expect(refusal({ rungs: [] })).toMatch(/rungs: a policy needs at least one rung/);
  });

  it('refuses unknown kinds, roles and fields, empty or repeated recipients', () => {
    expect(refusal({ rungs: [{ kind: 'nag', offsetBusinessDays: -1, to: ['division'] }] })).toMatch(
      /rungs\[0\]\.kind: must be one of "reminder", "overdue", "escalation", got "nag"/,
    );
    expect(refusal({ rungs: [{ kind: 'reminder', offsetBusinessDays: -1, to: ['mayor'] }] })).toMatch(/rungs\[0\]\.to\[0\]: must be one of "division", .*got "mayor"/);
    expect(refusal({ rungs: [{ kind: 'reminder', offsetBusinessDays: -1, to: [] }] })).toMatch(/rungs\[0\]\.to: must name at least one recipient role/);
    expect(refusal({ rungs: [{ kind: 'reminder', offsetBusinessDays: -1, to: ['division', 'division'] }] })).toMatch(/rungs\[0\]\.to: to names the same role twice/);
    expect(refusal({ rungs: [{ kind: 'overdue', offsetBusinessDays: 1, to: ['division'], cc: ['division'] }] })).toMatch(/rungs\[0\]\.cc: division is already in to/);
    expect(refusal({ sendat: '09:00' })).toMatch(/Unrecognized key: "sendat"/);
  });

  it('refuses closed days that are not days or that close most of the year', () => {
    expect(refusal({ closedDays: { recurring: [{ from: '02-30', to: '03-01' }] } })).toMatch(
      /closedDays\.recurring\[0\]\.from: must be a month and day written MM-DD, such as 12-29, got "02-30"/,
    );
    expect(refusal({ closedDays: { recurring: [{ from: '01-03', to: '12-29' }] } })).toMatch(/closedDays\.recurring\[0\]: 01-03\.\.12-29 closes 362 days a year, more than 31/);
    expect(refusal({ closedDays: { dates: ['2023-02-29'] } })).toMatch(/closedDays\.dates\[0\]: must be a date written YYYY-MM-DD, got "2023-02-29"/);
    expect(EscalationPolicy.parse({ closedDays: { recurring: [{ from: '02-29', to: '02-29' }] } }).closedDays.recurring).toHaveLength(1);
  });

  it('lists every problem at once', () => {
    const message = refusal({ sendAt: '03:00', rungs: [{ kind: 'reminder', offsetBusinessDays: -1, to: ['boss'] }] });
    expect(message.split('\n')).toHaveLength(3);
  });
});

describe('the recipients of a rung', () => {
  const directory = seedDirectory();

  it('resolves roles to the division contact, its head, its department head and the reform office head', () => {
    expect(rungRecipients(directory, 'somu', { to: ['division'] })).toEqual({ to: ['somu@city.arao.example'], cc: [] });
    expect(rungRecipients(directory, 'somu', { to: ['division'], cc: ['divisionHead'] })).toEqual({
      to: ['somu@city.arao.example'],
      cc: ['somu-head@city.arao.example'],
    });
    expect(rungRecipients(directory, 'somu', { to: ['departmentHead'], cc: ['divisionHead'] })).toEqual({
      to: ['somu-bu-head@city.arao.example'],
      cc: ['somu-head@city.arao.example'],
    });
    expect(rungRecipients(directory, 'somu', { to: ['reformOfficeHead'], cc: ['departmentHead'] })).toEqual({
      to: ['bunka-kikaku-head@city.arao.example'],
      cc: ['somu-bu-head@city.arao.example'],
    });
  });

  it('names an address once, in to rather than cc', () => {
    // The reform office's own division: its head is the reform office head.
    expect(rungRecipients(directory, 'bunka-kikaku', { to: ['reformOfficeHead', 'divisionHead'], cc: ['divisionHead', 'departmentHead'] })).toEqual({
      to: ['bunka-kikaku-head@city.arao.example'],
      cc: ['kikaku-bu-head@city.arao.example'],
    });
  });

  it('refuses a division the directory does not know', () => {
    expect(() => rungRecipients(directory, 'ghost', { to: ['division'] })).toThrow(/division ghost is not in directory version 1/);
  });
});
