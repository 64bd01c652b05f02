import { fiscalYearLabel, parseFiscalYear } from '../domain/fiscal-year';
import { STATUS_MARK_MEANINGS, STATUS_MARKS } from '../domain/status-mark';

/**
 * `取組状況：「○」実施済み 「△」一部実施 「×」未実施または検討中 「-」令和5年度以降実施` for R4:
 * the table names the year that `-` stands for rather than saying 翌年度.
 */
export function statusLegend(year: string): string {
  const nextYear = fiscalYearLabel(parseFiscalYear(year) + 1);
  const meaning = (mark: (typeof STATUS_MARKS)[number]) => (mark === '-' ? `${nextYear}以降実施` : STATUS_MARK_MEANINGS[mark]);
  return `取組状況：${STATUS_MARKS.map((mark) => `「${mark}」${meaning(mark)}`).join(' ')}`;
}
