import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const BIN = join(__dirname, '..', '..', 'client', 'bin.cjs');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `torimatome` command with its own data directory. The operator's
 * TEMPORAL_ADDRESS and SMTP_URL are removed, so a test can never reach a city's cluster or mail.
 */
export async function torimatome(options: { cwd: string; dataDir: string; actor?: string; env?: NodeJS.ProcessEnv }, ...args: string[]): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, TORIMATOME_DATA_DIR: options.dataDir, TORIMATOME_ACTOR: options.actor ?? 'テスト担当', ...options.env };
  delete env.TEMPORAL_ADDRESS;
  delete env.SMTP_URL;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: options.cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
