import { describe, expect, it } from 'vitest';
import { addBusinessDays, deadlineDay, HOLIDAY_CALENDAR, isBusinessDay, planRungs } from '../activities/business-calendar';
import { type ClosedDays, DEFAULT_ESCALATION_POLICY, type EscalationPolicyInput } from '../domain/escalation-policy';

const CITY = DEFAULT_ESCALATION_POLICY.closedDays;
const NONE: ClosedDays = { recurring: [], dates: [] };

describe('business days', () => {
  it('skips Saturdays and Sundays', () => {
    expect(isBusinessDay('2023-03-24', CITY)).toBe(true); // Friday
    expect(isBusinessDay('2023-03-25', CITY)).toBe(false);
    expect(isBusinessDay('2023-03-26', CITY)).toBe(false);
    expect(isBusinessDay('2023-03-27', CITY)).toBe(true); // Monday
    expect(addBusinessDays('2023-03-24', 1, NONE)).toBe('2023-03-27');
    expect(addBusinessDays('2023-03-27', -1, NONE)).toBe('2023-03-24');
  });

  it('skips national holidays from the holiday package, substitute holidays included', () => {
    expect(HOLIDAY_CALENDAR.package).toBe('@holiday-jp/holiday_jp');
    // 春分の日 2023 is a Tuesday.
    expect(isBusinessDay('2023-03-21', NONE)).toBe(false);
    expect(addBusinessDays('2023-03-20', 1, NONE)).toBe('2023-03-22');
    expect(addBusinessDays('2023-03-22', -1, NONE)).toBe('2023-03-20');
    // 建国記念の日 2024 fell on a Sunday: Monday 2024-02-12 is its 振替休日.
    expect(isBusinessDay('2024-02-12', NONE)).toBe(false);
    expect(isBusinessDay('2024-02-13', NONE)).toBe(true);
    expect(addBusinessDays('2024-02-09', 1, NONE)).toBe('2024-02-13');
  });

  it("skips the city's 年末年始 (12-29 to 01-03), which is not a national holiday", () => {
    for (const day of ['2023-12-29', '2024-01-02', '2024-01-03', '2025-01-03']) {
      expect(isBusinessDay(day, CITY), day).toBe(false);
    }
    // The same weekdays are business days for a calendar without the city's closed days.
    expect(isBusinessDay('2023-12-29', NONE)).toBe(true);
    expect(isBusinessDay('2024-01-02', NONE)).toBe(true);
    expect(isBusinessDay('2024-01-04', CITY)).toBe(true);
    expect(addBusinessDays('2023-12-28', 1, CITY)).toBe('2024-01-04');
    expect(addBusinessDays('2024-01-04', -1, CITY)).toBe('2023-12-28');
  });

  it("skips the city's explicit closed dates", () => {
    const closed: ClosedDays = { recurring: [], dates: ['2023-03-29'] };
    expect(isBusinessDay('2023-03-29', closed)).toBe(false);
    expect(addBusinessDays('2023-03-31', -2, closed)).toBe('2023-03-28');
    expect(addBusinessDays('2023-03-31', -2, NONE)).toBe('2023-03-29');
  });

  it('never counts the start day; 0 rolls back to the last business day', () => {
    expect(addBusinessDays('2023-03-31', 0, CITY)).toBe('2023-03-31');
    expect(addBusinessDays('2023-03-25', 0, CITY)).toBe('2023-03-24'); // Saturday
    expect(addBusinessDays('2023-03-25', 1, CITY)).toBe('2023-03-27');
    expect(addBusinessDays('2023-03-25', -1, CITY)).toBe('2023-03-24');
    expect(addBusinessDays('2023-03-31', -5, CITY)).toBe('2023-03-24');
    expect(addBusinessDays('2023-03-31', -10, CITY)).toBe('2023-03-16'); // over 3/21
  });

  it('refuses malformed dates, fractional counts and years the holiday data does not cover', () => {
    expect(() => isBusinessDay('2023-02-29', CITY)).toThrow('a date must be written YYYY-MM-DD, got "2023-02-29"');
    expect(() => isBusinessDay('2023/03/31', CITY)).toThrow(/YYYY-MM-DD/);
    expect(() => addBusinessDays('2023-03-31', 1.5, CITY)).toThrow(/whole number/);
    expect(() => isBusinessDay(`${HOLIDAY_CALENDAR.lastYear + 1}-01-04`, CITY)).toThrow(/outside the years the holiday calendar knows/);
  });

  it('stops with an error when the closed days leave no business day', () => {
    const everything: ClosedDays = { recurring: [{ from: '01-01', to: '12-31' }], dates: [] };
    expect(() => addBusinessDays('2023-03-31', 1, everything)).toThrow(/no business day within 366 days after 2023-03-31/);
  });
});

