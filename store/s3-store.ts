import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { checkKey, type ObjectStore, StaleVersion } from './object-store';

export interface S3Settings {
  /** http(s)://host:port of an S3-compatible server; unset for AWS itself. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Keys are written under it, so one bucket can hold several installations. No slashes at its ends. */
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const status = (err: unknown) => (err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined);

/** The store in an S3-compatible bucket that every worker reaches. */
export function s3Store(settings: S3Settings): ObjectStore {
  // The SDK warns on every command run under Node 20 that its releases after January 2027 will
  // want Node 22; package.json pins a release that runs on 20, so the warning tells a reform
  // office's user nothing they can act on.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    // Servers other than AWS are addressed by path, and some refuse the CRC32 checksums that
    // recent SDK releases send by default.
    forcePathStyle: settings.endpoint !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = settings.bucket;
  const base = settings.prefix ? `${settings.prefix}/` : '';
  const location = `s3://${Bucket}/${settings.prefix}`;
  const keyOf = (key: string) => base + checkKey(key);
  const version = async (key: string) => {
    try {
      return (await client.send(new HeadObjectCommand({ Bucket, Key: keyOf(key) }))).ETag;
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw err;
    }
  };

  return {
    location,
    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket, Key: keyOf(key) }));
        return { data: Buffer.from(await out.Body!.transformToByteArray()), version: out.ETag! };
      } catch (err) {
        if (status(err) === 404) return undefined;
        throw err;
      }
    },
    version,
    async put(key, data, condition) {
      const conditional =
        condition === undefined ? {} : 'ifAbsent' in condition ? { IfNoneMatch: '*' } : condition.ifVersion === undefined ? { IfNoneMatch: '*' } : { IfMatch: condition.ifVersion };
      try {
        const out = await client.send(new PutObjectCommand({ Bucket, Key: keyOf(key), Body: data, ...conditional }));
        return { written: true, version: out.ETag! };
      } catch (err) {
        // 412: the condition failed; 409: another conditional write to the key is in flight.
        if (condition && (status(err) === 412 || status(err) === 409)) {
          if ('ifAbsent' in condition) return { written: false, version: (await version(key))! };
          throw new StaleVersion(key, location);
        }
        throw err;
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      let ContinuationToken: string | undefined;
      do {
        const out = await client.send(new ListObjectsV2Command({ Bucket, Prefix: base + prefix, ContinuationToken }));
        for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key.slice(base.length));
        ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return keys;
    },
    async folders(folder) {
      const names: string[] = [];
      let ContinuationToken: string | undefined;
      do {
        const out = await client.send(new ListObjectsV2Command({ Bucket, Prefix: base + folder, Delimiter: '/', ContinuationToken }));
        for (const p of out.CommonPrefixes ?? []) if (p.Prefix) names.push(p.Prefix.slice(base.length + folder.length, -1));
        ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return names;
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: keyOf(key) }));
    },
  };
}
