import { resolveWeed } from './seaweedfs';
import { resolveTemporalCli } from './temporal-cli';

/**
 * Gets the Temporal CLI and SeaweedFS's weed ready before the tests run (CI calls this first),
 * so that the minutes a first build takes are spent here, with progress on stdout, and not
 * inside a test's timeout. Prints each binary's path once it is there.
 */
async function provision(): Promise<void> {
  const log = (line: string): void => console.log(line);
  console.log(await resolveTemporalCli({ log }));
  console.log(await resolveWeed({ log }));
}

provision().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
