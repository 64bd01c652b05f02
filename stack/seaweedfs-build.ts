import { spawn } from 'node:child_process';
import { chmod, cp, lstat, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { killOnExit } from './kill-on-exit';
import { followLines } from './output-lines';

const HEARTBEAT_MS = 15_000;
const MODULE = 'github.com/seaweedfs/seaweedfs';

const Download = z.object({ Dir: z.string().optional(), Error: z.string().optional() });

/**
 * Builds SeaweedFS's `weed` at `version` from its module source. `go install module@version`
 * refuses it, because its go.mod has replace directives; so the source is fetched with
 * `go mod download` and built as a main module of its own, in a fresh folder beside `dest`.
 * The binary is renamed into place only once go has succeeded, so a build that fails or is
 * killed never leaves a half-written `dest` behind.
 */
export async function buildWeed(opts: {
  version: string;
  dest: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}): Promise<void> {
  const work = await mkdtemp(join(dirname(opts.dest), '.build-'));
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 1000);
  opts.log(`Building SeaweedFS ${opts.version} with go build; the first build takes several minutes ...`);
  const heartbeat = setInterval(() => opts.log(`... still building SeaweedFS (${seconds()} s)`), HEARTBEAT_MS);
  try {
    const downloaded = await runGo(['mod', 'download', '-json', `${MODULE}@${opts.version}`], work, opts);
    // With -json, go reports a failed download inside the JSON on stdout, not on stderr.
    const { Dir, Error: failure } = Download.parse(JSON.parse(downloaded.stdout || '{}'));
    if (downloaded.code !== 0 || !Dir) {
      throw new Error(
        `go mod download of SeaweedFS ${opts.version} failed (exit ${downloaded.code}):\n` +
          (failure ?? downloaded.lastStderr.join('\n')),
      );
    }

    const src = join(work, 'src');
    await cp(Dir, src, { recursive: true });
    // The module cache keeps its files read-only; the copy is built in and then removed.
    await makeWritable(src);
    // The copy has no .git of its own; a repository the cache folder happens to sit in is not its history.
    const built = await runGo(['build', '-buildvcs=false', '-o', join(work, 'weed'), './weed'], src, opts);
    if (built.code !== 0) {
      throw new Error(`go build of SeaweedFS ${opts.version} failed (exit ${built.code}):\n${built.lastStderr.join('\n')}`);
    }
    await rename(join(work, 'weed'), opts.dest);
    opts.log(`Built SeaweedFS in ${seconds()} s: ${opts.dest}`);
  } finally {
    clearInterval(heartbeat);
    await rm(work, { recursive: true, force: true });
  }
}

async function runGo(
  args: string[],
  cwd: string,
  opts: { env: NodeJS.ProcessEnv; log: (line: string) => void },
): Promise<{ code: number | null; stdout: string; lastStderr: string[] }> {
  const go = spawn('go', args, { cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    if (err.code === 'ENOENT') {
      throw new Error(
        'No SeaweedFS weed binary was found and Go is not installed to build one. Install Go, put `weed` on PATH, ' +
          'or set SEAWEEDFS_WEED_PATH to a weed binary.',
      );
    }
    throw err;
  });
  return { code, stdout, lastStderr: lastStderr() };
}

async function makeWritable(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = join(dir, entry);
    const { mode } = await lstat(path);
    await chmod(path, mode | 0o200);
  }
  await chmod(dir, (await lstat(dir)).mode | 0o200);
}
