/**
 * Slows down guessing passwords on the login page: after a few failed logins for one name from
 * one address, or many from one address whatever the names, each further try must wait twice as
 * long as the one before, up to MAX_WAIT_MS. Counting per name and address together keeps
 * someone elsewhere from locking a user out by failing on purpose.
 */

const FREE_FAILURES_PER_USER = 5;
const FREE_FAILURES_PER_ADDRESS = 20;
const FIRST_WAIT_MS = 1_000;
const MAX_WAIT_MS = 5 * 60_000;
/** A name and address that have not failed for this long start afresh. */
const FORGET_AFTER_MS = 15 * 60_000;

interface Failures {
  count: number;
  last: number;
}

export interface LoginThrottle {
  /** How long the next try for this name from this address must still wait, in ms; 0 when it may go ahead. */
  waitMs(user: string, address: string): number;
  failed(user: string, address: string): void;
  succeeded(user: string, address: string): void;
}

export function createLoginThrottle(now: () => number): LoginThrottle {
  const failures = new Map<string, Failures>();
  const counters = (user: string, address: string) => [
    { key: `user\0${user}\0${address}`, free: FREE_FAILURES_PER_USER },
    { key: `address\0${address}`, free: FREE_FAILURES_PER_ADDRESS },
  ];
  const forgetOld = (at: number) => {
    for (const [key, f] of failures) if (at - f.last > FORGET_AFTER_MS) failures.delete(key);
  };
  return {
    waitMs(user, address) {
      const at = now();
      forgetOld(at);
      return Math.max(
        0,
        ...counters(user, address).map(({ key, free }) => {
          const f = failures.get(key);
          if (!f || f.count < free) return 0;
          return Math.min(FIRST_WAIT_MS * 2 ** (f.count - free), MAX_WAIT_MS) - (at - f.last);
        }),
      );
    },
    failed(user, address) {
      const at = now();
      for (const { key } of counters(user, address)) failures.set(key, { count: (failures.get(key)?.count ?? 0) + 1, last: at });
    },
    succeeded(user, address) {
      failures.delete(counters(user, address)[0]!.key);
    },
  };
}
