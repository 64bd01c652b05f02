import { z } from 'zod';
import { type DivisionDirectory, departmentOf, divisionById } from './division-directory';
import { issuePath } from './issue-path';

/**
 * The reminder and escalation ladder of a cycle (督促・エスカレーション): which mails go out
 * how many business days before or after the deadline day, to whom, and at what time of day.
 *
 * The policy is operator input, so every refusal says in English what is wrong and where. It
 * holds no dates: the business days are planned from it by `planRungs` in
 * activities/business-calendar.ts, which needs the holiday calendar and therefore runs in an
 * activity, never in workflow code. This file is free of I/O and of that package, so that the
 * workflows may import it.
 */

export const RungKind = z.enum(['reminder', 'overdue', 'escalation'], {
  error: (issue) => `must be one of "reminder", "overdue", "escalation", got ${JSON.stringify(issue.input)}`,
});
export type RungKind = z.infer<typeof RungKind>;

/** Who a rung's mail is addressed to, resolved against the division directory by `rungRecipients`. */
export const RungRole = z.enum(['division', 'divisionHead', 'departmentHead', 'reformOfficeHead'], {
  error: (issue) => `must be one of "division", "divisionHead", "departmentHead", "reformOfficeHead", got ${JSON.stringify(issue.input)}`,
});
export type RungRole = z.infer<typeof RungRole>;

/** No rung lies further than this from the deadline day: a larger number is taken for a typo. */
export const MAX_OFFSET_BUSINESS_DAYS = 60;
/** The window `sendAt` must fall in, Asia/Tokyo: nobody is reminded at night. */
export const EARLIEST_SEND_AT = '08:00';
export const LATEST_SEND_AT = '18:00';
/** A recurring closed range longer than this is taken for a mistake (e.g. its ends swapped). */
export const MAX_CLOSED_RANGE_DAYS = 31;

const roles = (what: string) =>
  z.array(RungRole).refine((list) => new Set(list).size === list.length, { error: `${what} names the same role twice` });

export const Rung = z.strictObject({
  kind: RungKind,
  /**
   * Business days from the deadline day: negative before it, positive after it, 0 on the
   * deadline day itself (see `addBusinessDays` for a deadline day that is not a business day).
   */
  offsetBusinessDays: z
    .number({ error: 'must be a whole number of business days' })
    .int({ error: 'must be a whole number of business days' })
    .min(-MAX_OFFSET_BUSINESS_DAYS, { error: `must be at most ${MAX_OFFSET_BUSINESS_DAYS} business days before the deadline` })
    .max(MAX_OFFSET_BUSINESS_DAYS, { error: `must be at most ${MAX_OFFSET_BUSINESS_DAYS} business days after the deadline` }),
  to: roles('to').min(1, { error: 'must name at least one recipient role' }),
  cc: roles('cc').optional(),
});
export type Rung = z.infer<typeof Rung>;

/** `MM-DD`, a day that exists in some year (02-29 included: it then applies to leap years). */
export const MonthDay = z.string().refine(
  (s) => {
    const m = /^(\d{2})-(\d{2})$/.exec(s);
    if (!m) return false;
    const day = new Date(Date.UTC(2024, Number(m[1]) - 1, Number(m[2])));
    return day.getUTCMonth() === Number(m[1]) - 1 && day.getUTCDate() === Number(m[2]);
  },
  { error: (issue) => `must be a month and day written MM-DD, such as 12-29, got ${JSON.stringify(issue.input)}` },
);

/** `YYYY-MM-DD`, a real calendar date. */
export const IsoDate = z.string().refine((s) => isIsoDate(s), {
  error: (issue) => `must be a date written YYYY-MM-DD, got ${JSON.stringify(issue.input)}`,
});

export function isIsoDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return day.getUTCFullYear() === Number(m[1]) && day.getUTCMonth() === Number(m[2]) - 1 && day.getUTCDate() === Number(m[3]);
}

/** Day of a leap year, 1..366, for measuring recurring ranges. */
function dayOfLeapYear(monthDay: string): number {
  const [month, day] = monthDay.split('-').map(Number) as [number, number];
  return (Date.UTC(2024, month - 1, day) - Date.UTC(2024, 0, 1)) / 86_400_000 + 1;
}

