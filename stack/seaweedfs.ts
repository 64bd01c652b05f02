import { binaryCacheDir, resolveCachedBinary } from './cached-binary';
import { buildWeed } from './seaweedfs-build';

/**
 * The SeaweedFS source the project builds (weed 4.53). SeaweedFS tags no Go module releases,
 * so the proxy only knows it by this pseudo-version of a commit.
 */
export const SEAWEEDFS_VERSION = 'v0.0.0-20261109003541-7506e5f91cd6';

/** Where the built weed is kept: outside the repo, so every clone and worktree shares one. */
export function seaweedfsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return binaryCacheDir(env, 'seaweedfs', SEAWEEDFS_VERSION);
}

export interface ResolveWeedOptions {
  /** Progress lines, for the minutes a first build takes. */
  log?: (line: string) => void;
  /** Where SEAWEEDFS_WEED_PATH, PATH, XDG_CACHE_HOME and Go's settings are read; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The path of a SeaweedFS `weed` binary: SEAWEEDFS_WEED_PATH, else `weed` on PATH, else the one
 * the project built before, else a build from source with Go (no weed release can be downloaded
 * where only package registries are reachable).
 */
export async function resolveWeed(opts: ResolveWeedOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  return resolveCachedBinary({
    name: 'weed',
    title: 'SeaweedFS',
    pathVariable: 'SEAWEEDFS_WEED_PATH',
    cacheDir: seaweedfsCacheDir(env),
    env,
    log,
    obtain: (dest) => buildWeed({ version: SEAWEEDFS_VERSION, dest, env, log }),
  });
}
