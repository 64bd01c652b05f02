import { spawn } from 'node:child_process';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { killOnExit } from './kill-on-exit';
import { followLines } from './output-lines';

const HEARTBEAT_MS = 15_000;

/** What a build of one server binary is asked for. */
export interface BinaryBuildRequest {
  version: string;
  dest: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export interface GoBuild {
  /** What is built, for progress lines: `the Temporal CLI v1.5.1`. */
  title: string;
  dest: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Told to the operator when there is no `go` to run. */
  withoutGo: string;
}

/**
 * Runs `build` in a fresh folder beside `dest`, with a progress line every few seconds, and
 * renames the binary it returns into place only once it has succeeded, so a build that fails or
 * is killed never leaves a half-written `dest` behind.
 */
export async function buildWithGo(opts: GoBuild, build: (work: string) => Promise<string>): Promise<void> {
  const work = await mkdtemp(join(dirname(opts.dest), '.build-'));
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 1000);
  opts.log(`Building ${opts.title} with Go; the first build takes several minutes ...`);
  const heartbeat = setInterval(() => opts.log(`... still building ${opts.title} (${seconds()} s)`), HEARTBEAT_MS);
  try {
    await rename(await build(work), opts.dest);
    opts.log(`Built ${opts.title} in ${seconds()} s: ${opts.dest}`);
  } finally {
    clearInterval(heartbeat);
    await rm(work, { recursive: true, force: true });
  }
}

/** Runs one go command; the modules it fetches are logged, the last lines of its stderr kept for an error. */
export async function runGo(
  args: string[],
  opts: Pick<GoBuild, 'env' | 'log' | 'withoutGo'> & { cwd?: string },
): Promise<{ code: number | null; stdout: string; lastStderr: string[] }> {
  const go = spawn('go', args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(go);
  let stdout = '';
  go.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  // go reports each module it fetches as "go: downloading ..." on stderr: the only progress it gives.
  const lastStderr = followLines(go.stderr, 20, (line) => {
    if (line.includes('downloading')) opts.log(line);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    go.once('error', reject);
    go.once('close', resolve);
  }).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new Error(opts.withoutGo) : err;
  });
  return { code, stdout, lastStderr: lastStderr() };
}
