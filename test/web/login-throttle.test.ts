import { describe, expect, it } from 'vitest';
import {
  ADDRESS_SPACING_MS,
  BUSY_WAIT_MS,
  createLoginThrottle,
  FIRST_WAIT_MS,
  FORGET_AFTER_MS,
  FREE_FAILURES_PER_ADDRESS,
  FREE_FAILURES_PER_PAIR,
  MAX_RECORDS,
  MAX_WAIT_MS,
} from '../../web/login-throttle';

function throttleWithClock() {
  let clock = 1_000_000;
  const throttle = createLoginThrottle(() => clock);
  let verifications = 0;
  const verify = (ok: boolean) => async () => {
    verifications++;
    return ok;
  };
  return {
    throttle,
    advance: (ms: number) => (clock += ms),
    verifications: () => verifications,
    fail: (user: string, address: string) => throttle.attempt(user, address, verify(false)),
    succeed: (user: string, address: string) => throttle.attempt(user, address, verify(true)),
  };
}

describe('the login throttle', () => {
  it('lets one verification at a time run per name and per address, refusing the others without verifying', async () => {
    const { throttle, succeed } = throttleWithClock();
    let release!: (ok: boolean) => void;
    const slow = throttle.attempt('alice', '10.0.0.1', () => new Promise<boolean>((resolve) => (release = resolve)));
    let verified = 0;
    const count = async () => {
      verified++;
      return true;
    };
    expect(await throttle.attempt('alice', '10.0.0.2', count)).toEqual({ kind: 'wait', ms: BUSY_WAIT_MS, busy: true });
    expect(await throttle.attempt('bob', '10.0.0.1', count)).toEqual({ kind: 'wait', ms: BUSY_WAIT_MS, busy: true });
    expect(verified).toBe(0);
    expect(await throttle.attempt('bob', '10.0.0.2', count)).toEqual({ kind: 'verified', ok: true });
    release(true);
    expect(await slow).toEqual({ kind: 'verified', ok: true });
    expect(await succeed('alice', '10.0.0.2')).toEqual({ kind: 'verified', ok: true });
  });

  it('makes a name at one address wait twice as long after each failure past the free ones, up to a cap; a success clears it; other addresses are not held', async () => {
    const { fail, succeed, advance, verifications } = throttleWithClock();
    for (let i = 0; i < FREE_FAILURES_PER_PAIR; i++) expect(await fail('alice', '10.0.0.1')).toEqual({ kind: 'verified', ok: false });
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      const held = await succeed('alice', '10.0.0.1');
      expect(held).toMatchObject({ kind: 'wait', busy: false });
      waits.push((held as { ms: number }).ms);
      advance(waits.at(-1)!);
      expect(await fail('alice', '10.0.0.1')).toEqual({ kind: 'verified', ok: false });
    }
    expect(waits.slice(0, 4)).toEqual([FIRST_WAIT_MS, 2 * FIRST_WAIT_MS, 4 * FIRST_WAIT_MS, 8 * FIRST_WAIT_MS]);
    expect(Math.max(...waits)).toBe(MAX_WAIT_MS);
    expect(await succeed('alice', '10.0.0.2')).toEqual({ kind: 'verified', ok: true });

    advance(MAX_WAIT_MS);
    const before = verifications();
    expect(await succeed('alice', '10.0.0.1')).toEqual({ kind: 'verified', ok: true });
    // Cleared: the free failures are free again.
    for (let i = 0; i < FREE_FAILURES_PER_PAIR; i++) expect(await fail('alice', '10.0.0.1')).toEqual({ kind: 'verified', ok: false });
    expect(verifications()).toBe(before + 1 + FREE_FAILURES_PER_PAIR);
  });

  it('holds a busy address to one try per short spacing, however many names failed there, so the real user still gets in', async () => {
    const { fail, succeed, advance } = throttleWithClock();
    for (let i = 0; i < FREE_FAILURES_PER_ADDRESS; i++) expect(await fail(`guess${i}`, '10.0.0.1')).toEqual({ kind: 'verified', ok: false });
    for (let i = 0; i < 100; i++) {
      const held = await fail(`more${i}`, '10.0.0.1');
      expect(held).toEqual({ kind: 'wait', ms: ADDRESS_SPACING_MS, busy: false });
      advance(ADDRESS_SPACING_MS);
      expect(await fail(`more${i}`, '10.0.0.1')).toEqual({ kind: 'verified', ok: false });
    }
    expect(await succeed('alice', '10.0.0.1')).toEqual({ kind: 'wait', ms: ADDRESS_SPACING_MS, busy: false });
    advance(ADDRESS_SPACING_MS);
    expect(await succeed('alice', '10.0.0.1')).toEqual({ kind: 'verified', ok: true });
    // A success does not buy the address free guesses: the next failure is spaced again.
    expect(await fail('more0', '10.0.0.1')).toEqual({ kind: 'verified', ok: false });
    expect(await fail('more1', '10.0.0.1')).toEqual({ kind: 'wait', ms: ADDRESS_SPACING_MS, busy: false });
  });

  it('forgets a pair after a quiet while, and keeps at most MAX_RECORDS, the least recently failed dropped first', async () => {
    const { fail, succeed, advance } = throttleWithClock();
    for (let i = 0; i < FREE_FAILURES_PER_PAIR; i++) await fail('alice', '10.0.0.1');
    expect(await succeed('alice', '10.0.0.1')).toMatchObject({ kind: 'wait' });
    advance(FORGET_AFTER_MS + 1);
    expect(await succeed('alice', '10.0.0.1')).toEqual({ kind: 'verified', ok: true });

    for (let i = 0; i < FREE_FAILURES_PER_PAIR; i++) await fail('alice', '10.0.0.1');
    // Each failure from a new address adds two records: its pair and its address.
    for (let i = 0; i < MAX_RECORDS / 2 - 1; i++) await fail('mallory', `10.1.${i >> 8}.${i & 255}`);
    expect(await succeed('alice', '10.0.0.1')).toMatchObject({ kind: 'wait' });
    await fail('mallory', '10.2.0.1');
    expect(await succeed('alice', '10.0.0.1')).toEqual({ kind: 'verified', ok: true });
  });
});
