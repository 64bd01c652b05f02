import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError, writeFileAtomic } from '../store/master-files';

/**
 * The reform office's Ed25519 key that signs each archive's manifest. The private key stays
 * with the service (TORIMATOME_AUDIT_KEY, else `<data dir>/secrets/audit-signing-key.pem`); the
 * public key is what an auditor checks an archive against, kept apart from the archives
 * (`<data dir>/audit-public-key.pem`, or a copy the auditor holds), since a key inside the
 * archive would vouch for whoever rewrote it.
 */
export function signingKeyPath(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.TORIMATOME_AUDIT_KEY || join(dataDir, 'secrets', 'audit-signing-key.pem');
}

export function publicKeyPath(dataDir: string): string {
  return join(dataDir, 'audit-public-key.pem');
}

export async function createSigningKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<{ privatePath: string; publicPath: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePath = signingKeyPath(dataDir, env);
  await writeFileAtomic(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await chmod(privatePath, 0o600);
  await writeFileAtomic(publicKeyPath(dataDir), publicKey.export({ type: 'spki', format: 'pem' }));
  return { privatePath, publicPath: publicKeyPath(dataDir) };
}

/** The signing key, made on first use so that the embedded service archives out of the box. */
export async function loadSigningKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<KeyObject> {
  const path = signingKeyPath(dataDir, env);
  if (!existsSync(path)) {
    if (env.TORIMATOME_AUDIT_KEY) throw new UserError(`TORIMATOME_AUDIT_KEY names ${path}, which does not exist`);
    await createSigningKey(dataDir, env);
  }
  const key = createPrivateKey(await readFile(path));
  if (key.asymmetricKeyType !== 'ed25519') throw new UserError(`${path} is not an Ed25519 private key`);
  return key;
}

export async function loadPublicKey(path: string): Promise<KeyObject> {
  if (!existsSync(path)) throw new UserError(`公開鍵がありません: ${path}（--public-key で行革担当課の公開鍵を指定してください）`);
  try {
    const key = createPublicKey(await readFile(path));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not Ed25519');
    return key;
  } catch {
    throw new UserError(`Ed25519 の公開鍵（PEM）として読めません: ${path}`);
  }
}

/** A short name for a public key, to tell which key signed: sha256 of its DER form. */
export function keyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return `sha256:${createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex')}`;
}
