import { existsSync, mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRunInfo } from '../stack/run-file';
import { spawnTorimatome, torimatome } from './support/cli';

/** `npm start` as a user runs it: `torimatome dev` in its own process, until Ctrl-C. */
const startDev = (dataDir: string) => spawnTorimatome(dataDir, 'dev');

async function untilRunning(dataDir: string, output: () => string): Promise<number> {
  await expect.poll(() => output(), { timeout: 120_000, interval: 250 }).toContain('torimatome が動いています');
  const info = await readRunInfo(dataDir);
  return Number(/127\.0\.0\.1:(\d+)/.exec(info!.temporal.address)![1]);
}

/** Whether anything still listens on the port: the Temporal server must be gone with dev. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('npm start (torimatome dev)', () => {
  it('prints its addresses, stops cleanly on Ctrl-C, and resumes the same cycles from the same SQLite file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'torimatome-dev-'));
    const first = startDev(dataDir);
    const temporalPort = await untilRunning(dataDir, first.output);
    expect(first.output()).toMatch(/Temporal UI: +http:\/\/127\.0\.0\.1:\d+/);
    expect(first.output()).toContain(join(dataDir, 'mail', 'sent'));
    const cli = (...args: string[]) => torimatome({ cwd: dataDir, dataDir }, ...args);
    expect((await cli('cycle', 'launch', '--year', 'R5', '--deadline', '2024-03-29')).code).toBe(0);
    const channels = await readRunInfo(dataDir);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(existsSync(join(dataDir, 'run.json'))).toBe(false);
    expect(await answers(temporalPort)).toBe(false);

    const second = startDev(dataDir);
    await untilRunning(dataDir, second.output);
    // The page links and reply addresses in the mails already sent still reach the service.
    const again = await readRunInfo(dataDir);
    expect(again!.web).toEqual(channels!.web);
    expect(again!.inboundMail).toEqual(channels!.inboundMail);
    const status = await cli('cycle', 'status', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ cycleId: 'cycle-arao-R5', phase: 'open' });
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 240_000);
});
