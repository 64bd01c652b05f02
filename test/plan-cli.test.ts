import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { torimatome as run } from './support/cli';
import { SEED_OVERRIDES_PATH, SEED_PLAN_PATH, SEED_TEXT_PATH } from './support/seed';

/** Runs the real `torimatome` command against its own data directory, from that directory. */
const torimatome = (dir: string, ...args: string[]) => run({ cwd: dir, dataDir: join(dir, 'data') }, ...args);

const freshDir = () => mkdtempSync(join(tmpdir(), 'torimatome-cli-'));
const masterOf = (dir: string) => readFileSync(join(dir, 'data', 'plan', 'plan.json'), 'utf8');

describe('torimatome plan', () => {
  it('starts from the master shipped in seeds/ when the data directory is empty', async () => {
    const dir = freshDir();
    const shown = await torimatome(dir, 'plan', 'show');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('荒尾市 行政改革実施計画（第1版、計画期間 R1〜R5、35項目）');
    expect(shown.stdout).toContain('■ 基本方針: 人材マネジメント');
    expect(shown.stdout).toContain('R1- R2× R3△ R4△');
    expect((await torimatome(dir, 'plan', 'show', '--json')).stdout).toBe(readFileSync(SEED_PLAN_PATH, 'utf8'));
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('takes a division by id or by Japanese name', async () => {
    const dir = freshDir();
    const byId = await torimatome(dir, 'plan', 'show', '--division', 'kokyo-shisetsu');
    const byName = await torimatome(dir, 'plan', 'show', '--division', '公共施設マネジメント推進室');
    expect(byId.stdout).toBe(byName.stdout);
    expect([...byId.stdout.matchAll(/^ +(\d+)\. /gm)].map((m) => Number(m[1]))).toEqual([15, 26, 27, 28, 29]);
    // A member of 各施設所管課 answers for the items that name the group.
    const member = await torimatome(dir, 'plan', 'show', '--division', '建築住宅課');
    expect([...member.stdout.matchAll(/^ +(\d+)\. /gm)].map((m) => Number(m[1]))).toEqual([27, 28]);
    const unknown = await torimatome(dir, 'plan', 'show', '--division', '徴収課');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('課「徴収課」が課の名簿');
  });

  it('imports the seed with its overrides into the data directory, with the report beside it', async () => {
    const dir = freshDir();
    const run = await torimatome(dir, 'plan', 'import', SEED_TEXT_PATH, '--overrides', SEED_OVERRIDES_PATH);
    expect(run.code).toBe(0);
    expect(masterOf(dir)).toBe(readFileSync(SEED_PLAN_PATH, 'utf8'));
    const report = readFileSync(join(dir, 'data', 'plan', 'import-report.md'), 'utf8');
    expect(report).toContain('結果: 取り込みました。第1版、35項目');
    expect(report).toContain('整理番号35（行81）: 空セルが取組状況の位置にずれていた');
    expect(report).toContain('整理番号14（行33）: 担当課（総務課）を overrides で決めました');

    const again = await torimatome(dir, 'plan', 'import', SEED_TEXT_PATH, '--overrides', SEED_OVERRIDES_PATH);
    expect(again.stdout).toContain('内容が同じため、版は変えません');
    expect(masterOf(dir)).toBe(readFileSync(SEED_PLAN_PATH, 'utf8'));
  });

  it('round-trips the master through Excel and through JSON, byte for byte', async () => {
    const dir = freshDir();
    await torimatome(dir, 'plan', 'import', SEED_TEXT_PATH, '--overrides', SEED_OVERRIDES_PATH);
    const before = masterOf(dir);
    const exported = await torimatome(dir, 'plan', 'export', '--format', 'xlsx', '--out', 'plan.xlsx');
    expect(exported.code).toBe(0);
    expect((await torimatome(dir, 'plan', 'import', 'plan.xlsx')).code).toBe(0);
    expect(masterOf(dir)).toBe(before);

    writeFileSync(join(dir, 'plan.json'), (await torimatome(dir, 'plan', 'show', '--json')).stdout);
    expect((await torimatome(dir, 'plan', 'import', 'plan.json', '--out', 'copy.json')).code).toBe(0);
    expect(readFileSync(join(dir, 'copy.json'), 'utf8')).toBe(before);
  });

  it('raises the version when the imported plan differs from the one in use', async () => {
    const dir = freshDir();
    await torimatome(dir, 'plan', 'import', SEED_TEXT_PATH, '--overrides', SEED_OVERRIDES_PATH);
    const edited = masterOf(dir).replace('RPAによる定型業務の自動化', 'RPA・AI-OCRによる定型業務の自動化');
    writeFileSync(join(dir, 'edited.json'), edited);
    const run = await torimatome(dir, 'plan', 'import', 'edited.json');
    expect(run.stdout).toContain('第2版とします');
    expect(JSON.parse(masterOf(dir))).toMatchObject({ version: 2 });
  });

  it('writes nothing when the import stops, and keeps the master in use', async () => {
    const dir = freshDir();
    const broken = readFileSync(SEED_TEXT_PATH, 'utf8').replace(/^23\t(.*)収納課$/m, '23\t$1徴収課');
    writeFileSync(join(dir, 'broken.txt'), broken);
    const first = await torimatome(dir, 'plan', 'import', 'broken.txt', '--overrides', SEED_OVERRIDES_PATH);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('[エラー] 整理番号23: 担当課「徴収課」が課の名簿');
    expect(first.stderr).toContain('何も書き込んでいません');
    expect(existsSync(join(dir, 'data'))).toBe(false);

    await torimatome(dir, 'plan', 'import', SEED_TEXT_PATH, '--overrides', SEED_OVERRIDES_PATH);
    const before = masterOf(dir);
    const second = await torimatome(dir, 'plan', 'import', 'broken.txt', '--overrides', SEED_OVERRIDES_PATH);
    expect(second.code).toBe(1);
    expect(masterOf(dir)).toBe(before);
    expect(readdirSync(join(dir, 'data', 'plan')).sort()).toEqual(['import-report.md', 'plan.json']);
  });

  it('writes the CSV to standard output with a BOM and the literal headers', async () => {
    const run = await torimatome(freshDir(), 'plan', 'export', '--format', 'csv', '--out', '-');
    expect(run.stdout.startsWith('\uFEFF整理番号,基本方針,施策,具体的な取組,事業概要,スケジュール（R1）,')).toBe(true);
    expect(run.stdout).toContain(',取組状況（R4年度末見込み）,取組状況（R1年度末時点）,');
  });

  it('answers a bad argument or a missing file clearly', async () => {
    const dir = freshDir();
    const badFormat = await torimatome(dir, 'plan', 'export', '--format', 'pdf');
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('Allowed choices are xlsx, csv');
    const missing = await torimatome(dir, 'plan', 'import', 'nowhere.txt');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ファイルが見つかりません: nowhere.txt');
    writeFileSync(join(dir, 'bad-overrides.json'), '{"items": {"14": {"divisions": []}}}');
    const badOverrides = await torimatome(dir, 'plan', 'import', SEED_TEXT_PATH, '--overrides', 'bad-overrides.json');
    expect(badOverrides.code).toBe(1);
    expect(badOverrides.stderr).toContain('overrides ファイル（bad-overrides.json）の内容が正しくありません');
    expect(badOverrides.stderr).toContain('items.14.reason');
  });

  it('says plainly when no service is running, and checks cycle arguments first', async () => {
    const dir = freshDir();
    const status = await torimatome(dir, 'cycle', 'status');
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('torimatome のサービスが動いていません');
    const badYear = await torimatome(dir, 'cycle', 'launch', '--year', 'R0', '--deadline', '2023-03-31');
    expect(badYear.code).toBe(1);
    expect(badYear.stderr).toContain('年度として読めません: 「R0」');
    const badDeadline = await torimatome(dir, 'cycle', 'launch', '--year', 'R4', '--deadline', '2023-02-30');
    expect(badDeadline.code).toBe(1);
    expect(badDeadline.stderr).toContain('--deadline は YYYY-MM-DD の形の日付で指定してください: 2023-02-30');
  });
});
