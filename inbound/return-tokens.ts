import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CYCLES_FOLDER } from '../store/file-store';
import { writeFileAtomic } from '../store/master-files';
import { openStore } from '../store/open-store';
import { hasSnapshot, loadSnapshot } from '../store/snapshot';

/**
 * What lets a division hand in a return without an account: the tag in its reply address and
 * the token in its page link. Both are HMAC-SHA256 over the cycle and the division with a key
 * the service keeps; whether they still open anything is decided by the cycle's state (closed
 * cycles refuse), not by a clock.
 */

export interface ReturnTarget {
  cycleId: string;
  divisionId: string;
}

const KEY_BYTES = 32;

/** TORIMATOME_TOKEN_KEY (hex), else `<data dir>/secrets/token.key`, made on first use. */
export async function loadTokenKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  if (env.TORIMATOME_TOKEN_KEY) {
    const key = Buffer.from(env.TORIMATOME_TOKEN_KEY, 'hex');
    if (key.length < KEY_BYTES) throw new Error(`TORIMATOME_TOKEN_KEY must be at least ${KEY_BYTES} bytes as hex (${KEY_BYTES * 2} hex digits)`);
    return key;
  }
  const path = join(dataDir, 'secrets', 'token.key');
  if (!existsSync(path)) {
    await writeFileAtomic(path, randomBytes(KEY_BYTES).toString('hex'));
    await chmod(path, 0o600);
  }
  return Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
}

const mac = (key: Buffer, purpose: string, target: ReturnTarget) => createHmac('sha256', key).update(`${purpose}\0${target.cycleId}\0${target.divisionId}`).digest();

// RFC 4648 base32 without padding, lower case: mail servers may change a local part's case.
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
function base32(data: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** 80 bits of MAC: 16 characters, so `returns+<tag>` stays far below the 64 octets of a local part. */
const TAG_BYTES = 10;

export function returnTag(key: Buffer, target: ReturnTarget): string {
  return base32(mac(key, 'mail', target).subarray(0, TAG_BYTES));
}

/**
 * The cycle and division a tag was made for, found by making the tag of every division of
 * every cycle kept in the run store (a few thousand HMACs at most), so that no table of
 * tags has to be kept or can leak.
 */
export async function findTagTarget(dataDir: string, key: Buffer, tag: string): Promise<ReturnTarget | undefined> {
  const wanted = Buffer.from(tag.toLowerCase());
  for (const target of await knownTargets(dataDir)) {
    const candidate = Buffer.from(returnTag(key, target));
    if (candidate.length === wanted.length && timingSafeEqual(candidate, wanted)) return target;
  }
  return undefined;
}

async function knownTargets(dataDir: string): Promise<ReturnTarget[]> {
  const store = openStore(dataDir);
  const targets: ReturnTarget[] = [];
  for (const cycleId of await store.folders(`${CYCLES_FOLDER}/`)) {
    if (!(await hasSnapshot(store, cycleId))) continue;
    for (const { divisionId } of (await loadSnapshot(store, cycleId)).assignments) targets.push({ cycleId, divisionId });
  }
  return targets;
}

/** The token of a division's page link: `<base64url JSON of the target>.<base64url HMAC>`. */
export function pageToken(key: Buffer, target: ReturnTarget): string {
  const body = Buffer.from(JSON.stringify({ c: target.cycleId, d: target.divisionId })).toString('base64url');
  return `${body}.${mac(key, 'page', target).toString('base64url')}`;
}

/** The target a page token names, when its MAC is the server's; undefined for anything else. */
export function readPageToken(key: Buffer, token: string): ReturnTarget | undefined {
  const m = /^([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return undefined;
  let target: ReturnTarget;
  try {
    const body = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as { c?: unknown; d?: unknown };
    if (typeof body.c !== 'string' || typeof body.d !== 'string') return undefined;
    target = { cycleId: body.c, divisionId: body.d };
  } catch {
    return undefined;
  }
  const given = Buffer.from(m[2]!, 'base64url');
  const expected = mac(key, 'page', target);
  return given.length === expected.length && timingSafeEqual(given, expected) ? target : undefined;
}
