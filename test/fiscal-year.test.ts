import { describe, expect, it } from 'vitest';
import { FiscalYearError, fiscalYearCode, fiscalYearLabel, fiscalYearOfDate, fiscalYearRange, parseFiscalYear } from '../domain/fiscal-year';
import { FiscalYearCode } from '../domain/fiscal-year-code';

describe('fiscal years', () => {
  it('reads R4, 令和4年度 and FY2022 as the same year, starting April 1', () => {
    for (const text of ['R4', 'r4', 'Ｒ４', 'R4年度', '令和4年度', '令和４年度', '令和4', 'FY2022', '2022年度', '2022']) {
      expect(parseFiscalYear(text), text).toBe(2022);
    }
    expect(fiscalYearCode(2022)).toBe('R4');
    expect(fiscalYearLabel(2022)).toBe('令和4年度');
    expect(fiscalYearRange(2022)).toEqual({ start: '2022-04-01', end: '2023-03-31' });
  });

  it('names the first year of an era 元年 and writes FY2019 as R1 even when given as H31', () => {
    expect(parseFiscalYear('令和元年度')).toBe(2019);
    expect(parseFiscalYear('H31')).toBe(2019);
    expect(parseFiscalYear('平成31年度')).toBe(2019);
    expect(fiscalYearCode(2019)).toBe('R1');
    expect(fiscalYearLabel(2019)).toBe('令和元年度');
    expect(fiscalYearCode(2018)).toBe('H30');
    expect(fiscalYearLabel(2018)).toBe('平成30年度');
    expect(parseFiscalYear('平成元年度')).toBe(1989);
  });

  it('puts January to March in the fiscal year that began the April before', () => {
    expect(fiscalYearOfDate('2023-03-31')).toBe(2022);
    expect(fiscalYearOfDate('2023-04-01')).toBe(2023);
    expect(fiscalYearOfDate('2023-01-04')).toBe(2022);
  });

  it('refuses what is not a year, showing the value', () => {
    for (const text of ['', 'R', 'R0', 'R-1', 'R4.5', 'H32', 'S60', '昭和60年度', '1988', 'FY22', '令和', 'abc', '2022-04', 'R 4 5']) {
      expect(() => parseFiscalYear(text), text).toThrow(FiscalYearError);
    }
    expect(() => parseFiscalYear('H32')).toThrow('「H32」');
  });

  it('accepts only canonical codes in stored data', () => {
    expect(FiscalYearCode.safeParse('R4').success).toBe(true);
    for (const code of ['r4', '令和4年度', 'H31', '2022']) expect(FiscalYearCode.safeParse(code).success, code).toBe(false);
  });
});
