import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const BIN = join(__dirname, '..', '..', 'client', 'bin.cjs');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a `torimatome` child: its data directory, and no operator's cluster or relay. */
function childEnv(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TORIMATOME_DATA_DIR: dataDir, ...extra };
  delete env.TEMPORAL_ADDRESS;
  delete env.SMTP_URL;
  return env;
}

export interface LongRunning {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr together. */
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts a long-running `torimatome` command (dev, worker) as its own process. */
export function spawnTorimatome(dataDir: string, ...args: string[]): LongRunning {
  return spawnTorimatomeWith({ dataDir }, ...args);
}

/** The same, with settings of its own in the environment (a bucket, a shared key). */
export function spawnTorimatomeWith(options: { dataDir: string; env?: NodeJS.ProcessEnv }, ...args: string[]): LongRunning {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(options.dataDir, options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

/**
 * Runs the real `torimatome` command with its own data directory. The operator's
 * TEMPORAL_ADDRESS and SMTP_URL are removed, so a test can never reach a city's cluster or mail.
 */
export async function torimatome(options: { cwd: string; dataDir: string; actor?: string; env?: NodeJS.ProcessEnv }, ...args: string[]): Promise<CliRun> {
  const env = childEnv(options.dataDir, { TORIMATOME_ACTOR: options.actor ?? 'テスト担当', ...options.env });
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: options.cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
