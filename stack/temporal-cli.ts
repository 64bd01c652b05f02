import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { withDirLock } from './dir-lock';
import { buildTemporalCli } from './temporal-cli-build';
import { downloadTemporalCli, hostAnswers } from './temporal-cli-download';

/** The CLI release the project runs (Temporal Server 1.29.1, UI 2.42.1, as docker-compose.yml). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/** Where a downloaded or built CLI is kept: outside the repo, so every clone and worktree shares one. */
export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'torimatome', 'temporal-cli', TEMPORAL_CLI_VERSION);
}

export interface ResolveTemporalCliOptions {
  /** Progress lines, for the minutes a first build takes. */
  log?: (line: string) => void;
  /** Where TEMPORAL_CLI_PATH, PATH, XDG_CACHE_HOME and Go's settings are read; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The path of a `temporal` CLI binary: TEMPORAL_CLI_PATH, else `temporal` on PATH, else the one
 * the project downloaded or built before, else a download from Temporal's host (only if it
 * answers at once: CI machines cannot reach it), else a build with `go install`.
 */
export async function resolveTemporalCli(opts: ResolveTemporalCliOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);

  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (await isExecutableFile(explicit)) return resolve(explicit);
    throw new Error(
      `TEMPORAL_CLI_PATH is set to ${explicit}, but there is no executable file there. ` +
        'Point it at a temporal CLI binary, or unset it to use the one on PATH or the one torimatome builds.',
    );
  }

  const onPath = await findOnPath('temporal', env);
  if (onPath) return onPath;

  const cacheDir = temporalCliCacheDir(env);
  const cached = join(cacheDir, 'temporal');
  if (await isExecutableFile(cached)) return cached;

  await mkdir(cacheDir, { recursive: true });
  // Two test files starting at once must not both spend minutes building. The lock only saves
  // that work: each build renames a complete binary into place, so even two at once are safe.
  return withDirLock(
    join(cacheDir, 'build.lock'),
    async () => {
      if (await isExecutableFile(cached)) return cached;
      if (await hostAnswers('temporal.download', 443, 3_000)) {
        try {
          await downloadTemporalCli({ version: TEMPORAL_CLI_VERSION, dest: cached, log });
          return cached;
        } catch (err) {
          log(`Could not download the Temporal CLI (${(err as Error).message}); building it instead.`);
        }
      }
      await buildTemporalCli({ version: TEMPORAL_CLI_VERSION, dest: cached, env, log });
      return cached;
    },
    {
      onWait: (owner) =>
        log(`Waiting for ${owner ? `process ${owner.pid}` : 'another process'} to finish getting the Temporal CLI ...`),
    },
  );
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    // An empty PATH entry means the current directory, which is no place to pick up a server from.
    if (!dir) continue;
    const candidate = resolve(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
