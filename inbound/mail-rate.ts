/**
 * How many messages a key (an envelope sender, or everyone at once) has handed in within the
 * current window. Fixed windows: a sender at the limit waits at most one window, and a legitimate
 * sender's server, told 451, simply tries again later.
 */
export class MessageWindows {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    /** Senders remembered at most; a flood of new names forgets the expired ones first. */
    private readonly maxKeys = 10_000,
  ) {}

  /** Counts one message for `key`, or says false when the key's window is full. */
  take(key: string, now = Date.now()): boolean {
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      if (!window && this.windows.size >= this.maxKeys) this.forgetExpired(now);
      if (!window && this.windows.size >= this.maxKeys) return false;
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    if (window.count >= this.limit) return false;
    window.count += 1;
    return true;
  }

  private forgetExpired(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
  }
}
