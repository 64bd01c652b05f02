import { describe, expect, it } from 'vitest';
import { statusPage } from '../domain/status-pages';

describe('statusPage', () => {
  const entries = Array.from({ length: 10 }, (_, i) => ({ divisionId: `d${i}`, note: '提出免除' }));
  const size = Buffer.byteLength(JSON.stringify(entries[0])) + 1;

  it('takes entries while their UTF-8 JSON fits, and says where the next page starts', () => {
    expect(statusPage(entries, { from: 0, maxBytes: size * 3 })).toEqual({ entries: entries.slice(0, 3), next: 3 });
    expect(statusPage(entries, { from: 3, maxBytes: size * 3 + size - 1 })).toEqual({ entries: entries.slice(3, 6), next: 6 });
    expect(statusPage(entries, { from: 6, maxBytes: size * 10 })).toEqual({ entries: entries.slice(6) });
  });

  it('takes one entry larger than the page, so that reading always moves on', () => {
    expect(statusPage(entries, { from: 9, maxBytes: 1 })).toEqual({ entries: entries.slice(9) });
    expect(statusPage(entries, { from: 0, maxBytes: 1 })).toEqual({ entries: entries.slice(0, 1), next: 1 });
    expect(statusPage([], { from: 0, maxBytes: 1 })).toEqual({ entries: [] });
  });
});
