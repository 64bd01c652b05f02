import { localStore } from './local-store';
import type { ObjectStore } from './object-store';
import { type S3Settings, s3Store } from './s3-store';

/**
 * Where the run data lives, from the environment: an S3-compatible bucket when one is set, so
 * that workers on machines that share no disk see the same files, else the data directory.
 *
 * TORIMATOME_S3_URL=http://KEY:SECRET@host:port/bucket/prefix?region=... sets it in one value;
 * or TORIMATOME_S3_ENDPOINT, TORIMATOME_S3_BUCKET, TORIMATOME_S3_PREFIX, TORIMATOME_S3_REGION,
 * and the keys in TORIMATOME_S3_ACCESS_KEY_ID / TORIMATOME_S3_SECRET_ACCESS_KEY (else AWS_*).
 */
export function s3Settings(env: NodeJS.ProcessEnv = process.env): S3Settings | undefined {
  const url = env.TORIMATOME_S3_URL;
  if (url) return fromUrl(url);
  const bucket = env.TORIMATOME_S3_BUCKET;
  if (!bucket) {
    const stray = ['TORIMATOME_S3_ENDPOINT', 'TORIMATOME_S3_PREFIX', 'TORIMATOME_S3_REGION'].filter((name) => env[name]);
    if (stray.length) throw new Error(`${stray.join(', ')} set without TORIMATOME_S3_BUCKET: set the bucket too, or TORIMATOME_S3_URL`);
    return undefined;
  }
  const accessKeyId = env.TORIMATOME_S3_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.TORIMATOME_S3_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error('TORIMATOME_S3_BUCKET is set but no key pair is: set TORIMATOME_S3_ACCESS_KEY_ID and TORIMATOME_S3_SECRET_ACCESS_KEY');
  return {
    endpoint: env.TORIMATOME_S3_ENDPOINT ? endpointOf(env.TORIMATOME_S3_ENDPOINT, 'TORIMATOME_S3_ENDPOINT') : undefined,
    region: env.TORIMATOME_S3_REGION ?? env.AWS_REGION ?? 'us-east-1',
    bucket,
    prefix: trimSlashes(env.TORIMATOME_S3_PREFIX ?? ''),
    accessKeyId,
    secretAccessKey,
  };
}

function fromUrl(text: string): S3Settings {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`TORIMATOME_S3_URL is not a URL: ${text.replace(/\/\/[^@/]*@/, '//***@')}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`TORIMATOME_S3_URL must start with http:// or https://, not ${url.protocol}`);
  const [bucket, ...prefix] = url.pathname.split('/').filter(Boolean);
  if (!bucket) throw new Error('TORIMATOME_S3_URL names no bucket: http://KEY:SECRET@host:port/bucket[/prefix]');
  if (!url.username || !url.password) throw new Error('TORIMATOME_S3_URL carries no key pair: http://KEY:SECRET@host:port/bucket[/prefix]');
  return {
    endpoint: url.origin,
    region: url.searchParams.get('region') ?? 'us-east-1',
    bucket,
    prefix: prefix.join('/'),
    accessKeyId: decodeURIComponent(url.username),
    secretAccessKey: decodeURIComponent(url.password),
  };
}

function endpointOf(text: string, name: string): string {
  try {
    return new URL(text).origin;
  } catch {
    throw new Error(`${name} is not a URL: ${text}`);
  }
}

const trimSlashes = (s: string) => s.replace(/^\/+|\/+$/g, '');

const opened = new Map<string, ObjectStore>();

/** The run store of this process for `dataDir`: one per setting, so its caches are shared. */
export function openStore(dataDir: string, env: NodeJS.ProcessEnv = process.env): ObjectStore {
  const s3 = s3Settings(env);
  const id = JSON.stringify(s3 ?? { dataDir });
  let store = opened.get(id);
  if (!store) opened.set(id, (store = s3 ? s3Store(s3) : localStore(dataDir)));
  return store;
}
