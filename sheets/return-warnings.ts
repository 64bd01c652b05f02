/**
 * Finding the 確認事項 of a return (their messages are in the catalogue, return-problems.ts):
 * values that look wrong but may be right. A return with one is held until the division
 * explains it; the explanation goes to the consolidated table's 備考.
 */
import { fiscalYearCode, parseFiscalYear } from '../domain/fiscal-year';
import { type Plan, type PlanItem, periodYears } from '../domain/plan';
import { CONTINUE, type ScheduleEntry } from '../domain/schedule';
import { ratingRank } from '../domain/collection-definition';
import { STATUS_SCALE } from '../domain/status-mark';
import type { ReturnAnswer } from './read-return-sheet';
import { cellProblem, RETURN_WARNINGS, type ReturnProblem, SHORT_TEXT } from './return-problems';
import { itemRows, type SheetItem, sheetLayout, sheetShape } from './return-sheet-layout';

const rank = (mark: string) => ratingRank(STATUS_SCALE, mark) ?? 0;

/** What the schedule says for the year: its own entry, or the one an arrow continues. */
export function scheduledEntry(plan: Plan, item: PlanItem, year: string): ScheduleEntry {
  let entry: ScheduleEntry = '';
  for (const y of periodYears(plan.period)) {
    const own = item.schedule[y] ?? '';
    if (own !== CONTINUE) entry = own;
    if (y === year) return entry;
  }
  return '';
}

/** The warnings of an accepted reading, each naming the cell it is about. */
export function findWarnings(plan: Plan, year: string, items: readonly SheetItem[], answers: readonly ReturnAnswer[]): ReturnProblem[] {
  const layout = sheetLayout(sheetShape(plan, year));
  const rowOf = new Map(itemRows(items).map((r) => [r.item.no, r.row]));
  const cell = (column: number, no: number) => ({ cell: `${columnLetter(column)}${rowOf.get(no)}`, no });
  const previous = fiscalYearCode(parseFiscalYear(year) - 1);
  const warnings: ReturnProblem[] = [];
  for (const answer of answers) {
    const item = items.find((i) => i.item.no === answer.no)?.item;
    if (!item) continue;
    const mark = cell(layout.markColumn, answer.no);
    const text = cell(layout.statusTextColumn, answer.no);
    const before = item.marks[previous] ?? '';
    if (rank(answer.mark) > 0 && rank(answer.mark) < rank(before)) {
      warnings.push(cellProblem(RETURN_WARNINGS.markBackwards, mark, before, answer.mark));
    }
    const scheduled = scheduledEntry(plan, item, year);
    if (answer.mark === '○' && scheduled === '検討') warnings.push(cellProblem(RETURN_WARNINGS.doneWhileStudying, mark));
    if (answer.mark === '-' && scheduled === '実施') warnings.push(cellProblem(RETURN_WARNINGS.notYetWhileScheduled, mark));
    const lastText = item.statusText[previous];
    if (lastText && lastText.trim() === answer.statusText.trim()) warnings.push(cellProblem(RETURN_WARNINGS.sameTextAsLastYear, text));
    else if ([...answer.statusText].length < SHORT_TEXT) warnings.push(cellProblem(RETURN_WARNINGS.shortText, text, [...answer.statusText].length));
  }
  return warnings;
}

function columnLetter(column: number): string {
  let n = column;
  let letters = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    letters = String.fromCharCode(65 + r) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return letters;
}
