import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { withDirLock } from './dir-lock';
import { buildWeed } from './seaweedfs-build';

/**
 * The SeaweedFS source the project builds (weed 4.53). SeaweedFS tags no Go module releases,
 * so the proxy only knows it by this pseudo-version of a commit.
 */
export const SEAWEEDFS_VERSION = 'v0.0.0-20261109003541-7506e5f91cd6';

/** Where the built weed is kept: outside the repo, so every clone and worktree shares one. */
export function seaweedfsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'torimatome', 'seaweedfs', SEAWEEDFS_VERSION);
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

  const explicit = env.SEAWEEDFS_WEED_PATH;
  if (explicit) {
    if (await isExecutableFile(explicit)) return resolve(explicit);
    throw new Error(
      `SEAWEEDFS_WEED_PATH is set to ${explicit}, but there is no executable file there. ` +
        'Point it at a SeaweedFS weed binary, or unset it to use the one on PATH or the one torimatome builds.',
    );
  }

  const onPath = await findOnPath('weed', env);
  if (onPath) return onPath;

  const cacheDir = seaweedfsCacheDir(env);
  const cached = join(cacheDir, 'weed');
  if (await isExecutableFile(cached)) return cached;

  await mkdir(cacheDir, { recursive: true });
  // Two test files starting at once must not both spend minutes building. The lock only saves
  // that work: each build renames a complete binary into place, so even two at once are safe.
  return withDirLock(
    join(cacheDir, 'build.lock'),
    async () => {
      if (await isExecutableFile(cached)) return cached;
      await buildWeed({ version: SEAWEEDFS_VERSION, dest: cached, env, log });
      return cached;
    },
    {
      onWait: (owner) =>
        log(`Waiting for ${owner ? `process ${owner.pid}` : 'another process'} to finish building SeaweedFS ...`),
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