/** How many days a year a recurring range closes, counted on a leap year. */
export function closedRangeLength(range: { from: string; to: string }): number {
  const span = dayOfLeapYear(range.to) - dayOfLeapYear(range.from);
  return (span < 0 ? span + 366 : span) + 1;
}

/**
 * A range of days closed every year, both ends included. `from` after `to` runs over the year
 * end: 12-29..01-03 is 年末年始.
 */
export const ClosedRange = z
  .strictObject({
    from: MonthDay,
    to: MonthDay,
    /** For people reading the policy, e.g. 年末年始. */
    name: z.string().min(1).optional(),
  })
  .superRefine((range, ctx) => {
    if (!MonthDay.safeParse(range.from).success || !MonthDay.safeParse(range.to).success) return;
    const length = closedRangeLength(range);
    if (length > MAX_CLOSED_RANGE_DAYS) {
      ctx.addIssue({
        code: 'custom',
        message: `${range.from}..${range.to} closes ${length} days a year, more than ${MAX_CLOSED_RANGE_DAYS}; a range that runs over the year end is written from its first day in December to its last day in January, such as 12-29..01-03`,
      });
    }
  });
export type ClosedRange = z.infer<typeof ClosedRange>;

export const NEW_YEAR_HOLIDAYS: ClosedRange = { from: '12-29', to: '01-03', name: '年末年始' };

/**
 * The city's own closed days, on top of weekends and national holidays: ranges closed every
 * year, and single dates (an election day, a system changeover...).
 */
export const ClosedDays = z.strictObject({
  recurring: z.array(ClosedRange).default([NEW_YEAR_HOLIDAYS]),
  dates: z.array(IsoDate).default([]),
});
export type ClosedDays = z.infer<typeof ClosedDays>;

const sendAtMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export const SendAt = z.string().superRefine((hhmm, ctx) => {
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(hhmm)) {
    ctx.addIssue({ code: 'custom', message: `must be a time written HH:MM on the 24-hour clock, such as 09:00, got ${JSON.stringify(hhmm)}` });
  } else if (sendAtMinutes(hhmm) < sendAtMinutes(EARLIEST_SEND_AT) || sendAtMinutes(hhmm) > sendAtMinutes(LATEST_SEND_AT)) {
    ctx.addIssue({ code: 'custom', message: `${hhmm} is outside office hours: reminders go out between ${EARLIEST_SEND_AT} and ${LATEST_SEND_AT} Asia/Tokyo, never at night` });
  }
});

export const DEFAULT_RUNGS: Rung[] = [
  { kind: 'reminder', offsetBusinessDays: -5, to: ['division'] },
  { kind: 'reminder', offsetBusinessDays: -1, to: ['division'] },
  { kind: 'overdue', offsetBusinessDays: 1, to: ['division'], cc: ['divisionHead'] },
  // 3 business days after the overdue notice.
  { kind: 'escalation', offsetBusinessDays: 4, to: ['departmentHead'], cc: ['divisionHead'] },
  // 5 business days after that.
  { kind: 'escalation', offsetBusinessDays: 9, to: ['reformOfficeHead'], cc: ['departmentHead'] },
];

const byOffset = (a: Rung, b: Rung) => a.offsetBusinessDays - b.offsetBusinessDays;

/**
 * One cycle's ladder. Every field has a default, so `{}` is the default policy. The rungs come
 * out sorted by their offset, whatever order they were written in: rung numbers (1, 2, ...)
 * follow that order.
 */
