import { afterAll, bench, describe } from 'vitest';
import { createCheckerPool, RETURN_FILE_LIMITS } from '../../sheets/checker-pool';
import { readReturnFile } from '../../sheets/read-return-file';
import { readReturnSheet } from '../../sheets/read-return-sheet';
import { verifyZipContainer } from '../../sheets/return-file-checks';
import { filledSomuSheet, somuExpected } from './fixtures';

// A return read by a checker of the pool, against the same reading in this process (the floor):
// the difference is what the pool's isolation costs, IPC and the checker's own heap settings
// included (with V8's default heap growth under the checker's cap, it was 2.3 times the floor).
describe('reading one return', () => {
  const expected = somuExpected();
  const pool = createCheckerPool({ size: 1 });
  const filled = filledSomuSheet();
  afterAll(() => pool.close());

  bench(
    'in this process (the floor)',
    async () => {
      const container = await verifyZipContainer(await filled, RETURN_FILE_LIMITS);
      if ('problem' in container) throw new Error(container.problem.message);
      if (!(await readReturnSheet(container.verified, expected)).ok) throw new Error('the fixture did not read clean');
    },
    { time: 5000, warmupIterations: 50 },
  );
  bench(
    'by a checker of the pool',
    async () => {
      if (!(await readReturnFile(await filled, expected, pool)).ok) throw new Error('the fixture did not read clean');
    },
    { time: 5000, warmupIterations: 50 },
  );
});
