import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATUS_SCALE } from '../../domain/status-mark';
import { cellProblem, RETURN_PROBLEMS, RETURN_WARNINGS } from '../../sheets/return-problems';

describe('RETURN_PROBLEMS', () => {
  it('gives every kind of problem and warning its own code', () => {
    const codes = [...Object.values(RETURN_PROBLEMS), ...Object.values(RETURN_WARNINGS)].map((kind) => kind.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('has a test that produces each entry, in the corpus or the warnings', () => {
    const tests = readdirSync(__dirname)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => readFileSync(join(__dirname, f), 'utf8'))
      .join('\n');
    const untested = [...Object.entries(RETURN_PROBLEMS), ...Object.entries(RETURN_WARNINGS)].filter(
      ([name, kind]) => !tests.includes(`'${kind.code}'`) && !tests.includes(`.${name}`),
    );
    expect(untested.map(([name]) => name)).toEqual([]);
  });

  it('puts the cell and the item in front of a cell problem', () => {
    expect(cellProblem(RETURN_PROBLEMS.missingMark, { cell: 'O12', no: 14 }, STATUS_SCALE)).toEqual({
      code: 'missing-mark',
      message: 'セル O12（整理番号14）: 取組状況の記号が入力されていません',
      cell: 'O12',
      no: 14,
    });
  });
});
