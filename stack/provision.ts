import { resolveTemporalCli } from './temporal-cli';

/**
 * Gets the Temporal CLI ready before the tests run (CI calls this first), so that the minutes a
 * first build takes are spent here, with progress on stdout, and not inside a test's timeout.
 * Prints the binary's path last.
 */
resolveTemporalCli({ log: (line) => console.log(line) }).then(
  (path) => console.log(path),
  (err: Error) => {
    console.error(err.message);
    process.exitCode = 1;
  },
);
