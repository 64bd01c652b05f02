import { z } from 'zod';
import { type DivisionDirectory, findDivision, memberDivisions } from './division-directory';
import { fiscalYearCode, parseFiscalYear } from './fiscal-year';
import { itemDivisions, type Plan } from './plan';

/**
 * A deadline as the reform office gives it: a day (`2023-03-31`, meaning the end of that day in
 * Japan, where every deadline of the service is set) or an exact instant with its offset.
 */
export function parseDeadline(text: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) {
    const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    if (day.getUTCMonth() === Number(m[2]) - 1 && day.getUTCDate() === Number(m[3])) return `${text}T23:59:59+09:00`;
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text))) {
    return new Date(text).toISOString();
  }
  throw new Error(`deadline must be a date written YYYY-MM-DD or an ISO instant with its offset, got "${text}"`);
}

/** What a division is asked for in a cycle: items it answers, items it only sees. */
export const DivisionAssignment = z.object({
  divisionId: z.string(),
  answers: z.array(z.number().int()),
  readonly: z.array(z.number().int()),
});
export type DivisionAssignment = z.infer<typeof DivisionAssignment>;

/** `answer`: a return is expected; `inform`: the division leads nothing and is only told. */
export type DivisionRole = 'answer' | 'inform';

export function roleOf(assignment: DivisionAssignment): DivisionRole {
  return assignment.answers.length > 0 ? 'answer' : 'inform';
}

/**
 * Who answers each item: the lead division, or for a group such as 各施設所管課 the coordinator
 * the directory names. The group's other members and the co-divisions see the item read-only.
 * Names the directory does not know are returned as problems, in Japanese.
 */
export function assignItems(plan: Plan, directory: DivisionDirectory): { assignments: DivisionAssignment[]; problems: string[] } {
  const byDivision = new Map<string, { answers: Set<number>; readonly: Set<number> }>();
  const entry = (id: string) => {
    let found = byDivision.get(id);
    if (!found) byDivision.set(id, (found = { answers: new Set(), readonly: new Set() }));
    return found;
  };
  const problems: string[] = [];
  for (const item of plan.items) {
    const [lead, ...co] = itemDivisions(item).map((name) => ({ name, ref: findDivision(directory, name) }));
    for (const { name, ref } of [lead!, ...co]) {
      if (!ref) problems.push(`整理番号${item.no}の担当課「${name}」が課の名簿（第${directory.version}版）にありません`);
    }
    if (!lead?.ref) continue;
    const answerer = lead.ref.kind === 'group' ? lead.ref.group.coordinator : lead.ref.division.id;
    entry(answerer).answers.add(item.no);
    for (const { ref } of [lead, ...co]) {
      if (!ref) continue;
      for (const division of memberDivisions(directory, ref)) {
        if (division.id !== answerer) entry(division.id).readonly.add(item.no);
      }
    }
  }
  const assignments = [...byDivision.entries()]
    .map(([divisionId, { answers, readonly }]) => ({
      divisionId,
      answers: [...answers].sort((a, b) => a - b),
      readonly: [...readonly].filter((no) => !answers.has(no)).sort((a, b) => a - b),
    }))
    .sort((a, b) => a.divisionId.localeCompare(b.divisionId));
  return { assignments, problems };
}

/** The plan without a year's answers: the state before that year's collection. */
export function planBeforeYear(plan: Plan, year: string): Plan {
  const drop = <T>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).filter(([y]) => y !== year));
  return {
    ...plan,
    fieldYears: Object.fromEntries(Object.entries(plan.fieldYears).map(([id, years]) => [id, years.filter((y) => y !== year)])),
    items: plan.items.map((item) => ({ ...item, values: Object.fromEntries(Object.entries(item.values).map(([id, values]) => [id, drop(values)])) })),
  };
}

/** Canonical code of a year the user typed (R4, 令和4年度, 2022). */
export function yearCode(input: string): string {
  return fiscalYearCode(parseFiscalYear(input));
}
