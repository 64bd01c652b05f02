import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { withDirLock } from './dir-lock';

/** Where a downloaded or built server binary is kept: outside the repo, so every clone and worktree shares one. */
export function binaryCacheDir(env: NodeJS.ProcessEnv, tool: string, version: string): string {
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'torimatome', tool, version);
}

export interface CachedBinary {
  /** The executable's file name: `temporal`, `weed`. */
  name: string;
  /** What it is, for messages: `the Temporal CLI`. */
  title: string;
  /** The variable that names a binary outright: TEMPORAL_CLI_PATH. */
  pathVariable: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Downloads or builds the binary into `dest`, renaming a complete file into place. */
  obtain: (dest: string) => Promise<void>;
}

/**
 * The path of a server binary: the variable that names one, else one on PATH, else the one the
 * project got before, else `obtain` (a download or a build, minutes at first) under a lock.
 */
export async function resolveCachedBinary(tool: CachedBinary): Promise<string> {
  const explicit = tool.env[tool.pathVariable];
  if (explicit) {
    if (await isExecutableFile(explicit)) return resolve(explicit);
    throw new Error(
      `${tool.pathVariable} is set to ${explicit}, but there is no executable file there. ` +
        `Point it at a ${tool.name} binary, or unset it to use the one on PATH or the one torimatome builds.`,
    );
  }

  const onPath = await findOnPath(tool.name, tool.env);
  if (onPath) return onPath;

  const cached = join(tool.cacheDir, tool.name);
  if (await isExecutableFile(cached)) return cached;

  await mkdir(tool.cacheDir, { recursive: true });
  // Two test files starting at once must not both spend minutes building. The lock only saves
  // that work: each build renames a complete binary into place, so even two at once are safe.
  return withDirLock(
    join(tool.cacheDir, 'build.lock'),
    async () => {
      if (!(await isExecutableFile(cached))) await tool.obtain(cached);
      return cached;
    },
    { onWait: (owner) => tool.log(`Waiting for ${owner ? `process ${owner.pid}` : 'another process'} to finish getting ${tool.title} ...`) },
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