describe('the ladder planned for a deadline', () => {
  const R4_DEADLINE = '2023-03-31T23:59:59+09:00';

  it('plans the R4 ladder of the default policy', () => {
    const plan = planRungs({}, R4_DEADLINE);
    expect(plan.map(({ rung, kind, date }) => ({ rung, kind, date }))).toEqual([
      { rung: 1, kind: 'reminder', date: '2023-03-24' },
      { rung: 2, kind: 'reminder', date: '2023-03-30' },
      { rung: 3, kind: 'overdue', date: '2023-04-03' },
      { rung: 4, kind: 'escalation', date: '2023-04-06' },
      { rung: 5, kind: 'escalation', date: '2023-04-13' },
    ]);
    expect(plan[2]).toMatchObject({ to: ['division'], cc: ['divisionHead'] });
    expect(plan[3]).toMatchObject({ to: ['departmentHead'] });
    expect(plan[4]).toMatchObject({ to: ['reformOfficeHead'] });
    expect(plan[0]!.cc).toEqual([]);
  });

  it('sends every rung at 09:00 Asia/Tokyo, which is midnight UTC, or at the policy sendAt', () => {
    const plan = planRungs(DEFAULT_ESCALATION_POLICY, R4_DEADLINE);
    for (const p of plan) expect(p.at).toBe(`${p.date}T00:00:00.000Z`);
    expect(planRungs({ sendAt: '17:30' }, R4_DEADLINE).map((p) => p.at)).toEqual([
      '2023-03-24T08:30:00.000Z',
      '2023-03-30T08:30:00.000Z',
      '2023-04-03T08:30:00.000Z',
      '2023-04-06T08:30:00.000Z',
      '2023-04-13T08:30:00.000Z',
    ]);
  });

  it('takes the deadline day in Asia/Tokyo, from a date or an instant', () => {
    expect(deadlineDay('2023-03-31')).toBe('2023-03-31');
    expect(deadlineDay(R4_DEADLINE)).toBe('2023-03-31');
    expect(deadlineDay('2023-03-31T15:00:00Z')).toBe('2023-04-01');
    expect(planRungs({}, '2023-03-31')).toEqual(planRungs({}, R4_DEADLINE));
    expect(() => planRungs({}, 'March 31')).toThrow(/deadline must be a date written YYYY-MM-DD or an ISO instant/);
  });

  it('goes over 年末年始 and 成人の日 for a deadline right before New Year', () => {
    expect(planRungs({}, '2023-12-28').map((p) => p.date)).toEqual(['2023-12-21', '2023-12-27', '2024-01-04', '2024-01-10', '2024-01-17']);
  });

  it('counts from the deadline day when that day is itself closed', () => {
    // 2023-12-29 is a Friday inside 年末年始: "1 business day before" is the day before it.
    expect(planRungs({}, '2023-12-29').map((p) => p.date)).toEqual(['2023-12-22', '2023-12-28', '2024-01-04', '2024-01-10', '2024-01-17']);
    // A Saturday deadline: the Friday is 1 business day before, the Monday 1 after.
    expect(planRungs({}, '2023-03-25').map((p) => p.date).slice(1, 3)).toEqual(['2023-03-24', '2023-03-27']);
  });

  it('sends one mail a day when a deadline-day rung rolls back onto the rung before it', () => {
    const policy: EscalationPolicyInput = {
      rungs: [
        { kind: 'reminder', offsetBusinessDays: 0, to: ['division'] },
        { kind: 'reminder', offsetBusinessDays: -1, to: ['division'] },
      ],
    };
    expect(planRungs(policy, '2023-12-28').map(({ rung, offsetBusinessDays, date }) => ({ rung, offsetBusinessDays, date }))).toEqual([
      { rung: 1, offsetBusinessDays: -1, date: '2023-12-27' },
      { rung: 2, offsetBusinessDays: 0, date: '2023-12-28' },
    ]);
    expect(planRungs(policy, '2023-12-29').map(({ rung, date }) => ({ rung, date }))).toEqual([{ rung: 1, date: '2023-12-28' }]);
  });

  it('leaves out the rungs whose time has come when planned', () => {
    const plan = planRungs({}, R4_DEADLINE, '2023-03-27T00:00:00Z');
    expect(plan.map((p) => p.rung)).toEqual([2, 3, 4, 5]);
    // A rung due exactly now is past: it is not sent twice by a late plan.
    expect(planRungs({}, R4_DEADLINE, new Date('2023-03-30T00:00:00Z')).map((p) => p.rung)).toEqual([3, 4, 5]);
    expect(planRungs({}, R4_DEADLINE, '2023-04-13T00:00:01Z')).toEqual([]);
    expect(() => planRungs({}, R4_DEADLINE, 'soon')).toThrow(/now must be an instant/);
  });

  it('gives a stable list sorted by time, whatever order the rungs are written in', () => {
    const rungs = [...DEFAULT_ESCALATION_POLICY.rungs].reverse().map((r) => ({ ...r }));
    const reversed = planRungs({ rungs }, R4_DEADLINE);
    const plan = planRungs({}, R4_DEADLINE);
    expect(reversed).toEqual(plan);
    expect(planRungs({}, R4_DEADLINE)).toEqual(plan);
    const times = plan.map((p) => Date.parse(p.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(times.length);
    expect(plan.map((p) => p.rung)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a policy that would send at night', () => {
    expect(() => planRungs({ sendAt: '23:00' }, R4_DEADLINE)).toThrow(/sendAt: 23:00 is outside office hours/);
  });

  it("uses the policy's closed days", () => {
    const plan = planRungs({ closedDays: { dates: ['2023-04-03'] } }, R4_DEADLINE);
    expect(plan.map((p) => p.date)).toEqual(['2023-03-24', '2023-03-30', '2023-04-04', '2023-04-07', '2023-04-14']);
  });
});
