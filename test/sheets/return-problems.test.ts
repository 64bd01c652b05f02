import { describe, expect, it } from 'vitest';
import { cellProblem, RETURN_PROBLEMS } from '../../sheets/return-problems';

describe('RETURN_PROBLEMS', () => {
  it('gives every kind of problem its own code', () => {
    const codes = Object.values(RETURN_PROBLEMS).map((kind) => kind.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('puts the cell and the item in front of a cell problem', () => {
    expect(cellProblem(RETURN_PROBLEMS.missingMark, { cell: 'O12', no: 14 })).toEqual({
      code: 'missing-mark',
      message: 'セル O12（整理番号14）: 取組状況の記号が入力されていません',
      cell: 'O12',
      no: 14,
    });
  });
});
