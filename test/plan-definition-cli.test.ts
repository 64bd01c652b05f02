import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCollectionDefinition } from '../domain/collection-definition';
import { Plan } from '../domain/plan';
import { torimatome as run } from './support/cli';

/** Runs the real `torimatome` command against its own data directory, from that directory. */
const torimatome = (dir: string, ...args: string[]) => run({ cwd: dir, dataDir: join(dir, 'data') }, ...args);
const freshDir = () => mkdtempSync(join(tmpdir(), 'torimatome-definition-'));
const masterPath = (dir: string) => join(dir, 'data', 'plan', 'plan.json');
const importArgs = (example: string, table = join(example, 'plan.csv')) => [
  'plan', 'import', '--definition', join(example, 'definition.json'), '--info', join(example, 'info.json'), '--directory', join(example, 'divisions.json'), table,
];

describe('a city with a form of its own', () => {
  for (const [example, city, ratings] of [
    ['four-step', '青葉川市', ['進捗状況']],
    ['two-rating', '白鷺市', ['着手状況', '達成度']],
  ] as const) {
    it(`starts from the ${example} example: plan init writes it, plan import reads it with its definition`, async () => {
      const dir = freshDir();
      const init = await torimatome(dir, 'plan', 'init', '--example', example);
      expect(init.code, init.stderr).toBe(0);
      for (const file of ['definition.json', 'plan.csv', 'info.json', 'divisions.json']) expect(existsSync(join(dir, example, file)), file).toBe(true);
      const imported = await torimatome(dir, ...importArgs(example));
      expect(imported.code, imported.stderr).toBe(0);
      const plan = Plan.parse(JSON.parse(readFileSync(masterPath(dir), 'utf8')));
      expect(plan.municipality.name).toBe(city);
      expect(plan.items.map((item) => item.no)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      // The master keeps the definition it was read with.
      expect(plan.definition).toEqual(parseCollectionDefinition(JSON.parse(readFileSync(join(dir, example, 'definition.json'), 'utf8'))));
      expect(plan.definition.scales.map((scale) => scale.name)).toEqual(ratings);
      const shown = await torimatome(dir, 'plan', 'show');
      for (const name of ratings) expect(shown.stdout).toContain(`${name} R4`);
      // Again unchanged: the same version.
      const again = await torimatome(dir, ...importArgs(example));
      expect(again.stdout).toContain('内容が同じため、版は変えません');
    });
  }

  it('reads the figures of the four-step table, and reads a CSV saved by Japanese Excel (Shift_JIS) as such', async () => {
    const dir = freshDir();
    await torimatome(dir, 'plan', 'init', '--example', 'four-step');
    const cp932 = join(__dirname, 'fixtures', 'four-step-plan-cp932.csv');
    const imported = await torimatome(dir, ...importArgs('four-step', cp932));
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('Shift_JIS として読みました');
    const plan = Plan.parse(JSON.parse(readFileSync(masterPath(dir), 'utf8')));
    // Item 12 of the example: 進捗状況 A, 効果額 -500 (the card fees cashless payment costs).
    const item12 = plan.items.find((item) => item.no === 12)!;
    expect(item12.values.progress!.R4).toBe('A');
    expect(item12.values.effect!.R4).toBe(-500);
    expect(plan.items.find((item) => item.no === 1)!.values.effect!.R4).toBeNull();
  });

  it('refuses a definition with a mistake, naming it in Japanese, and writes nothing', async () => {
    const dir = freshDir();
    await torimatome(dir, 'plan', 'init', '--example', 'four-step');
    const path = join(dir, 'four-step', 'definition.json');
    const original = readFileSync(path, 'utf8');
    type Definition = { scales: Array<{ values: Array<{ symbol: string }> }>; fields: object[]; table: { columns: object[] } };
    const mistakes: Array<[(d: Definition) => void, string]> = [
      [(d) => (d.scales[0]!.values[1]!.symbol = 'S'), 'scales[0].values[1].symbol: 記号「S」が重複しています（values[0]「S」にもあります）'],
      [(d) => d.fields.push({ id: 'when', kind: 'date', header: '完了日（{year}）' }), 'fields[4].kind: 項目の種類（kind）「date」は使えません（rating, text, number, targetActual）'],
      [(d) => d.table.columns.push({ field: 'cost' }), 'table.columns[9].field: 項目「cost」が定義されていません'],
    ];
    for (const [mistake, message] of mistakes) {
      const definition = JSON.parse(original) as Definition;
      mistake(definition);
      writeFileSync(path, JSON.stringify(definition));
      const refused = await torimatome(dir, ...importArgs('four-step'));
      expect(refused.code, message).toBe(1);
      expect(refused.stderr).toContain('何も書き込んでいません');
      expect(refused.stderr).toContain(message);
      expect(existsSync(join(dir, 'data')), message).toBe(false);
    }
  });

  it('asks for the plan information a CSV cannot carry, and names an unknown example', async () => {
    const dir = freshDir();
    await torimatome(dir, 'plan', 'init', '--example', 'two-rating');
    const noInfo = await torimatome(dir, 'plan', 'import', '--definition', join('two-rating', 'definition.json'), '--out', 'p.json', join('two-rating', 'plan.csv'));
    expect(noInfo.code).toBe(1);
    expect(noInfo.stderr).toContain('--info で計画情報の JSON ファイル');
    const unknown = await torimatome(dir, 'plan', 'init', '--example', 'three-step');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('例「three-step」はありません（four-step、two-rating のどれか）');
    const twice = await torimatome(dir, 'plan', 'init', '--example', 'two-rating');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('上書きしない');
  });
});
