import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../store/master-files';
import { readRunInfo, removeRunInfo, runFilePath, writeRunInfo, type RunInfo } from '../../stack/run-file';
import { deadPid, tempDir } from './helpers';

const info = (dataDir: string, pid: number): RunInfo => ({
  pid,
  startedAt: '2026-11-26T11:42:00.123Z',
  dataDir,
  temporal: { address: '127.0.0.1:40123', namespace: 'default', uiUrl: 'http://127.0.0.1:40124' },
  smtp: { host: '127.0.0.1', port: 40125 },
});

describe('run.json', () => {
  it('reads back what was written while the process that wrote it runs', async () => {
    const dir = await tempDir();
    await writeRunInfo(dir, info(dir, process.pid));
    expect(await readRunInfo(dir)).toEqual(info(dir, process.pid));
  });

  it('is absent before a stack runs and after it is removed', async () => {
    const dir = await tempDir();
    expect(await readRunInfo(dir)).toBeUndefined();
    await writeRunInfo(dir, info(dir, process.pid));
    await removeRunInfo(dir);
    expect(await readRunInfo(dir)).toBeUndefined();
    await removeRunInfo(dir);
  });

  it('counts as absent when the process that wrote it is gone', async () => {
    const dir = await tempDir();
    await writeRunInfo(dir, info(dir, deadPid()));
    expect(await readRunInfo(dir)).toBeUndefined();
  });

  it('refuses to write or read addresses that make no sense', async () => {
    const dir = await tempDir();
    await expect(writeRunInfo(dir, { ...info(dir, process.pid), smtp: { host: '127.0.0.1', port: 0 } })).rejects.toThrow();
    await writeFile(runFilePath(dir), JSON.stringify({ pid: process.pid, temporal: {} }));
    await expect(readRunInfo(dir)).rejects.toThrow(UserError);
  });
});