export const EscalationPolicy = z
  .strictObject({
    /** Time of day, Asia/Tokyo, at which each rung's mail goes out on its business day. */
    sendAt: SendAt.default('09:00'),
    rungs: z
      .array(Rung)
      .min(1, { error: 'a policy needs at least one rung' })
      .default(() => DEFAULT_RUNGS.map((rung) => structuredClone(rung))),
    closedDays: ClosedDays.default(() => ({ recurring: [NEW_YEAR_HOLIDAYS], dates: [] })),
  })
  .superRefine((policy, ctx) => {
    policy.rungs.forEach((rung, i) => {
      const at = ['rungs', i, 'offsetBusinessDays'];
      if (rung.kind === 'reminder' && rung.offsetBusinessDays > 0) {
        ctx.addIssue({ code: 'custom', path: at, message: `a reminder goes out on or before the deadline day (offset 0 or less), got ${rung.offsetBusinessDays}` });
      }
      if (rung.kind !== 'reminder' && rung.offsetBusinessDays < 1) {
        ctx.addIssue({ code: 'custom', path: at, message: `an ${rung.kind === 'overdue' ? 'overdue notice' : 'escalation'} goes out after the deadline day (offset 1 or more), got ${rung.offsetBusinessDays}` });
      }
      const twice = (rung.cc ?? []).filter((role) => rung.to.includes(role));
      if (twice.length > 0) ctx.addIssue({ code: 'custom', path: ['rungs', i, 'cc'], message: `${twice.join(', ')} is already in to` });
      const earlier = policy.rungs.findIndex((other) => other.offsetBusinessDays === rung.offsetBusinessDays);
      if (earlier < i) {
        ctx.addIssue({ code: 'custom', path: at, message: `rungs[${earlier}] is already on offset ${rung.offsetBusinessDays}: one rung per business day (put more roles into its to or cc instead)` });
      }
    });
    const overdue = policy.rungs.filter((rung) => rung.kind === 'overdue').map((rung) => rung.offsetBusinessDays);
    if (overdue.length > 0) {
      const first = Math.min(...overdue);
      policy.rungs.forEach((rung, i) => {
        if (rung.kind === 'escalation' && rung.offsetBusinessDays < first) {
          ctx.addIssue({ code: 'custom', path: ['rungs', i, 'offsetBusinessDays'], message: `an escalation cannot come before the overdue notice (offset ${first}), got ${rung.offsetBusinessDays}` });
        }
      });
    }
  })
  .transform((policy) => ({ ...policy, rungs: [...policy.rungs].sort(byOffset) }));
export type EscalationPolicy = z.infer<typeof EscalationPolicy>;
export type EscalationPolicyInput = z.input<typeof EscalationPolicy>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The default ladder (frozen): reminders 5 and 1 business days before the deadline day, an
 * overdue notice the business day after it, then the department head 3 business days later
 * and the reform office's head 5 business days after that; 09:00; 年末年始 closed. */
export const DEFAULT_ESCALATION_POLICY: EscalationPolicy = deepFreeze(EscalationPolicy.parse({}));

/**
 * Parses operator input, or throws one Error that lists every problem with its place, e.g.
 * `escalation policy is not valid:\n- sendAt: 23:00 is outside office hours: ...`.
 */
export function parseEscalationPolicy(input: unknown): EscalationPolicy {
  const result = EscalationPolicy.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `- ${issue.path.length > 0 ? `${issuePath(issue.path)}: ` : ''}${issue.message}`);
  throw new Error(`escalation policy is not valid:\n${lines.join('\n')}`);
}

/** A rung's recipients as roles; `planRungs` hands these on, `rungRecipients` makes them addresses. */
export interface RungAddressing {
  to: RungRole[];
  cc?: RungRole[];
}

/**
 * The addresses of a rung's mail for one division: its contact, its head (課長), its
 * department's head (部長), the reform office's head. An address met twice is kept once, in
 * `to` rather than `cc` (the reform office's own division has its own head as reform office head).
 */
export function rungRecipients(directory: DivisionDirectory, divisionId: string, rung: RungAddressing): { to: string[]; cc: string[] } {
  const division = divisionById(directory, divisionId);
  const address = (role: RungRole): string => {
    switch (role) {
      case 'division':
        return division.contact;
      case 'divisionHead':
        return division.head;
      case 'departmentHead':
        return departmentOf(directory, division).head;
      case 'reformOfficeHead':
        return divisionById(directory, directory.reformOffice).head;
    }
  };
  const to = [...new Set(rung.to.map(address))];
  const cc = [...new Set((rung.cc ?? []).map(address))].filter((a) => !to.includes(a));
  return { to, cc };
}
