/**
 * Finding the 確認事項 of a return (their messages are in the catalogue, return-problems.ts):
 * values that look wrong but may be right. A return with one is held until the division
 * explains it; the explanation goes to the consolidated table's 備考.
 */
import { achievementRate, type CollectionField, fieldName, type FieldValue, isBlank, ratingRank, scaleOf, type TargetActualValue } from '../domain/collection-definition';
import { fiscalYearCode, parseFiscalYear } from '../domain/fiscal-year';
import { fieldValue, type Plan, type PlanItem, periodYears } from '../domain/plan';
import { CONTINUE, type ScheduleEntry } from '../domain/schedule';
import type { ReturnAnswer } from './read-return-sheet';
import { cellProblem, RETURN_WARNINGS as W, type ReturnProblem, SHORT_TEXT } from './return-problems';
import { type InputColumn, itemRows, type SheetItem, sheetLayout, sheetShape } from './return-sheet-layout';

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

// Ratings are told first: a rating worse than last year's is what the reform office reads first.
const KIND_ORDER: readonly CollectionField['kind'][] = ['rating', 'text', 'number', 'targetActual'];

const figure = (value: number, unit: string) => `${value.toLocaleString('ja-JP', { maximumFractionDigits: 6 })}${unit}`;

/** The warnings of an accepted reading, each naming the cell it is about. */
export function findWarnings(plan: Plan, year: string, items: readonly SheetItem[], answers: readonly ReturnAnswer[]): ReturnProblem[] {
  const { definition } = plan;
  const layout = sheetLayout(sheetShape(plan, year));
  const rowOf = new Map(itemRows(items).map((r) => [r.item.no, r.row]));
  const previous = fiscalYearCode(parseFiscalYear(year) - 1);
  const fields = [...new Set(layout.inputs.map((input) => input.field))].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  // The schedule speaks of the item as a whole: it is checked against the first rating only.
  const mainRating = definition.fields.find((field) => field.kind === 'rating');
  const warnings: ReturnProblem[] = [];
  for (const answer of answers) {
    const item = items.find((i) => i.item.no === answer.no)?.item;
    if (!item) continue;
    const at = (input: InputColumn | undefined) => ({ cell: `${columnLetter(input!.column)}${rowOf.get(answer.no)}`, no: answer.no });
    const inputOf = (field: CollectionField, part?: InputColumn['part']) => layout.inputs.find((input) => input.field === field && input.part === part);
    const before = (field: CollectionField): FieldValue | undefined => ((plan.fieldYears[field.id] ?? []).includes(previous) ? fieldValue(plan, item, field.id, previous) : undefined);
    for (const field of fields) {
      const now = answer.values[field.id];
      if (now === undefined || isBlank(now)) continue;
      const last = before(field);
      switch (field.kind) {
        case 'rating': {
          const scale = scaleOf(definition, field);
          const rank = (symbol: unknown) => (typeof symbol === 'string' ? (ratingRank(scale, symbol) ?? 0) : 0);
          if (rank(now) > 0 && rank(now) < rank(last)) warnings.push(cellProblem(W.markBackwards, at(inputOf(field)), scale, last as string, now as string));
          if (field !== mainRating) break;
          const scheduled = scheduledEntry(plan, item, year);
          const best = scale.values.find((value) => value.symbol !== scale.notYetDue)!;
          const notYetDue = scale.values.find((value) => value.symbol === scale.notYetDue);
          if (now === best.symbol && scheduled === '検討') warnings.push(cellProblem(W.doneWhileStudying, at(inputOf(field)), best));
          if (notYetDue && now === notYetDue.symbol && scheduled === '実施') warnings.push(cellProblem(W.notYetWhileScheduled, at(inputOf(field)), notYetDue));
          break;
        }
        case 'text': {
          const text = now as string;
          if (typeof last === 'string' && last !== '' && last.trim() === text.trim()) warnings.push(cellProblem(W.sameTextAsLastYear, at(inputOf(field)), fieldName(field)));
          else if (field.required && [...text].length < SHORT_TEXT) warnings.push(cellProblem(W.shortText, at(inputOf(field)), fieldName(field), [...text].length));
          break;
        }
        case 'number': {
          const value = now as number;
          const cell = at(inputOf(field));
          if (field.warnBelow !== undefined && value < field.warnBelow) warnings.push(cellProblem(W.figureBelow, cell, fieldName(field), figure(value, field.unit), figure(field.warnBelow, field.unit)));
          if (field.warnAbove !== undefined && value > field.warnAbove) warnings.push(cellProblem(W.figureAbove, cell, fieldName(field), figure(value, field.unit), figure(field.warnAbove, field.unit)));
          // A ratio means something only against a positive figure of last year.
          if (typeof last === 'number' && last > 0) {
            const { low, high } = field.changeRatio;
            if (value < last * low || value > last * high) warnings.push(cellProblem(W.figureFarFromLastYear, cell, fieldName(field), figure(last, field.unit), figure(value, field.unit), low, high));
          }
          break;
        }
        case 'targetActual': {
          const { target, actual } = now as TargetActualValue;
          if (target === null || actual === null) break;
          const rate = achievementRate(field, target, actual);
          if (rate !== undefined && rate > field.warnRateAbove) {
            warnings.push(cellProblem(W.rateAbove, at(inputOf(field, 'actual')), fieldName(field), rate.toFixed(field.rateDecimals), field.warnRateAbove));
          }
          break;
        }
      }
    }
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
