import { type KeyObject, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Manifest, MANIFEST, manifestEntries, SIGNATURE } from './archive';

export interface Verification {
  /** The manifest's signature checks against the public key given. */
  signatureValid: boolean;
  /** Files whose content differs from the manifest. */
  changed: string[];
  /** Files the manifest does not list. */
  added: string[];
  /** Files the manifest lists that are gone. */
  removed: string[];
  ok: boolean;
}

/** Checks an archive against its signed manifest, and the manifest against the key. */
export async function verifyArchive(dir: string, publicKey: KeyObject): Promise<Verification> {
  const manifestPath = join(dir, MANIFEST);
  if (!existsSync(manifestPath)) throw new Error(`${dir} is not a torimatome archive: no ${MANIFEST}`);
  const manifestText = await readFile(manifestPath);
  const signature = existsSync(join(dir, SIGNATURE)) ? Buffer.from((await readFile(join(dir, SIGNATURE), 'utf8')).trim(), 'base64') : Buffer.alloc(0);
  const signatureValid = signature.length > 0 && verify(null, manifestText, publicKey, signature);
  const listed = new Map((JSON.parse(manifestText.toString('utf8')) as Manifest).entries.map((e) => [e.path, e]));
  const present = await manifestEntries(dir);
  const changed = present.filter((e) => listed.has(e.path) && listed.get(e.path)!.sha256 !== e.sha256).map((e) => e.path);
  const added = present.filter((e) => !listed.has(e.path)).map((e) => e.path);
  const seen = new Set(present.map((e) => e.path));
  const removed = [...listed.keys()].filter((path) => !seen.has(path));
  return { signatureValid, changed, added, removed, ok: signatureValid && changed.length + added.length + removed.length === 0 };
}
