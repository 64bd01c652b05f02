import { divisionById } from '../domain/division-directory';
import { type ReturnSheetInput, type SheetItem, writeReturnSheet } from '../sheets/write-return-sheet';
import type { CycleSnapshot } from '../store/snapshot';

/** A division's sheet in a cycle: the items it is shown, and the workbook in a given version. */

export function sheetItems(snapshot: CycleSnapshot, divisionId: string): SheetItem[] {
  const assignment = snapshot.assignments.find((a) => a.divisionId === divisionId);
  if (!assignment) throw new Error(`division ${divisionId} has no assignment in ${snapshot.cycleId}`);
  const answers = new Set(assignment.answers);
  const shown = new Set([...assignment.answers, ...assignment.readonly]);
  return snapshot.plan.items.filter((item) => shown.has(item.no)).map((item) => ({ item, role: answers.has(item.no) ? 'answer' : 'readonly' }));
}

/** A division's sheet of the cycle, in a given version, with answers filled in if given. */
export function buildSheet(snapshot: CycleSnapshot, divisionId: string, sheetVersion: number, deadline: string, answers?: ReturnSheetInput['answers']): Promise<Buffer> {
  const { directory, plan } = snapshot;
  const office = divisionById(directory, directory.reformOffice);
  const division = divisionById(directory, divisionId);
  return writeReturnSheet({
    meta: {
      cycleId: snapshot.cycleId,
      municipalityName: plan.municipality.name,
      year: snapshot.year,
      divisionId: division.id,
      divisionName: division.name,
      sheetVersion,
      deadline,
      contact: `${office.name}（${office.contact}）`,
    },
    plan,
    items: sheetItems(snapshot, divisionId),
    answers,
  });
}

export const sheetName = (snapshot: CycleSnapshot, divisionId: string) => `${snapshot.year}取組状況_${divisionById(snapshot.directory, divisionId).name}.xlsx`;

