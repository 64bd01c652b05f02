import { binaryCacheDir, resolveCachedBinary } from './cached-binary';
import { buildTemporalCli } from './temporal-cli-build';
import { downloadTemporalCli, hostAnswers } from './temporal-cli-download';

/** The CLI release the project runs (Temporal Server 1.29.1, UI 2.42.1, as docker-compose.yml). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/** Where a downloaded or built CLI is kept: outside the repo, so every clone and worktree shares one. */
export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return binaryCacheDir(env, 'temporal-cli', TEMPORAL_CLI_VERSION);
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
  return resolveCachedBinary({
    name: 'temporal',
    title: 'the Temporal CLI',
    pathVariable: 'TEMPORAL_CLI_PATH',
    cacheDir: temporalCliCacheDir(env),
    env,
    log,
    async obtain(dest) {
      if (await hostAnswers('temporal.download', 443, 3_000)) {
        try {
          await downloadTemporalCli({ version: TEMPORAL_CLI_VERSION, dest, log });
          return;
        } catch (err) {
          log(`Could not download the Temporal CLI (${(err as Error).message}); building it instead.`);
        }
      }
      await buildTemporalCli({ version: TEMPORAL_CLI_VERSION, dest, env, log });
    },
  });
}
