import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../store/open-store';
import { loadSnapshot, takeSnapshot } from '../../store/snapshot';
import { useS3Server } from '../support/s3-bucket';

const CYCLE_ID = 'cycle-arao-R4';
const s3 = useS3Server();

// Where a second process finds the store: the data directory itself, or the bucket its environment names.
const places: Record<string, () => Promise<NodeJS.ProcessEnv>> = {
  'the data directory': async () => ({}),
  'an S3 bucket (SeaweedFS)': async () => (await s3.place()).env,
};

describe.each(Object.keys(places))('the cycle snapshot in %s', (name) => {
  const open = async () => {
    const env = await places[name]!();
    const dataDir = mkdtempSync(join(tmpdir(), 'torimatome-snapshot-'));
    const store = openStore(dataDir, env);
    await takeSnapshot(store, CYCLE_ID, 'arao', 'R4');
    const move = (no: number, to: string) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', join(__dirname, 'children', 'move-item.ts'), dataDir, CYCLE_ID, String(no), to], { env: { ...process.env, ...env } }).then(({ stdout }) => JSON.parse(stdout));
    return { store, move };
  };

  it('is read anew in one process once another process has moved an item', async () => {
    const { store, move } = await open();
    const before = await loadSnapshot(store, CYCLE_ID);
    const source = before.assignments.find((a) => a.answers.length > 1)!;
    const target = before.assignments.find((a) => a.divisionId !== source.divisionId)!;
    const no = source.answers[0]!;

    expect(await move(no, target.divisionId)).toEqual({ from: source.divisionId, fromStillAnswers: true });

    const after = await loadSnapshot(store, CYCLE_ID);
    expect(after.assignments.find((a) => a.divisionId === target.divisionId)!.answers).toContain(no);
    expect(after.assignments.find((a) => a.divisionId === source.divisionId)!.answers).not.toContain(no);
    expect(after.reassignments).toEqual([expect.objectContaining({ no, from: source.divisionId, to: target.divisionId, by: 'test' })]);
    // Unchanged, it is the same parsed snapshot: thousands of sheets do not parse it thousands of times.
    expect(await loadSnapshot(store, CYCLE_ID)).toBe(after);
  });

  it('keeps every move when processes move items at the same time', async () => {
    const { store, move } = await open();
    const before = await loadSnapshot(store, CYCLE_ID);
    const target = before.assignments.find((a) => a.answers.length > 0)!.divisionId;
    const moved = before.assignments.filter((a) => a.divisionId !== target).flatMap((a) => a.answers).slice(0, 6);
    await Promise.all(moved.map((no) => move(no, target)));

    const after = await loadSnapshot(store, CYCLE_ID);
    expect(after.assignments.find((a) => a.divisionId === target)!.answers).toEqual(expect.arrayContaining(moved));
    expect(after.reassignments.map((r) => r.no).sort((a, b) => a - b)).toEqual([...moved].sort((a, b) => a - b));
  });

  it('taken twice (a launch retried on another worker) keeps the first', async () => {
    const { store, move } = await open();
    const first = await loadSnapshot(store, CYCLE_ID);
    const source = first.assignments.find((a) => a.answers.length > 1)!;
    await move(source.answers[0]!, first.assignments.find((a) => a.divisionId !== source.divisionId)!.divisionId);
    const again = await takeSnapshot(store, CYCLE_ID, 'arao', 'R4');
    expect(again.reassignments).toHaveLength(1);
  });
});
