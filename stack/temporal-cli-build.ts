import { spawn } from 'node:child_process';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { killOnExit } from './kill-on-exit';
import { followLines } from './output-lines';

const HEARTBEAT_MS = 15_000;

/**
 * Builds the Temporal CLI `version` from source with `go install`, the one way to get it on a
 * machine that reaches the Go module proxy but not Temporal's download host. go writes into a
 * fresh folder beside `dest`, and the binary is renamed into place only once go has succeeded,
 * so a build that fails or is killed never leaves a half-written `dest` behind.
 */
export async function buildTemporalCli(opts: {
  version: string;
  dest: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}): Promise<void> {
  const gobin = await mkdtemp(join(dirname(opts.dest), '.build-'));
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 1000);
  opts.log(`Building the Temporal CLI ${opts.version} with go install; the first build takes several minutes ...`);
  const heartbeat = setInterval(() => opts.log(`... still building the Temporal CLI (${seconds()} s)`), HEARTBEAT_MS);
  try {
    const go = spawn('go', ['install', `github.com/temporalio/cli/cmd/temporal@${opts.version}`], {
      env: { ...opts.env, GOBIN: gobin },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    killOnExit(go);
    // go reports each module it fetches as "go: downloading ..." on stderr: the only progress it gives.
    const lastLines = followLines(go.stderr, 20, (line) => {
      if (line.includes('downloading')) opts.log(line);
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      go.once('error', reject);
      go.once('close', resolve);
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        throw new Error(
          'No Temporal CLI was found and Go is not installed to build one. Install Go, put `temporal` on PATH, ' +
            'or set TEMPORAL_CLI_PATH to a temporal binary.',
        );
      }
      throw err;
    });
    if (code !== 0) {
      throw new Error(`go install of the Temporal CLI ${opts.version} failed (exit ${code}):\n${lastLines().join('\n')}`);
    }
    await rename(join(gobin, 'temporal'), opts.dest);
    opts.log(`Built the Temporal CLI in ${seconds()} s: ${opts.dest}`);
  } finally {
    clearInterval(heartbeat);
    await rm(gobin, { recursive: true, force: true });
  }
}
