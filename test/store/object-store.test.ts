import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localStore } from '../../store/local-store';
import { type ObjectStore, StaleVersion } from '../../store/object-store';
import { s3Store } from '../../store/s3-store';
import { useS3Server } from '../support/s3-bucket';

// The same promises, held by both stores: a worker must not be able to tell which it runs on.
const s3 = useS3Server();
const stores: Record<string, () => Promise<ObjectStore>> = {
  'the data directory': async () => localStore(mkdtempSync(join(tmpdir(), 'torimatome-store-'))),
  'an S3 bucket (SeaweedFS)': async () => s3Store((await s3.place()).settings),
};

describe.each(Object.keys(stores))('the object store in %s', (name) => {
  const open = () => stores[name]!();

  it('gives back what was put, with a version that changes when it is written again', async () => {
    const store = await open();
    expect(await store.get('cycles/c1/snapshot.json')).toBeUndefined();
    expect(await store.version('cycles/c1/snapshot.json')).toBeUndefined();
    const first = await store.put('cycles/c1/snapshot.json', '{"a":1}');
    expect(first.written).toBe(true);
    expect(await store.get('cycles/c1/snapshot.json')).toEqual({ data: Buffer.from('{"a":1}'), version: first.version });
    const second = await store.put('cycles/c1/snapshot.json', Buffer.from('{"a":2}'));
    expect(second.version).not.toBe(first.version);
    expect(await store.version('cycles/c1/snapshot.json')).toBe(second.version);
    expect((await store.get('cycles/c1/snapshot.json'))!.data.toString()).toBe('{"a":2}');
  });

  it('keeps the first of two writers racing on one key with ifAbsent, and tells the second', async () => {
    const store = await open();
    const results = await Promise.all(['first', 'second', 'third'].map((text) => store.put('received/ab/abc.xlsx', text, { ifAbsent: true })));
    expect(results.filter((r) => r.written)).toHaveLength(1);
    const kept = (await store.get('received/ab/abc.xlsx'))!;
    expect(results.every((r) => r.version === kept.version)).toBe(true);
    expect(['first', 'second', 'third']).toContain(kept.data.toString());
  });

  it('loses no update of a file several writers change at once, each over the version it read', async () => {
    const store = await open();
    const key = 'plan/plan.json';
    await store.put(key, '0', { ifVersion: undefined });
    await expect(store.put(key, 'x', { ifVersion: undefined })).rejects.toThrow(StaleVersion);
    const increment = async () => {
      for (;;) {
        const { data, version } = (await store.get(key))!;
        try {
          return await store.put(key, String(Number(data.toString()) + 1), { ifVersion: version });
        } catch (err) {
          if (!(err instanceof StaleVersion)) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, increment));
    expect((await store.get(key))!.data.toString()).toBe('8');
  });

  it('lists the keys under a prefix, at any depth, and nothing else', async () => {
    const store = await open();
    for (const key of ['cycles/c1/outbox/request.somu.1.json', 'cycles/c1/outbox/result.somu.json', 'cycles/c1/returns/somu/001.json', 'cycles/c10/snapshot.json']) await store.put(key, key);
    expect((await store.list('cycles/c1/')).sort()).toEqual(['cycles/c1/outbox/request.somu.1.json', 'cycles/c1/outbox/result.somu.json', 'cycles/c1/returns/somu/001.json']);
    expect(await store.list('cycles/c1/outbox/result.')).toEqual(['cycles/c1/outbox/result.somu.json']);
    expect(await store.list('cycles/none/')).toEqual([]);
  });

  it('names the folders right under a folder, not the files in it nor what is deeper', async () => {
    const store = await open();
    for (const key of ['cycles/c1/snapshot.json', 'cycles/c1/returns/somu/001.json', 'cycles/c2/outbox/result.somu.json', 'cycles/index.json', 'plan/plan.json']) await store.put(key, key);
    await store.put('cycles/c1/snapshot.json', 'again', { ifVersion: (await store.version('cycles/c1/snapshot.json'))! });
    expect((await store.folders('cycles/')).sort()).toEqual(['c1', 'c2']);
    expect((await store.folders('')).sort()).toEqual(['cycles', 'plan']);
    expect(await store.folders('cycles/none/')).toEqual([]);
  });

  it('deletes, and deleting what is not there is no error', async () => {
    const store = await open();
    await store.put('cycles/c1/mail-failures/x.json', '{}');
    await store.delete('cycles/c1/mail-failures/x.json');
    await store.delete('cycles/c1/mail-failures/x.json');
    expect(await store.get('cycles/c1/mail-failures/x.json')).toBeUndefined();
  });

  it('refuses a key that could leave its root', async () => {
    const store = await open();
    for (const key of ['../outside', '/etc/passwd', 'cycles//x', 'cycles/./x', '']) await expect(store.put(key, 'x')).rejects.toThrow(/not a store key/);
  });
});
