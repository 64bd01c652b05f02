/**
 * Arao's outputs from the seed, as the service writes them: the return sheets (blank, and sent
 * back with answers filled in) and the consolidated table. Their cell-by-cell dumps from before
 * the collection definition are recorded in test/fixtures/arao-outputs; the definition must
 * leave every cell as it was.
 */
import { consolidatePlan, writeConsolidatedCsv, writeConsolidatedWorkbook } from '../../sheets/consolidated-table';
import { writeReturnSheet } from '../../sheets/write-return-sheet';
import { seedAnswer, seedPlan, sheetInput, withoutYear } from './fixtures';

export async function araoOutputs(): Promise<Record<string, Buffer>> {
  const seed = seedPlan();
  const before = withoutYear(seed, 'R4');
  const somu = sheetInput(before);
  const answered = somu.items.filter((entry) => entry.role === 'answer').map((entry) => entry.item.no);
  const answers = Object.fromEntries(answered.slice(1).map((no) => [no, seedAnswer(no).values]));
  const kikaku = sheetInput(before, { divisionId: 'bunka-kikaku', divisionName: '文化企画課' });
  const consolidated = consolidatePlan(before, 'R4', new Map(seed.items.filter((item) => item.no !== 14).map((item) => [item.no, seedAnswer(item.no).values])));
  const notes = new Map([[14, '未提出'], [27, '確認事項：説明あり']]);
  return {
    'return-sheet-somu': await writeReturnSheet(somu),
    'return-sheet-somu-sent-back': await writeReturnSheet({ ...somu, meta: { ...somu.meta, sheetVersion: 2 }, answers }),
    'return-sheet-bunka-kikaku': await writeReturnSheet(kikaku),
    'consolidated-table': await writeConsolidatedWorkbook({ plan: consolidated, year: 'R4', notes, notReturned: [{ divisionId: 'somu', divisionName: '総務課' }] }),
    'consolidated-csv': Buffer.from(writeConsolidatedCsv(consolidated, 'R4', notes)),
  };
}
