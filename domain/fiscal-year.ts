
/**
 * A Japanese fiscal year (年度) runs from April 1 to March 31 and is named after the
 * calendar year it starts in, in the Japanese era calendar: R4 = 令和4年度 = FY2022.
 * Inside the service a fiscal year is its Western starting year (2022); on the wire and in
 * files it is its canonical code ("R4").
 */
export type FiscalYear = number;

interface Era {
  /** Letter used in codes such as R4 / H30. */
  readonly code: string;
  readonly name: string;
  /** Western year of the era's first fiscal year (年度 1). */
  readonly firstYear: number;
  /** Last fiscal year named in this era, if the era has ended. */
  readonly lastYear?: number;
}

// Newest first. FY2019 began on 2019-04-01 under Heisei but is officially 令和元年度, so
// H31 is accepted on input and always written as R1.
const ERAS: readonly Era[] = [
  { code: 'R', name: '令和', firstYear: 2019 },
  { code: 'H', name: '平成', firstYear: 1989, lastYear: 2019 },
];

const OLDEST_YEAR = 1989;
const NEWEST_YEAR = 2199;

export class FiscalYearError extends Error {
  constructor(readonly input: string) {
    super(`年度として読めません: 「${input}」（例: R4、令和4年度、FY2022）`);
    this.name = 'FiscalYearError';
  }
}

function eraByCode(code: string): Era | undefined {
  return ERAS.find((era) => era.code === code.toUpperCase());
}

function eraByName(name: string): Era | undefined {
  return ERAS.find((era) => era.name === name);
}

function eraOf(year: FiscalYear): Era {
  const era = ERAS.find((e) => year >= e.firstYear);
  if (!era || !isFiscalYear(year)) throw new FiscalYearError(String(year));
  return era;
}

function isFiscalYear(year: number): boolean {
  return Number.isInteger(year) && year >= OLDEST_YEAR && year <= NEWEST_YEAR;
}

function fromEra(era: Era | undefined, ordinal: string, input: string): FiscalYear {
  const n = ordinal === '元' ? 1 : Number(ordinal);
  if (!era || !Number.isInteger(n) || n < 1) throw new FiscalYearError(input);
  const year = era.firstYear + n - 1;
  if ((era.lastYear !== undefined && year > era.lastYear) || !isFiscalYear(year)) {
    throw new FiscalYearError(input);
  }
  return year;
}

/**
 * Reads a fiscal year as people write it: `R4`, `r4`, `Ｒ４`, `令和4年度`, `令和元年度`,
 * `H30`, `平成30年度`, `FY2022`, `2022年度`, `2022`. Anything else throws FiscalYearError.
 */
export function parseFiscalYear(input: string): FiscalYear {
  // NFKC is safe here: it only folds full-width letters and digits, which all mean the same year.
  const text = input.normalize('NFKC').trim();
  let m = /^([A-Za-z])(\d{1,3}|元)(?:年度)?$/.exec(text);
  if (m) return fromEra(eraByCode(m[1]!), m[2]!, input);
  m = /^(\p{Script=Han}{2})(\d{1,3}|元)(?:年度)?$/u.exec(text);
  if (m) return fromEra(eraByName(m[1]!), m[2]!, input);
  m = /^(?:FY)?(\d{4})(?:年度)?$/i.exec(text);
  if (m) {
    const year = Number(m[1]);
    if (isFiscalYear(year)) return year;
  }
  throw new FiscalYearError(input);
}

/** `R4` for 2022, `R1` for 2019, `H30` for 2018. */
export function fiscalYearCode(year: FiscalYear): string {
  const era = eraOf(year);
  return `${era.code}${year - era.firstYear + 1}`;
}

/** `令和4年度` for 2022, `令和元年度` for 2019. */
export function fiscalYearLabel(year: FiscalYear): string {
  const era = eraOf(year);
  const n = year - era.firstYear + 1;
  return `${era.name}${n === 1 ? '元' : n}年度`;
}

/** First and last day of the fiscal year, as ISO dates. */
export function fiscalYearRange(year: FiscalYear): { start: string; end: string } {
  eraOf(year);
  return { start: `${year}-04-01`, end: `${year + 1}-03-31` };
}

/** The fiscal year a calendar date (`YYYY-MM-DD`) falls in. */
export function fiscalYearOfDate(isoDate: string): FiscalYear {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!m) throw new FiscalYearError(isoDate);
  const year = Number(m[1]);
  return Number(m[2]) >= 4 ? year : year - 1;
}

/** Inclusive list of fiscal years from `from` to `to`. */
export function fiscalYearsBetween(from: FiscalYear, to: FiscalYear): FiscalYear[] {
  const years: FiscalYear[] = [];
  for (let y = from; y <= to; y++) years.push(y);
  return years;
}

export function isCanonicalCode(code: string): boolean {
  try {
    return fiscalYearCode(parseFiscalYear(code)) === code;
  } catch {
    return false;
  }
}

/** Orders fiscal year codes chronologically. */
export function compareFiscalYearCodes(a: string, b: string): number {
  return parseFiscalYear(a) - parseFiscalYear(b);
}
