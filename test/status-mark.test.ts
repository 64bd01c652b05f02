import { describe, expect, it } from 'vitest';
import { isPlausibleSchedule, readScheduleEntry } from '../domain/schedule';
import { readStatusMark, StatusMark } from '../domain/status-mark';

describe('status marks', () => {
  it('maps each variant in the table to its mark and says it was a variant', () => {
    const table: Record<string, string> = {
      '〇': '○', '◯': '○', '⭕': '○', '⭕\uFE0F': '○',
      '▲': '△', '▵': '△',
      '✕': '×', '✖': '×', '╳': '×', x: '×', X: '×',
      '‐': '-', '−': '-', '–': '-', '—': '-', '―': '-', 'ー': '-', '─': '-',
    };
    for (const [variant, mark] of Object.entries(table)) {
      expect(readStatusMark(variant), variant).toEqual({ ok: true, mark, variant: true });
    }
    for (const mark of ['○', '△', '×', '-']) expect(readStatusMark(` ${mark}\u3000`)).toEqual({ ok: true, mark, variant: false });
  });

  it('reads a blank cell as not applicable', () => {
    for (const blank of ['', ' ', '\u3000']) expect(readStatusMark(blank)).toEqual({ ok: true, mark: '', variant: false });
    expect(StatusMark.parse('')).toBe('');
  });

  it('refuses anything else with its value', () => {
    for (const value of ['◎', '○○', 'o', '0', '済', '△×', '?']) expect(readStatusMark(value)).toEqual({ ok: false, value });
  });
});

describe('schedule entries', () => {
  it('reads the four entries, arrow variants and blanks', () => {
    expect(['実施', '検討', '順次実施', '→', '⇒', '', ' '].map(readScheduleEntry)).toEqual(['実施', '検討', '順次実施', '→', '→', '', '']);
    expect(readScheduleEntry('実施済')).toBeUndefined();
  });

  it('tells a schedule a plan can have from one it cannot', () => {
    expect(isPlausibleSchedule(['検討', '順次実施', '→', '→', '→'])).toBe(true);
    expect(isPlausibleSchedule(['', '', '実施', '→', '→'])).toBe(true);
    expect(isPlausibleSchedule(['→', '→', '→', '→', '→'])).toBe(false);
    expect(isPlausibleSchedule(['', '→', '実施', '→', '→'])).toBe(false);
    expect(isPlausibleSchedule(['実施', '検討', '実施', '→', '→'])).toBe(false);
  });
});
