import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * Ties a child's life to this process's, so that no dev server is left holding its ports and
 * its SQLite file after whoever started it is gone, however it went: a normal end, a signal that
 * someone else handles (the worker's runtime takes SIGTERM, say) and then never exits on, or the
 * SIGKILL vitest sends a test fork that did not end in time, which no handler in this process
 * ever sees. So the watching is done from outside: a tiny shell waits on a pipe from this
 * process; the OS closes the pipe when this process ends, and the shell then kills the child.
 * Callers still stop their children properly; this only catches what they missed.
 */
export function killOnExit(child: ChildProcess): void {
  // A child that never started has nothing to kill; its own 'error' event says why.
  if (child.pid === undefined) return;
  const watchdog = spawn('sh', ['-c', 'read _; kill -KILL "$1" 2>/dev/null', 'sh', String(child.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  // Every POSIX system has sh; should it fail to start all the same, the child just goes unguarded.
  watchdog.once('error', () => undefined);
  // The watchdog must not keep this process alive, nor outlive its child and then kill whatever
  // process comes to reuse the child's pid.
  watchdog.unref();
  (watchdog.stdin as Socket).unref();
  child.once('exit', () => watchdog.kill('SIGKILL'));
}

/** How a child ended, once it has (`exit code 1`, `killed by SIGTERM`, or why it never started). */
export function watchExit(child: ChildProcess): { exited: Promise<string>; exitReason: () => string | undefined } {
  let reason: string | undefined;
  const exited = new Promise<string>((done) => {
    child.once('error', (err) => done(err.message));
    // 'close' rather than 'exit': by then its last words have been read too.
    child.once('close', (code, signal) => done(signal ? `killed by ${signal}` : `exit code ${code}`));
  });
  void exited.then((r) => (reason = r));
  return { exited, exitReason: () => reason };
}
