import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../master/findings';
import { importPlan } from '../master/import';
import { seedDirectory, seedOverrides, seedText } from './support/seed';

/** The seed text with one line changed: `edit` gets the line of item `no` (or the header). */
function seedWith(match: (line: string) => boolean, edit: (line: string) => string): Buffer {
  const lines = seedText().toString('utf8').split('\n');
  const at = lines.findIndex(match);
  if (at < 0) throw new Error('no such line in the seed');
  lines[at] = edit(lines[at]!);
  return Buffer.from(lines.join('\n'), 'utf8');
}

const itemLine = (no: number) => (line: string) => line.startsWith(`${no}\t`);

async function errorsOf(data: Buffer): Promise<Finding[]> {
  const outcome = await importPlan(data, { overrides: seedOverrides(), directory: seedDirectory() });
  expect(outcome.plan).toBeUndefined();
  return outcome.findings.filter((f) => f.severity === 'error');
}

describe('broken inputs get a Japanese error naming the row, and no plan', () => {
  it('a truncated row', async () => {
    const errors = await errorsOf(seedWith(itemLine(12), (l) => l.split('\t').slice(0, 5).join('\t')));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'truncated-row', no: 12, line: 31 });
    expect(errors[0]!.message).toContain('セルが足りません');
  });

  it('an unknown status mark, with the value shown', async () => {
    const errors = await errorsOf(seedWith(itemLine(11), (l) => l.replace('\t△\t△\t△\t△\t', '\t△\t◎\t△\t△\t')));
    expect(errors).toEqual([expect.objectContaining({ code: 'unknown-status-mark', no: 11, line: 30 })]);
    expect(errors[0]!.message).toContain('「◎」');
    expect(errors[0]!.message).toContain('R2');
  });

  it('a duplicate item number', async () => {
    const errors = await errorsOf(seedWith(itemLine(12), (l) => l.replace(/^12\t/, '11\t')));
    expect(errors).toEqual([expect.objectContaining({ code: 'duplicate-item-number', no: 11, line: 31 })]);
    expect(errors[0]!.message).toContain('行30');
  });

  it('an unknown division', async () => {
    const errors = await errorsOf(seedWith(itemLine(23), (l) => l.replace(/収納課$/, '徴収課')));
    expect(errors).toEqual([expect.objectContaining({ code: 'unknown-division', no: 23 })]);
    expect(errors[0]!.message).toContain('「徴収課」');
  });

  it('an empty file, or one holding only blank lines', async () => {
    for (const data of [Buffer.alloc(0), Buffer.from('\n \r\n\u3000\n')]) {
      expect(await errorsOf(data)).toEqual([expect.objectContaining({ code: 'empty-file', message: 'ファイルが空です' })]);
    }
  });

  it('a status text year outside the plan period', async () => {
    const errors = await errorsOf(seedWith((l) => l.startsWith('整理番号'), (l) => l.replace('R4年度末見込み', 'R7年度末見込み')));
    expect(errors[0]).toMatchObject({ code: 'year-outside-period', line: 10 });
    expect(errors[0]!.message).toContain('R7');
    expect(errors[0]!.message).toContain('計画期間（R1〜R5）');
  });

  it('a file that is neither UTF-8 nor Shift_JIS', async () => {
    const errors = await errorsOf(Buffer.from([0x81, 0x00, 0xff, 0xfe, 0x80, 0x81, 0xa0, 0xff]));
    expect(errors[0]).toMatchObject({ code: 'unknown-encoding' });
  });

  it('text that is not the status table', async () => {
    const errors = await errorsOf(Buffer.from('氏名\t住所\n山田\t東京\n', 'utf8'));
    expect(errors[0]!.message).toContain('見出し行');
  });
});

describe('a Shift_JIS file', () => {
  it('is read correctly and the report says so', async () => {
    const sjis = iconv.encode(seedText().toString('utf8'), 'Shift_JIS');
    // The seed holds a character Shift_JIS cannot write (压), so compare with what it can.
    const sameText = Buffer.from(iconv.decode(sjis, 'Shift_JIS'), 'utf8');
    const fromSjis = await importPlan(sjis, { overrides: seedOverrides(), directory: seedDirectory() });
    const fromUtf8 = await importPlan(sameText, { overrides: seedOverrides(), directory: seedDirectory() });
    expect(fromSjis.plan?.items).toHaveLength(35);
    expect(fromSjis.plan).toEqual(fromUtf8.plan);
    expect(fromSjis.findings.find((f) => f.code === 'encoding-shift-jis')?.message).toContain('Shift_JIS');
  });
});
