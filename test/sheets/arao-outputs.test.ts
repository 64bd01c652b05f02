import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpWorkbook } from '../support/workbook-cells';
import { araoOutputs } from './arao-outputs';

const FIXTURES = join(__dirname, '..', 'fixtures', 'arao-outputs');

describe("Arao's outputs under its collection definition", async () => {
  const outputs = await araoOutputs();
  for (const [name, data] of Object.entries(outputs)) {
    it(`${name} is, cell by cell, what it was before the definition`, async () => {
      if (name.endsWith('csv')) {
        expect(data.toString('utf8')).toBe(readFileSync(join(FIXTURES, `${name}.csv`), 'utf8'));
        return;
      }
      const recorded = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
      const now = JSON.parse(JSON.stringify(await dumpWorkbook(data))) as typeof recorded;
      expect(now.sheets.map((sheet: { name: string }) => sheet.name)).toEqual(recorded.sheets.map((sheet: { name: string }) => sheet.name));
      for (const [i, sheet] of (now.sheets as Array<{ name: string }>).entries()) expect(sheet, sheet.name).toEqual(recorded.sheets[i]);
    });
  }
});
