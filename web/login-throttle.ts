import { createHash } from 'node:crypto';

/**
 * Slows down guessing passwords on the login page, with three rules, each checked before the
 * password is verified, so that a try the rules refuse costs the server no hash:
 *
 * - **One verification at a time** per name and per address: a try that meets another one for
 *   the same name, or from the same address, still being verified is refused at once (so a
 *   burst of concurrent tries cannot get past the counts below before they are updated).
 * - **Per name and address together**, FREE_FAILURES_PER_PAIR failures are free; after them each
 *   further try must wait FIRST_WAIT_MS, doubling with every failure, up to MAX_WAIT_MS. A
 *   success clears the pair. Someone at another address cannot lock a user out this way.
 * - **Per address, whatever the names**, FREE_FAILURES_PER_ADDRESS failures are free; after them
 *   a try must come at least ADDRESS_SPACING_MS after the address's last failure. That wait does
 *   not grow: behind one address (a city's NAT, or a proxy when TORIMATOME_TRUST_PROXY is not
 *   set) there may be everyone, and the real user with the right password must still get in
 *   after a few seconds, while a guesser there is held to one try per ADDRESS_SPACING_MS, and
 *   to the exponential wait for each name it tries. A success does not clear the address: one
 *   account's password would otherwise buy unlimited guesses at the others.
 *
 * A pair or address with no failure for FORGET_AFTER_MS starts afresh. Memory is bounded: names
 * and addresses are kept as fixed-size hashes, at most MAX_RECORDS of them, the least recently
 * failed dropped first; tries in flight are bounded by the requests the server holds.
 */

export const FREE_FAILURES_PER_PAIR = 5;
export const FREE_FAILURES_PER_ADDRESS = 20;
export const FIRST_WAIT_MS = 1_000;
export const MAX_WAIT_MS = 5 * 60_000;
export const ADDRESS_SPACING_MS = 2_000;
/** What a try that meets another one in flight is told to wait: about one verification. */
export const BUSY_WAIT_MS = 1_000;
export const FORGET_AFTER_MS = 15 * 60_000;
export const MAX_RECORDS = 10_000;

interface Failures {
  count: number;
  last: number;
}

export type LoginAttempt =
  /** Refused before verifying; `busy` when another try was being verified. */
  | { kind: 'wait'; ms: number; busy: boolean }
  | { kind: 'verified'; ok: boolean };

export interface LoginThrottle {
  /** Verifies the password with `verify` if the rules let this try go ahead, and counts the result. */
  attempt(user: string, address: string, verify: () => Promise<boolean>): Promise<LoginAttempt>;
}

// A login form may send a name of 64 KB; only its hash is kept.
const key = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('base64url');

export function createLoginThrottle(now: () => number): LoginThrottle {
  // Kept in order of the last failure (each update moves its entry to the end), so the stale and
  // the oldest are always at the front.
  const failures = new Map<string, Failures>();
  const inFlight = new Set<string>();

  const forgetOld = (at: number) => {
    for (const [k, f] of failures) {
      if (at - f.last <= FORGET_AFTER_MS && failures.size <= MAX_RECORDS) break;
      failures.delete(k);
    }
  };
  const fail = (k: string, at: number) => {
    const count = (failures.get(k)?.count ?? 0) + 1;
    failures.delete(k);
    failures.set(k, { count, last: at });
  };
  const pairWait = (k: string, at: number) => {
    const f = failures.get(k);
    if (!f || f.count < FREE_FAILURES_PER_PAIR) return 0;
    return Math.min(FIRST_WAIT_MS * 2 ** (f.count - FREE_FAILURES_PER_PAIR), MAX_WAIT_MS) - (at - f.last);
  };
  const addressWait = (k: string, at: number) => {
    const f = failures.get(k);
    return f && f.count >= FREE_FAILURES_PER_ADDRESS ? ADDRESS_SPACING_MS - (at - f.last) : 0;
  };

  return {
    async attempt(user, address, verify) {
      const at = now();
      forgetOld(at);
      const pair = key('pair', user, address);
      const name = key('user', user);
      const from = key('address', address);
      if (inFlight.has(name) || inFlight.has(from)) return { kind: 'wait', ms: BUSY_WAIT_MS, busy: true };
      const wait = Math.max(pairWait(pair, at), addressWait(from, at));
      if (wait > 0) return { kind: 'wait', ms: wait, busy: false };
      inFlight.add(name);
      inFlight.add(from);
      let ok = false;
      try {
        ok = await verify();
      } finally {
        inFlight.delete(name);
        inFlight.delete(from);
        if (ok) {
          failures.delete(pair);
        } else {
          const done = now();
          fail(pair, done);
          fail(from, done);
          forgetOld(done);
        }
      }
      return { kind: 'verified', ok };
    },
  };
}
