import { describe, expect, it } from 'vitest';
import { Plan } from '../domain/plan';
import { writePlanCsv } from '../master/plan-csv';
import { laterPlan, SMALL_PLAN_HEADER as HEADER, smallPlan } from './fixtures/small-plan';


/** Records of the CSV, split where the writer must have put CRLF (the fixture has no CR in a cell). */
function lines(csv: string): string[] {
  return csv.slice(1).split('\r\n');
}

function withStatusText(text: string): Plan {
  const plan = smallPlan();
  const [first] = plan.items;
  return { ...plan, items: [{ ...first!, values: { ...first!.values, statusText: { R4: text } } }] };
}

/** The status text field of a one-item plan's only row. */
function statusField(text: string): string {
  const row = lines(writePlanCsv(withStatusText(text)))[1]!;
  return row.split(',')[10]!;
}

describe('writePlanCsv', () => {
  it('writes the whole fixture as Excel reads it', () => {
    expect(writePlanCsv(smallPlan())).toBe(
      [
        `\uFEFF${HEADER.join(',')}`,
        "1,地域マネジメント,協働の推進,職員研修の充実,協働について研修を行う。,実施,→,→,→,→,'=SUM(A1)で集計した,○,○,○,○,くらしいきいき課",
        "2,地域マネジメント,協働の推進,自治会への加入促進,転入者への案内を強化する。,検討,順次実施,→,→,→,'-5%の減少,-,○,△,×,総務課、くらしいきいき課",
        '3,地域マネジメント,,広報手段の検討,,,,検討,実施,→,"""quoted"", text\n二行目",,,-,△,総合政策課、総務課、教育振興課',
        '12,組織力の強化,組織機構の見直し,組織目標の進行管理,目標管理を行う。,実施,→,→,→,→,,△,△,○,○,文化企画課',
        '',
      ].join('\r\n'),
    );
  });

  it('starts with a BOM and one header row', () => {
    const csv = writePlanCsv(smallPlan());
    expect(csv.startsWith('\uFEFF整理番号,')).toBe(true);
    expect(lines(csv)[0]!.split(',')).toEqual(HEADER);
  });

  it('ends every record, the last one too, with CRLF and nothing else', () => {
    const csv = writePlanCsv(smallPlan());
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(lines(csv)).toHaveLength(1 + 4 + 1);
    // The only bare LF is the one inside the quoted status text.
    expect(csv.replace(/\r\n/g, '').match(/\n/g)).toHaveLength(1);
  });

  it('quotes fields with a quote, comma, CR or LF and doubles the quotes', () => {
    expect(statusField('say "hi"')).toBe('"say ""hi"""');
    expect(lines(writePlanCsv(withStatusText('a,b')))[1]).toContain(',"a,b",');
    expect(lines(writePlanCsv(withStatusText('a\nb')))[1]).toContain(',"a\nb",');
    expect(writePlanCsv(withStatusText('a\rb'))).toContain(',"a\rb",');
    expect(statusField('plain text')).toBe('plain text');
  });

  it.each([
    ['=SUM(A1)', "'=SUM(A1)"],
    ['+1', "'+1"],
    ['-5%', "'-5%"],
    ['@cmd', "'@cmd"],
    ['\tx', "'\tx"],
    ['\rx', `"'\rx"`],
  ])('keeps spreadsheets from running %j as a formula', (text, field) => {
    expect(statusField(text)).toBe(field);
  });

  it('guards only the start of a cell', () => {
    expect(statusField('a=b')).toBe('a=b');
    expect(statusField(' =b')).toBe(' =b');
  });

  it('writes a cell that is just - as it is', () => {
    expect(statusField('-')).toBe('-');
    expect(statusField('--')).toBe("'--");
  });

  it('quotes a guarded cell that also needs quotes', () => {
    expect(statusField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
  });

  it('leaves the status mark - as it is', () => {
    const row = lines(writePlanCsv(smallPlan()))[2]!.split(',');
    expect(row.slice(11, 15)).toEqual(['-', '○', '△', '×']);
  });

  it('names the year columns after the plan, not a fixed list', () => {
    const header = lines(writePlanCsv(laterPlan()))[0]!.split(',');
    expect(header).toEqual([
      '整理番号',
      '基本方針',
      '施策',
      '具体的な取組',
      '事業概要',
      'スケジュール（R3）',
      'スケジュール（R4）',
      'スケジュール（R5）',
      'スケジュール（R6）',
      'スケジュール（R7）',
      '取組状況（R6年度末見込み）',
      '取組状況（R3年度末時点）',
      '取組状況（R4年度末時点）',
      '取組状況（R5年度末時点）',
      '取組状況（R6年度末時点）',
      '担当課',
    ]);
  });

  it('writes items in number order and years in time order, however the plan lists them', () => {
    const plan = smallPlan();
    const shuffled = { ...plan, fieldYears: { ...plan.fieldYears, marks: ['R4', 'R2', 'R1', 'R3'] }, items: [...plan.items].reverse() };
    expect(writePlanCsv(shuffled)).toBe(writePlanCsv(plan));
  });
});
