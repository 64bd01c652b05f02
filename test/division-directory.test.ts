import { describe, expect, it } from 'vitest';
import { DivisionDirectory, departmentOf, findDivision, memberDivisions } from '../domain/division-directory';
import { seedDirectory } from './support/seed';

describe('the division directory', () => {
  const directory = seedDirectory();

  it('finds a division by id, Japanese name or former name', () => {
    for (const key of ['somu', '総務課', ' 総務課 ', '総務 課']) {
      expect(findDivision(directory, key), key).toMatchObject({ kind: 'division', division: { id: 'somu' } });
    }
    expect(findDivision(directory, '行政経営課')).toMatchObject({ division: { id: 'bunka-kikaku', name: '文化企画課' } });
    expect(findDivision(directory, '徴収課')).toBeUndefined();
  });

  it('expands a group to its members and names its coordinator', () => {
    const ref = findDivision(directory, '各施設所管課');
    expect(ref?.kind).toBe('group');
    if (ref?.kind !== 'group') return;
    expect(ref.group.coordinator).toBe('kokyo-shisetsu');
    expect(memberDivisions(directory, ref).map((d) => d.id)).toEqual(ref.group.members);
  });

  it('gives the department head above each division', () => {
    const somu = directory.divisions.find((d) => d.id === 'somu')!;
    expect(departmentOf(directory, somu).head).toBe('somu-bu-head@city.arao.example');
  });

  it('keeps every address under the reserved .example domain', () => {
    const addresses = [...directory.departments.map((d) => d.head), ...directory.divisions.flatMap((d) => [d.contact, d.head])];
    expect(addresses.length).toBeGreaterThan(20);
    for (const address of addresses) expect(address).toMatch(/@[a-z.]+\.example$/);
  });

  it('refuses duplicate ids or names, unknown departments and unknown group members', () => {
    const bad = structuredClone(directory);
    bad.divisions.push({ ...bad.divisions[0]!, id: bad.divisions[1]!.id });
    bad.divisions[2]!.department = 'nowhere';
    bad.groups[0]!.members.push('ghost');
    const messages = DivisionDirectory.safeParse(bad).error!.issues.map((i) => i.message);
    expect(messages).toEqual(expect.arrayContaining([
      `duplicate id ${directory.divisions[1]!.id}`,
      'unknown department nowhere',
      'unknown division ghost',
    ]));
    expect(messages.some((m) => m.includes('is used twice'))).toBe(true);
  });
});
