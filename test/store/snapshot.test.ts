import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadSnapshot, takeSnapshot } from '../../store/snapshot';

const CYCLE_ID = 'cycle-arao-R4';

describe('the cycle snapshot', () => {
  it('is read anew in one process once another process has moved an item', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'torimatome-snapshot-'));
    await takeSnapshot(dataDir, CYCLE_ID, 'arao', 'R4');
    const before = await loadSnapshot(dataDir, CYCLE_ID);
    const source = before.assignments.find((a) => a.answers.length > 1)!;
    const target = before.assignments.find((a) => a.divisionId !== source.divisionId)!;
    const no = source.answers[0]!;

    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(__dirname, 'children', 'move-item.ts'), dataDir, CYCLE_ID, String(no), target.divisionId]);
    expect(JSON.parse(stdout)).toEqual({ from: source.divisionId, fromStillAnswers: true });

    const after = await loadSnapshot(dataDir, CYCLE_ID);
    expect(after.assignments.find((a) => a.divisionId === target.divisionId)!.answers).toContain(no);
    expect(after.assignments.find((a) => a.divisionId === source.divisionId)!.answers).not.toContain(no);
    expect(after.reassignments).toEqual([expect.objectContaining({ no, from: source.divisionId, to: target.divisionId, by: 'test' })]);
    // Unchanged, it is the same parsed snapshot: thousands of sheets do not parse it thousands of times.
    expect(await loadSnapshot(dataDir, CYCLE_ID)).toBe(after);
  });
});
