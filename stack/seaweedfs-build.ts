import { chmod, cp, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type BinaryBuildRequest, buildWithGo, runGo } from './go-build';

const MODULE = 'github.com/seaweedfs/seaweedfs';

const Download = z.object({ Dir: z.string().optional(), Error: z.string().optional() });

/**
 * Builds SeaweedFS's `weed` at `version` from its module source. `go install module@version`
 * refuses it, because its go.mod has replace directives; so the source is fetched with
 * `go mod download` and built as a main module of its own.
 */
export async function buildWeed(opts: BinaryBuildRequest): Promise<void> {
  const build = {
    title: `SeaweedFS ${opts.version}`,
    dest: opts.dest,
    env: opts.env,
    log: opts.log,
    withoutGo:
      'No SeaweedFS weed binary was found and Go is not installed to build one. Install Go, put `weed` on PATH, ' +
      'or set SEAWEEDFS_WEED_PATH to a weed binary.',
  };
  await buildWithGo(build, async (work) => {
    const downloaded = await runGo(['mod', 'download', '-json', `${MODULE}@${opts.version}`], { ...build, cwd: work });
    // With -json, go reports a failed download inside the JSON on stdout, not on stderr.
    const { Dir, Error: failure } = Download.parse(JSON.parse(downloaded.stdout || '{}'));
    if (downloaded.code !== 0 || !Dir) {
      throw new Error(`go mod download of SeaweedFS ${opts.version} failed (exit ${downloaded.code}):\n` + (failure ?? downloaded.lastStderr.join('\n')));
    }
    const src = join(work, 'src');
    await cp(Dir, src, { recursive: true });
    // The module cache keeps its files read-only; the copy is built in and then removed.
    await makeWritable(src);
    // The copy has no .git of its own; a repository the cache folder happens to sit in is not its history.
    const built = await runGo(['build', '-buildvcs=false', '-o', join(work, 'weed'), './weed'], { ...build, cwd: src });
    if (built.code !== 0) throw new Error(`go build of SeaweedFS ${opts.version} failed (exit ${built.code}):\n${built.lastStderr.join('\n')}`);
    return join(work, 'weed');
  });
}

async function makeWritable(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = join(dir, entry);
    const { mode } = await lstat(path);
    await chmod(path, mode | 0o200);
  }
  await chmod(dir, (await lstat(dir)).mode | 0o200);
}
