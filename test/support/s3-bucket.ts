import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { type S3Server, startS3Server } from '../../stack/s3-server';
import type { S3Settings } from '../../store/s3-store';

export const BUCKET = 'torimatome';

export interface S3Place {
  settings: S3Settings;
  /** The same place as the one setting a worker or the CLI takes: TORIMATOME_S3_URL. */
  env: { TORIMATOME_S3_URL: string };
}

/**
 * A real S3 server (SeaweedFS) for the tests of one file, started before them and stopped after.
 * Each place is its own prefix of one bucket: every bucket costs the server volumes of its own.
 */
export function useS3Server(): { place(): Promise<S3Place>; server(): S3Server } {
  let server: S3Server | undefined;
  let bucket: Promise<unknown> | undefined;
  beforeAll(async () => {
    server = await startS3Server();
  }, 600_000);
  afterAll(() => server?.stop(), 30_000);
  return {
    server: () => server!,
    async place() {
      const s = server!;
      const settings: S3Settings = { endpoint: s.endpoint, region: s.region, bucket: BUCKET, prefix: `t${Math.random().toString(36).slice(2, 10)}`, accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey };
      bucket ??= new S3Client({ ...settings, credentials: settings, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: BUCKET }));
      await bucket;
      const url = new URL(`${s.endpoint}/${BUCKET}/${settings.prefix}`);
      url.username = s.accessKeyId;
      url.password = s.secretAccessKey;
      return { settings, env: { TORIMATOME_S3_URL: url.toString() } };
    },
  };
}
