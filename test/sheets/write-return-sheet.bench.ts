import { bench, describe } from 'vitest';
import { writeReturnSheet } from '../../sheets/write-return-sheet';
import { seedPlan, sheetInput, withoutYear } from './fixtures';

// Launching a cycle builds one sheet per division; a 10-item sheet should take well under 50 ms.
describe('writeReturnSheet', () => {
  const plan = withoutYear(seedPlan(), 'R4');
  const input = sheetInput(plan);
  const tenItems = { ...input, items: plan.items.slice(0, 10).map((item) => ({ item, role: 'answer' as const })) };
  bench('a 10-item sheet', async () => {
    await writeReturnSheet(tenItems);
  });
});
