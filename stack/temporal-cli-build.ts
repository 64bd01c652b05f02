import { join } from 'node:path';
import { type BinaryBuildRequest, buildWithGo, runGo } from './go-build';

/**
 * Builds the Temporal CLI `version` from source with `go install`, the one way to get it on a
 * machine that reaches the Go module proxy but not Temporal's download host.
 */
export async function buildTemporalCli(opts: BinaryBuildRequest): Promise<void> {
  const build = {
    title: `the Temporal CLI ${opts.version}`,
    dest: opts.dest,
    env: opts.env,
    log: opts.log,
    withoutGo:
      'No Temporal CLI was found and Go is not installed to build one. Install Go, put `temporal` on PATH, ' +
      'or set TEMPORAL_CLI_PATH to a temporal binary.',
  };
  await buildWithGo(build, async (gobin) => {
    const { code, lastStderr } = await runGo(['install', `github.com/temporalio/cli/cmd/temporal@${opts.version}`], { ...build, env: { ...opts.env, GOBIN: gobin } });
    if (code !== 0) throw new Error(`go install of the Temporal CLI ${opts.version} failed (exit ${code}):\n${lastStderr.join('\n')}`);
    return join(gobin, 'temporal');
  });
}
