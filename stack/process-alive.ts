/** Whether a process with this id exists on this machine. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM means the process exists but belongs to someone else: it is alive all the same.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
