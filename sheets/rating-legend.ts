import type { CollectionDefinition } from '../domain/collection-definition';
import { fiscalYearLabel, parseFiscalYear } from '../domain/fiscal-year';

/**
 * The meaning of each rating symbol, one scale after another: for R4 Arao's reads
 * `取組状況：「○」実施済み 「△」一部実施 「×」未実施または検討中 「-」令和5年度以降実施`. The table
 * names the year the not-yet-due value stands for rather than saying 翌年度.
 */
export function ratingLegend(definition: CollectionDefinition, year: string): string {
  const nextYear = fiscalYearLabel(parseFiscalYear(year) + 1);
  const rated = new Set(definition.fields.flatMap((field) => (field.kind === 'rating' ? [field.scale] : [])));
  return definition.scales
    .filter((scale) => rated.has(scale.id))
    .map((scale) => {
      const meaning = (value: (typeof scale.values)[number]) => (value.symbol === scale.notYetDue ? value.label.replace('翌年度', nextYear) : value.label);
      return `${scale.name}：${scale.values.map((value) => `「${value.symbol}」${meaning(value)}`).join(' ')}`;
    })
    .join('　');
}
