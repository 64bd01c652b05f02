import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycleKeys, readRef, sha256, storeFile, storeReceived } from '../../store/file-store';
import { localStore } from '../../store/local-store';
import { s3Store } from '../../store/s3-store';
import { useS3Server } from '../support/s3-bucket';

describe('files by reference', () => {
  const store = () => localStore(mkdtempSync(join(tmpdir(), 'torimatome-files-')));
  const key = cycleKeys('cycle-arao-R4').sheet('somu', 1);

  it('keeps the first sheet written under a key: a second build, with other bytes, gets back a reference to the first', async () => {
    const s = store();
    const first = await storeFile(s, key, 'built at 10:00');
    const again = await storeFile(s, key, 'built at 10:05');
    expect(again).toEqual(first);
    expect(first).toEqual({ path: 'cycles/cycle-arao-R4/sheets/somu-v1.xlsx', sha256: sha256('built at 10:00'), bytes: 14 });
    expect((await readRef(s, again)).toString()).toBe('built at 10:00');
  });

  it('keeps a received file once under its own hash', async () => {
    const s = store();
    const data = Buffer.from('a return');
    const ref = await storeReceived(s, data, 'xlsx');
    expect(await storeReceived(s, data, 'xlsx')).toEqual(ref);
    expect(ref.path).toBe(`received/${sha256(data).slice(0, 2)}/${sha256(data)}.xlsx`);
  });

  it('refuses to read a file whose bytes are not the ones referred to, or that is not there', async () => {
    const s = store();
    const ref = await storeFile(s, key, 'sent');
    await s.put(key, 'tampered');
    await expect(readRef(s, ref)).rejects.toThrow(/has changed since it was stored/);
    await expect(readRef(s, { ...ref, path: 'cycles/none/x.xlsx' })).rejects.toThrow(/is not in the data directory/);
  });
});

describe('files by reference in an S3 bucket (SeaweedFS)', () => {
  const s3 = useS3Server();

  it('refuses a file whose object was overwritten in the bucket behind the service, by its sha256', async () => {
    const { settings } = await s3.place();
    const store = s3Store(settings);
    const ref = await storeFile(store, cycleKeys('cycle-arao-R4').sheet('somu', 1), 'sent');
    // Written as anyone holding the bucket's keys would, not through the run store.
    const outsider = new S3Client({ endpoint: settings.endpoint, region: settings.region, credentials: settings, forcePathStyle: true });
    await outsider.send(new PutObjectCommand({ Bucket: settings.bucket, Key: `${settings.prefix}/${ref.path}`, Body: 'tampered' }));
    expect((await store.get(ref.path))!.data.toString()).toBe('tampered');
    await expect(readRef(store, ref)).rejects.toThrow(`${ref.path} has changed since it was stored: sha256 ${sha256('tampered')}, expected ${ref.sha256}`);
  });
});
