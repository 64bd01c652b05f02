import { describe, expect, it } from 'vitest';
import { openStore, s3Settings } from '../../store/open-store';

describe('where the run data lives', () => {
  it('is the data directory when no bucket is set', () => {
    expect(s3Settings({})).toBeUndefined();
    expect(openStore('/srv/torimatome', {}).location).toBe('data directory /srv/torimatome');
  });

  it('is a bucket given in one URL, with its prefix, region and key pair', () => {
    const env = { TORIMATOME_S3_URL: 'http://AK%2Fx:s3cr%40t@127.0.0.1:8333/torimatome/city/arao?region=ap-northeast-1' };
    expect(s3Settings(env)).toEqual({ endpoint: 'http://127.0.0.1:8333', region: 'ap-northeast-1', bucket: 'torimatome', prefix: 'city/arao', accessKeyId: 'AK/x', secretAccessKey: 's3cr@t' });
    expect(openStore('/srv/torimatome', env).location).toBe('s3://torimatome/city/arao');
  });

  it('is a bucket given in separate settings, the key pair also from the AWS variables', () => {
    expect(s3Settings({ TORIMATOME_S3_BUCKET: 'b', TORIMATOME_S3_PREFIX: '/p/', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' })).toEqual({ endpoint: undefined, region: 'us-east-1', bucket: 'b', prefix: 'p', accessKeyId: 'k', secretAccessKey: 's' });
  });

  it('refuses half a setting, in words an operator can act on, without printing the secret', () => {
    expect(() => s3Settings({ TORIMATOME_S3_ENDPOINT: 'http://s3.local' })).toThrow('TORIMATOME_S3_ENDPOINT set without TORIMATOME_S3_BUCKET');
    expect(() => s3Settings({ TORIMATOME_S3_BUCKET: 'b' })).toThrow('no key pair');
    expect(() => s3Settings({ TORIMATOME_S3_URL: 'http://host:1/bucket' })).toThrow('carries no key pair');
    expect(() => s3Settings({ TORIMATOME_S3_URL: 'http://k:s@host:1/' })).toThrow('names no bucket');
    expect(() => s3Settings({ TORIMATOME_S3_URL: 's3://k:s@host/bucket' })).toThrow('must start with http:// or https://');
    expect(() => s3Settings({ TORIMATOME_S3_URL: 'not a url with k:secret@' })).toThrow('is not a URL');
    const refusal = (() => {
      try {
        s3Settings({ TORIMATOME_S3_URL: 'http//key:topsecret@x/bucket' });
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(refusal).toContain('is not a URL');
    expect(refusal).not.toContain('topsecret');
  });
});
