import { z } from 'zod';
import { compareFiscalYearCodes, fiscalYearCode, fiscalYearsBetween, parseFiscalYear } from './fiscal-year';
import { FiscalYearCode } from './fiscal-year-code';
import { ScheduleEntry } from './schedule';
import { StatusMark } from './status-mark';

/** ASCII id used in workflow ids, file names and addresses: `arao`, `somu`. */
export const Slug = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'id must be lower-case ASCII letters, digits and hyphens');

export const Municipality = z.object({
  id: Slug,
  name: z.string().min(1),
});
export type Municipality = z.infer<typeof Municipality>;

export const PlanPeriod = z.object({
  from: FiscalYearCode,
  to: FiscalYearCode,
});
export type PlanPeriod = z.infer<typeof PlanPeriod>;

const YearRecord = <T extends z.ZodType>(value: T) => z.record(FiscalYearCode, value);

/** One row of the implementation plan (実施計画). */
export const PlanItem = z.object({
  no: z.number().int().positive(),
  area: z.string(),
  /** Empty where the plan names no policy for the item. */
  policy: z.string(),
  initiative: z.string().min(1),
  overview: z.string(),
  schedule: YearRecord(ScheduleEntry),
  statusText: YearRecord(z.string()),
  marks: YearRecord(StatusMark),
  /** Japanese name of the lead division or division group, as written in the plan. */
  leadDivision: z.string().min(1),
  coDivisions: z.array(z.string().min(1)),
});
export type PlanItem = z.infer<typeof PlanItem>;

export const Plan = z
  .object({
    municipality: Municipality,
    title: z.string().min(1),
    /** Raised each time the reform office imports a changed master. */
    version: z.number().int().positive(),
    period: PlanPeriod,
    /** Years with a status text column (取組状況（R4年度末見込み）). */
    statusTextYears: z.array(FiscalYearCode),
    /** Years with a status mark column (取組状況（R1年度末時点）). */
    markYears: z.array(FiscalYearCode),
    items: z.array(PlanItem),
  })
  .superRefine((plan, ctx) => {
    const period = periodYears(plan.period);
    if (period.length === 0) ctx.addIssue({ code: 'custom', path: ['period'], message: 'period ends before it starts' });
    const inPeriod = new Set(period);
    for (const [key, years] of [['statusTextYears', plan.statusTextYears], ['markYears', plan.markYears]] as const) {
      years.forEach((y, i) => {
        if (!inPeriod.has(y)) ctx.addIssue({ code: 'custom', path: [key, i], message: `${y} is outside the plan period` });
      });
    }
    const seen = new Set<number>();
    plan.items.forEach((item, i) => {
      if (seen.has(item.no)) ctx.addIssue({ code: 'custom', path: ['items', i, 'no'], message: `duplicate item number ${item.no}` });
      seen.add(item.no);
      for (const [key, years] of [['schedule', period], ['statusText', plan.statusTextYears], ['marks', plan.markYears]] as const) {
        const have = Object.keys(item[key]).sort(compareFiscalYearCodes).join(',');
        const want = [...years].sort(compareFiscalYearCodes).join(',');
        if (have !== want) ctx.addIssue({ code: 'custom', path: ['items', i, key], message: `years ${have} do not match ${want}` });
      }
    });
  });
export type Plan = z.infer<typeof Plan>;

/** The fiscal year codes of the plan period, in order. */
export function periodYears(period: PlanPeriod): string[] {
  return fiscalYearsBetween(parseFiscalYear(period.from), parseFiscalYear(period.to)).map(fiscalYearCode);
}

/** Lead first, then the co-divisions, as the plan lists them. */
export function itemDivisions(item: PlanItem): string[] {
  return [item.leadDivision, ...item.coDivisions];
}

function orderedYears<T>(record: Record<string, T>, years: readonly string[]): Record<string, T> {
  return Object.fromEntries(years.map((y) => [y, record[y] as T]));
}

/**
 * The plan with every key in one fixed order and items sorted by number, so that the same
 * plan always serialises to the same bytes.
 */
export function canonicalPlan(plan: Plan): Plan {
  const period = periodYears(plan.period);
  const statusTextYears = [...plan.statusTextYears].sort(compareFiscalYearCodes);
  const markYears = [...plan.markYears].sort(compareFiscalYearCodes);
  return {
    municipality: { id: plan.municipality.id, name: plan.municipality.name },
    title: plan.title,
    version: plan.version,
    period: { from: plan.period.from, to: plan.period.to },
    statusTextYears,
    markYears,
    items: [...plan.items]
      .sort((a, b) => a.no - b.no)
      .map((item) => ({
        no: item.no,
        area: item.area,
        policy: item.policy,
        initiative: item.initiative,
        overview: item.overview,
        schedule: orderedYears(item.schedule, period),
        statusText: orderedYears(item.statusText, statusTextYears),
        marks: orderedYears(item.marks, markYears),
        leadDivision: item.leadDivision,
        coDivisions: [...item.coDivisions],
      })),
  };
}

/** The plan master file's bytes: canonical, two-space JSON, one trailing newline. */
export function serializePlan(plan: Plan): string {
  return `${JSON.stringify(canonicalPlan(plan), null, 2)}\n`;
}

/** Whether two plans hold the same content, whatever their version. */
export function samePlanContent(a: Plan, b: Plan): boolean {
  return serializePlan({ ...a, version: 1 }) === serializePlan({ ...b, version: 1 });
}
