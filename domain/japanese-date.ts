/**
 * Dates as a Japanese office writes them: 令和5年3月31日（金）. The calendar era changes on its
 * own day (令和 from 2019-05-01), unlike fiscal years, which are named by the year they start in.
 */
const WEEKDAYS = ['日', '月', '火', '水', '木', '金', '土'];
const REIWA_START = Date.UTC(2019, 4, 1);

/** The wall-clock parts of an instant in Asia/Tokyo (UTC+9, no daylight saving). */
function tokyoParts(iso: string): { year: number; month: number; day: number; weekday: number; hour: number; minute: number } {
  const at = new Date(new Date(iso).getTime() + 9 * 3600_000);
  if (Number.isNaN(at.getTime())) throw new Error(`not an instant: ${iso}`);
  return { year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, day: at.getUTCDate(), weekday: at.getUTCDay(), hour: at.getUTCHours(), minute: at.getUTCMinutes() };
}

export function japaneseDate(iso: string): string {
  const p = tokyoParts(iso);
  const reiwa = Date.UTC(p.year, p.month - 1, p.day) >= REIWA_START;
  const n = reiwa ? p.year - 2018 : p.year - 1988;
  return `${reiwa ? '令和' : '平成'}${n === 1 ? '元' : n}年${p.month}月${p.day}日（${WEEKDAYS[p.weekday]}）`;
}

/** `令和5年3月31日（金）23:59`. */
export function japaneseDateTime(iso: string): string {
  const p = tokyoParts(iso);
  return `${japaneseDate(iso)}${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}
