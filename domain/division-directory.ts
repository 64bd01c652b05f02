import { z } from 'zod';
import { FiscalYearCode } from './fiscal-year-code';
import { Slug } from './plan';

export const Department = z.object({
  id: Slug,
  name: z.string().min(1),
  /** 部長: the rung above a division head on the escalation ladder. */
  head: z.email(),
});
export type Department = z.infer<typeof Department>;

export const Division = z.object({
  id: Slug,
  name: z.string().min(1),
  /** Former names, so that a plan written before a rename still finds the division. */
  formerNames: z.array(z.string().min(1)).default([]),
  department: Slug,
  /** Where requests and reminders go. */
  contact: z.email(),
  /** 課長 / 室長. */
  head: z.email(),
});
export type Division = z.infer<typeof Division>;

/** A name such as 各施設所管課 that stands for several divisions, answered for by one. */
export const DivisionGroup = z.object({
  id: Slug,
  name: z.string().min(1),
  members: z.array(Slug).min(1),
  /** 取りまとめ役: the division that answers for the group. */
  coordinator: Slug,
});
export type DivisionGroup = z.infer<typeof DivisionGroup>;

export const DivisionDirectory = z
  .object({
    /** Raised whenever divisions are renamed, merged or staffed anew. */
    version: z.number().int().positive(),
    /** First fiscal year this version of the directory applies to. */
    validFrom: FiscalYearCode,
    /** The reform office (行革担当課): runs the collection, top of the escalation ladder. */
    reformOffice: Slug,
    departments: z.array(Department),
    divisions: z.array(Division),
    groups: z.array(DivisionGroup).default([]),
  })
  .superRefine((dir, ctx) => {
    const departments = new Set(dir.departments.map((d) => d.id));
    const divisions = new Set(dir.divisions.map((d) => d.id));
    const ids = new Set<string>();
    const names = new Set<string>();
    const entries = [...dir.divisions.map((d) => ({ kind: 'divisions', d, aliases: d.formerNames })), ...dir.groups.map((d) => ({ kind: 'groups', d, aliases: [] as string[] }))];
    entries.forEach(({ kind, d, aliases }, i) => {
      if (ids.has(d.id)) ctx.addIssue({ code: 'custom', path: [kind, i, 'id'], message: `duplicate id ${d.id}` });
      ids.add(d.id);
      for (const name of [d.name, ...aliases].map(normalizeName)) {
        if (names.has(name)) ctx.addIssue({ code: 'custom', path: [kind, i, 'name'], message: `name ${name} is used twice` });
        names.add(name);
      }
    });
    dir.divisions.forEach((d, i) => {
      if (!departments.has(d.department)) ctx.addIssue({ code: 'custom', path: ['divisions', i, 'department'], message: `unknown department ${d.department}` });
    });
    dir.groups.forEach((g, i) => {
      for (const id of [...g.members, g.coordinator]) {
        if (!divisions.has(id)) ctx.addIssue({ code: 'custom', path: ['groups', i], message: `unknown division ${id}` });
      }
    });
    if (!divisions.has(dir.reformOffice)) ctx.addIssue({ code: 'custom', path: ['reformOffice'], message: `unknown division ${dir.reformOffice}` });
  });
export type DivisionDirectory = z.infer<typeof DivisionDirectory>;

export type DivisionRef = { kind: 'division'; division: Division } | { kind: 'group'; group: DivisionGroup };

function normalizeName(name: string): string {
  return name.normalize('NFKC').replace(/[\s\u3000]+/g, '');
}

/** Finds a division or group by its id, its Japanese name or a former name. */
export function findDivision(dir: DivisionDirectory, idOrName: string): DivisionRef | undefined {
  const key = idOrName.trim();
  const name = normalizeName(idOrName);
  const division = dir.divisions.find((d) => d.id === key || [d.name, ...d.formerNames].some((n) => normalizeName(n) === name));
  if (division) return { kind: 'division', division };
  const group = dir.groups.find((g) => g.id === key || normalizeName(g.name) === name);
  return group && { kind: 'group', group };
}

/** The divisions a reference stands for: itself, or a group's members. */
export function memberDivisions(dir: DivisionDirectory, ref: DivisionRef): Division[] {
  if (ref.kind === 'division') return [ref.division];
  return ref.group.members.map((id) => divisionById(dir, id));
}

export function divisionById(dir: DivisionDirectory, id: string): Division {
  const division = dir.divisions.find((d) => d.id === id);
  if (!division) throw new Error(`division ${id} is not in directory version ${dir.version}`);
  return division;
}

export function departmentOf(dir: DivisionDirectory, division: Division): Department {
  const department = dir.departments.find((d) => d.id === division.department);
  if (!department) throw new Error(`department ${division.department} is not in directory version ${dir.version}`);
  return department;
}
