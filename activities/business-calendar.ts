import holidayJp from '@holiday-jp/holiday_jp';
import {
  type ClosedDays,
  type EscalationPolicyInput,
  isIsoDate,
  parseEscalationPolicy,
  type RungKind,
  type RungRole,
} from '../domain/escalation-policy';

/**
 * The city's business days (開庁日): Monday to Friday, except Japan's national holidays and
 * substitute holidays (from the maintained `@holiday-jp/holiday_jp` data, never a list of our
 * own) and the city's own closed days of the cycle's policy.
 *
 * Free of I/O, but only for activities: a newer holiday package may move a day, and a
 * workflow replaying its history must not. The workflow receives the planned rungs from an
 * activity, where they stay recorded, and sleeps until each one's `at`.
 */

const HOLIDAYS: ReadonlySet<string> = new Set(Object.keys(holidayJp.holidays));
const HOLIDAY_YEARS = (() => {
  const years = [...HOLIDAYS].map((date) => Number(date.slice(0, 4)));
  return { first: Math.min(...years), last: Math.max(...years) };
})();

/** The holiday data in use, for logs and for a plan's record. */
export const HOLIDAY_CALENDAR = { package: '@holiday-jp/holiday_jp', version: holidayJp.VERSION, firstYear: HOLIDAY_YEARS.first, lastYear: HOLIDAY_YEARS.last };

const DAY_MS = 86_400_000;
/** Asia/Tokyo is UTC+9 all year (no daylight saving). */
const TOKYO_OFFSET_MS = 9 * 3_600_000;
/** More closed days in a row than this means the closed days leave no business day. */
const MAX_CLOSED_RUN = 366;

function checkDate(date: string): void {
  if (!isIsoDate(date)) throw new Error(`a date must be written YYYY-MM-DD, got "${date}"`);
  const year = Number(date.slice(0, 4));
  if (year < HOLIDAY_YEARS.first || year > HOLIDAY_YEARS.last) {
    throw new Error(`${date} is outside the years the holiday calendar knows (${HOLIDAY_YEARS.first} to ${HOLIDAY_YEARS.last}, ${HOLIDAY_CALENDAR.package} ${HOLIDAY_CALENDAR.version})`);
  }
}

const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

function isClosed(date: string, closedDays: ClosedDays): boolean {
  if (closedDays.dates.includes(date)) return true;
  const monthDay = date.slice(5);
  return closedDays.recurring.some(({ from, to }) => (from <= to ? monthDay >= from && monthDay <= to : monthDay >= from || monthDay <= to));
}

/** A weekday that is neither a national holiday nor one of the city's closed days. */
export function isBusinessDay(date: string, closedDays: ClosedDays): boolean {
  checkDate(date);
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !HOLIDAYS.has(date) && !isClosed(date, closedDays);
}

function step(date: string, direction: 1 | -1, closedDays: ClosedDays): string {
  let day = dayNumber(date);
  for (let i = 0; i < MAX_CLOSED_RUN; i++) {
    day += direction;
    const candidate = dateOf(day);
    if (isBusinessDay(candidate, closedDays)) return candidate;
  }
  throw new Error(`no business day within ${MAX_CLOSED_RUN} days ${direction > 0 ? 'after' : 'before'} ${date}: the closed days leave none`);
}

/**
 * The business day `n` business days after `date` (before it when `n` is negative). `date`
 * itself is never counted, whether or not it is a business day: +1 is the first business day
 * after it, -1 the last business day before it. So for a deadline that falls on a closed day
 * (a Saturday, 12-29), "1 business day before" is the last business day before the deadline
 * day and "1 business day after" the first one after it.
 *
 * `n = 0` is `date` itself when it is a business day, else the last business day before it:
 * a mail due "on the deadline day" goes out while the deadline still lies ahead.
 */
export function addBusinessDays(date: string, n: number, closedDays: ClosedDays): string {
  checkDate(date);
  if (!Number.isInteger(n)) throw new Error(`business days must be a whole number, got ${n}`);
  if (n === 0) return isBusinessDay(date, closedDays) ? date : step(date, -1, closedDays);
  let current = date;
  for (let i = 0; i < Math.abs(n); i++) current = step(current, n > 0 ? 1 : -1, closedDays);
  return current;
}

/** One mail of the ladder, planned for a cycle's deadline. */
export interface PlannedRung {
  /** Position in the policy's ladder, 1-based, in offset order: a stable key for the mail. */
  rung: number;
  kind: RungKind;
  offsetBusinessDays: number;
  /** The business day, Asia/Tokyo. */
  date: string;
  /** When to send: `sendAt` on `date` in Asia/Tokyo, as a UTC instant (`2023-03-24T00:00:00.000Z`). */
  at: string;
  to: RungRole[];
  cc: RungRole[];
}

/** The deadline's calendar day in Asia/Tokyo, from a date or an instant such as `2023-03-31T23:59:59+09:00`. */
export function deadlineDay(deadline: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(deadline)) {
    checkDate(deadline);
    return deadline;
  }
  const instant = /^\d{4}-\d{2}-\d{2}T/.test(deadline) ? Date.parse(deadline) : Number.NaN;
  if (Number.isNaN(instant)) throw new Error(`a deadline must be a date written YYYY-MM-DD or an ISO instant, got "${deadline}"`);
  return new Date(instant + TOKYO_OFFSET_MS).toISOString().slice(0, 10);
}

function tokyoInstant(date: string, hhmm: string): string {
  const [hours, minutes] = hhmm.split(':').map(Number) as [number, number];
  return new Date(Date.parse(`${date}T00:00:00Z`) + (hours * 60 + minutes) * 60_000 - TOKYO_OFFSET_MS).toISOString();
}

/**
 * The ladder's mails for a deadline, sorted by time: each rung on its business day at the
 * policy's `sendAt` (Asia/Tokyo). The policy is validated again here (it may arrive as raw
 * input; defaults apply).
 *
 * - Rungs whose time is not after `now` are left out: a cycle launched three days before its
 *   deadline sends no "5 business days before" reminder. Without `now`, nothing is left out.
 * - When two rungs fall on the same business day (only a rung on the deadline day, offset 0,
 *   with a deadline day that is not a business day, meets the rung on offset -1 there), the
 *   day gets one mail: the earlier rung of the ladder.
 *
 * The same policy, deadline and `now` give the same list, as long as the holiday package is the
 * same: call it from an activity.
 */
export function planRungs(policyInput: EscalationPolicyInput, deadline: string, now?: Date | string): PlannedRung[] {
  const policy = parseEscalationPolicy(policyInput);
  const day = deadlineDay(deadline);
  const nowMs = now === undefined ? Number.NEGATIVE_INFINITY : new Date(now).getTime();
  if (Number.isNaN(nowMs)) throw new Error(`now must be an instant, got "${String(now)}"`);
  const planned: PlannedRung[] = [];
  const days = new Set<string>();
  policy.rungs.forEach((rung, i) => {
    const date = addBusinessDays(day, rung.offsetBusinessDays, policy.closedDays);
    if (days.has(date)) return;
    days.add(date);
    planned.push({ rung: i + 1, kind: rung.kind, offsetBusinessDays: rung.offsetBusinessDays, date, at: tokyoInstant(date, policy.sendAt), to: [...rung.to], cc: [...(rung.cc ?? [])] });
  });
  return planned.filter((p) => Date.parse(p.at) > nowMs).sort((a, b) => a.at.localeCompare(b.at) || a.rung - b.rung);
}
