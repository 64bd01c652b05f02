import { z } from 'zod';
import { compareFiscalYearCodes, fiscalYearCode, fiscalYearsBetween, parseFiscalYear } from './fiscal-year';
import { FiscalYearCode } from './fiscal-year-code';
import { ARAO_COLLECTION } from './arao-collection';
import { blankValue, CollectionDefinition, FieldValue, fieldValueProblem } from './collection-definition';
import { ScheduleEntry } from './schedule';

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
  /** What the divisions answered, by field id of the plan's definition and then by year. */
  values: z.record(z.string(), YearRecord(FieldValue)),
  /** Japanese name of the lead division or division group, as written in the plan. */
  leadDivision: z.string().min(1),
  coDivisions: z.array(z.string().min(1)),
});
export type PlanItem = z.infer<typeof PlanItem>;

/**
 * A plan master written before the collection definition: Arao's two fields under names of their
 * own. Read as the same plan under Arao's definition, so old masters and snapshots still open.
 */
function fromArao(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || !('markYears' in input)) return input;
  const { statusTextYears, markYears, items, ...rest } = input as { statusTextYears: unknown; markYears: unknown; items: unknown };
  return {
    ...rest,
    fieldYears: { statusText: statusTextYears, marks: markYears },
    items: Array.isArray(items)
      ? items.map((item: { statusText?: unknown; marks?: unknown }) => {
          const { statusText, marks, ...own } = item;
          return { ...own, values: { statusText, marks } };
        })
      : items,
  };
}

export const Plan = z.preprocess(
  fromArao,
  z
    .object({
      municipality: Municipality,
      title: z.string().min(1),
      /** Raised each time the reform office imports a changed master. */
      version: z.number().int().positive(),
      period: PlanPeriod,
      /** What the divisions answer each year and how the table reads; Arao's where the master names none. */
      definition: CollectionDefinition.default(ARAO_COLLECTION),
      /** The years each field has a column for (取組状況（R4年度末見込み）, 取組状況（R1年度末時点）…), by field id. */
      fieldYears: z.record(z.string(), z.array(FiscalYearCode)),
      items: z.array(PlanItem),
    })
    .superRefine((plan, ctx) => {
      const period = periodYears(plan.period);
      if (period.length === 0) ctx.addIssue({ code: 'custom', path: ['period'], message: 'period ends before it starts' });
      const inPeriod = new Set(period);
      const fields = plan.definition.fields;
      for (const id of Object.keys(plan.fieldYears)) {
        if (!fields.some((field) => field.id === id)) ctx.addIssue({ code: 'custom', path: ['fieldYears', id], message: `${id} is not a field of the definition` });
      }
      for (const field of fields) {
        (plan.fieldYears[field.id] ?? []).forEach((y, i) => {
          if (!inPeriod.has(y)) ctx.addIssue({ code: 'custom', path: ['fieldYears', field.id, i], message: `${y} is outside the plan period` });
        });
      }
      const want = (years: readonly string[]) => [...years].sort(compareFiscalYearCodes).join(',');
      const seen = new Set<number>();
      plan.items.forEach((item, i) => {
        if (seen.has(item.no)) ctx.addIssue({ code: 'custom', path: ['items', i, 'no'], message: `duplicate item number ${item.no}` });
        seen.add(item.no);
        if (want(Object.keys(item.schedule)) !== want(period)) {
          ctx.addIssue({ code: 'custom', path: ['items', i, 'schedule'], message: `years ${want(Object.keys(item.schedule))} do not match ${want(period)}` });
        }
        for (const id of Object.keys(item.values)) {
          if (!(id in plan.fieldYears)) ctx.addIssue({ code: 'custom', path: ['items', i, 'values', id], message: `${id} has no years in fieldYears` });
        }
        for (const field of fields) {
          const values = item.values[field.id] ?? {};
          const years = plan.fieldYears[field.id] ?? [];
          if (want(Object.keys(values)) !== want(years)) {
            ctx.addIssue({ code: 'custom', path: ['items', i, 'values', field.id], message: `years ${want(Object.keys(values))} do not match ${want(years)}` });
          }
          for (const [y, value] of Object.entries(values)) {
            const problem = fieldValueProblem(plan.definition, field, value);
            if (problem) ctx.addIssue({ code: 'custom', path: ['items', i, 'values', field.id, y], message: problem });
          }
        }
      });
    }),
);
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
  const fieldYears = Object.fromEntries(plan.definition.fields.map((field) => [field.id, [...(plan.fieldYears[field.id] ?? [])].sort(compareFiscalYearCodes)]));
  return {
    municipality: { id: plan.municipality.id, name: plan.municipality.name },
    title: plan.title,
    version: plan.version,
    period: { from: plan.period.from, to: plan.period.to },
    definition: plan.definition,
    fieldYears,
    items: [...plan.items]
      .sort((a, b) => a.no - b.no)
      .map((item) => ({
        no: item.no,
        area: item.area,
        policy: item.policy,
        initiative: item.initiative,
        overview: item.overview,
        schedule: orderedYears(item.schedule, period),
        values: Object.fromEntries(plan.definition.fields.map((field) => [field.id, orderedYears(item.values[field.id] ?? {}, fieldYears[field.id]!)])),
        leadDivision: item.leadDivision,
        coDivisions: [...item.coDivisions],
      })),
  };
}

/** Whether a definition is Arao's, the default, which a master leaves unwritten. */
export const isAraoDefinition = (definition: CollectionDefinition) => JSON.stringify(definition) === JSON.stringify(ARAO_COLLECTION);

/** The plan master file's bytes: canonical, two-space JSON, one trailing newline. */
export function serializePlan(plan: Plan): string {
  // Arao's plan is written without its definition, the default, as it was before there was one.
  const canonical = canonicalPlan(plan);
  const { definition, ...withoutDefinition } = canonical;
  return `${JSON.stringify(isAraoDefinition(definition) ? withoutDefinition : canonical, null, 2)}\n`;
}

/** The year's value of a field of an item: blank where it has none. */
export function fieldValue(plan: Plan, item: PlanItem, fieldId: string, year: string): FieldValue {
  const value = item.values[fieldId]?.[year];
  if (value !== undefined) return value;
  const field = plan.definition.fields.find((f) => f.id === fieldId);
  if (!field) throw new Error(`${fieldId} is not a field of the plan's definition`);
  return blankValue(field);
}

/** Whether two plans hold the same content, whatever their version. */
export function samePlanContent(a: Plan, b: Plan): boolean {
  return serializePlan({ ...a, version: 1 }) === serializePlan({ ...b, version: 1 });
}
