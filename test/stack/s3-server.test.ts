import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3Server } from '../../stack/s3-server';
import { resolveWeed, seaweedfsCacheDir, SEAWEEDFS_VERSION } from '../../stack/seaweedfs';
import { isGone, tempDir, waitUntilGone } from './helpers';

async function script(dir: string, name: string, body: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

describe('resolveWeed', () => {
  it('takes SEAWEEDFS_WEED_PATH first, then weed on PATH, then the cache', async () => {
    const dir = await tempDir();
    const explicit = await script(join(dir, 'explicit'), 'weed', 'exit 0');
    const onPath = await script(join(dir, 'bin'), 'weed', 'exit 0');
    const cacheHome = join(dir, 'cache');
    const cached = await script(seaweedfsCacheDir({ XDG_CACHE_HOME: cacheHome }), 'weed', 'exit 0');
    expect(cached).toBe(join(cacheHome, 'torimatome', 'seaweedfs', SEAWEEDFS_VERSION, 'weed'));
    const bin = [join(dir, 'empty'), join(dir, 'bin')].join(':');
    expect(await resolveWeed({ env: { SEAWEEDFS_WEED_PATH: explicit, PATH: bin, XDG_CACHE_HOME: cacheHome } })).toBe(explicit);
    expect(await resolveWeed({ env: { PATH: bin, XDG_CACHE_HOME: cacheHome } })).toBe(onPath);
    expect(await resolveWeed({ env: { PATH: join(dir, 'empty'), XDG_CACHE_HOME: cacheHome } })).toBe(cached);
  });

  it('says clearly when SEAWEEDFS_WEED_PATH names nothing it can run', async () => {
    const missing = join(await tempDir(), 'no-such-weed');
    await expect(resolveWeed({ env: { SEAWEEDFS_WEED_PATH: missing } })).rejects.toThrow(
      `SEAWEEDFS_WEED_PATH is set to ${missing}, but there is no executable file there.`,
    );
  });

  it('says clearly when there is no weed and no Go to build one', async () => {
    const dir = await tempDir();
    await expect(resolveWeed({ env: { PATH: join(dir, 'empty'), XDG_CACHE_HOME: join(dir, 'cache') } })).rejects.toThrow(
      'No SeaweedFS weed binary was found and Go is not installed to build one.',
    );
  });

  it('builds from the downloaded module source and puts only the finished binary in the cache', async () => {
    const dir = await tempDir();
    const source = join(dir, 'modcache', 'seaweedfs');
    await mkdir(join(source, 'weed'), { recursive: true });
    await writeFile(join(source, 'weed', 'main.go'), 'package main\n');
    // As in Go's module cache: the source is read-only.
    await chmod(join(source, 'weed', 'main.go'), 0o444);
    await chmod(join(source, 'weed'), 0o555);
    // A stand-in for go: `mod download` names the source folder; `build`, run in a copy of it,
    // writes a stand-in weed to the -o path.
    await script(
      join(dir, 'bin'),
      'go',
      `case "$1" in
mod) echo '{"Path": "github.com/seaweedfs/seaweedfs", "Dir": "${source}"}' ;;
build) test -f weed/main.go && echo 'go: downloading example.com/dep v1.0.0' >&2 && printf '#!/bin/sh\\n' > "$4" && chmod 755 "$4" ;;
esac`,
    );
    const cacheHome = join(dir, 'cache');
    const lines: string[] = [];
    const env = { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, XDG_CACHE_HOME: cacheHome };
    const weed = await resolveWeed({ env, log: (line) => lines.push(line) }).finally(() =>
      // Left read-only, the source could not be removed after the test by anyone but root.
      chmod(join(source, 'weed'), 0o755),
    );
    expect(weed).toBe(join(seaweedfsCacheDir({ XDG_CACHE_HOME: cacheHome }), 'weed'));
    expect((await stat(weed)).mode & 0o111).not.toBe(0);
    expect(await readdir(seaweedfsCacheDir({ XDG_CACHE_HOME: cacheHome }))).toEqual(['weed']);
    expect(lines).toContain('go: downloading example.com/dep v1.0.0');
    expect(lines.at(-1)).toMatch(/^Built SeaweedFS \S+ in \d+ s: /);
  });

  it("quotes go's own words when the download or the build fails", async () => {
    const dir = await tempDir();
    const env = { PATH: join(dir, 'bin'), XDG_CACHE_HOME: join(dir, 'cache') };
    await script(join(dir, 'bin'), 'go', `echo '{"Error": "module lookup disabled by GOPROXY=off"}'; exit 1`);
    await expect(resolveWeed({ env })).rejects.toThrow(
      `go mod download of SeaweedFS ${SEAWEEDFS_VERSION} failed (exit 1):\nmodule lookup disabled by GOPROXY=off`,
    );
    await mkdir(join(dir, 'src'));
    await script(
      join(dir, 'bin'),
      'go',
      `case "$1" in
mod) echo '{"Dir": "${join(dir, 'src')}"}' ;;
build) echo 'weed/main.go:1:1: expected package' >&2; exit 1 ;;
esac`,
    );
    await expect(resolveWeed({ env })).rejects.toThrow(
      `go build of SeaweedFS ${SEAWEEDFS_VERSION} failed (exit 1):\nweed/main.go:1:1: expected package`,
    );
    expect(await readdir(seaweedfsCacheDir(env))).toEqual([]);
  });
});

describe('startS3Server', () => {
  let server: S3Server;
  let s3: S3Client;
  beforeAll(async () => {
    // Normally weed is already built (CI runs stack/provision.ts first); otherwise this is the long build.
    server = await startS3Server({ log: (line) => console.log(line) });
    s3 = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'torimatome' }));
  }, 20 * 60_000);
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
  });

  async function get(key: string): Promise<Buffer> {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: 'torimatome', Key: key }));
    return Buffer.from(await Body!.transformToByteArray());
  }

  function refusal(err: unknown): { name: string; status: number | undefined } {
    if (!(err instanceof S3ServiceException)) throw err;
    return { name: err.name, status: err.$metadata.httpStatusCode };
  }

  async function failure(request: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
    return refusal(await request.then(() => expect.fail('the request succeeded'), (err: unknown) => err));
  }

  it('keeps the bytes it is given and lists keys by prefix', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, ...Buffer.from('回答票')]);
    await s3.send(new PutObjectCommand({ Bucket: 'torimatome', Key: 'returns/2026/a.bin', Body: bytes }));
    await s3.send(new PutObjectCommand({ Bucket: 'torimatome', Key: 'returns/2026/b.bin', Body: 'b' }));
    await s3.send(new PutObjectCommand({ Bucket: 'torimatome', Key: 'returns/2027/c.bin', Body: 'c' }));
    expect(await get('returns/2026/a.bin')).toEqual(bytes);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'torimatome', Prefix: 'returns/2026/' }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['returns/2026/a.bin', 'returns/2026/b.bin']);
  });

  it('refuses a PUT into a bucket nobody created, as S3 does (404)', async () => {
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'nobody-made-this', Key: 'k', Body: 'x' })))).toEqual({
      name: 'NoSuchBucket',
      status: 404,
    });
  });

  it('refuses a second PUT of a key with If-None-Match: * (412)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'torimatome', Key: 'once', Body: 'first', IfNoneMatch: '*' }));
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'torimatome', Key: 'once', Body: 'second', IfNoneMatch: '*' })))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect((await get('once')).toString()).toBe('first');
  });

  it('refuses a PUT with If-Match of a stale ETag (412) and takes one with the current ETag', async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket: 'torimatome', Key: 'cas', Body: 'v1' }));
    const second = await s3.send(new PutObjectCommand({ Bucket: 'torimatome', Key: 'cas', Body: 'v2', IfMatch: first.ETag }));
    expect(second.ETag).not.toBe(first.ETag);
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'torimatome', Key: 'cas', Body: 'v3', IfMatch: first.ETag })))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect((await get('cas')).toString()).toBe('v2');
  });

  it('lets exactly one of several racing writers through on the same condition, and refuses the rest (412)', async () => {
    const race = (key: string, condition: { IfNoneMatch?: string; IfMatch?: string }) =>
      Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => s3.send(new PutObjectCommand({ Bucket: 'torimatome', Key: key, Body: `writer ${i}`, ...condition }))),
      );
    const outcome = (results: PromiseSettledResult<unknown>[]) => ({
      written: results.filter((r) => r.status === 'fulfilled').length,
      refused: results.flatMap((r) => (r.status === 'rejected' ? [refusal(r.reason)] : [])),
    });
    const refusals = Array.from({ length: 5 }, () => ({ name: 'PreconditionFailed', status: 412 }));
    expect(outcome(await race('race/create', { IfNoneMatch: '*' }))).toEqual({ written: 1, refused: refusals });
    const base = await s3.send(new PutObjectCommand({ Bucket: 'torimatome', Key: 'race/update', Body: 'base' }));
    expect(outcome(await race('race/update', { IfMatch: base.ETag }))).toEqual({ written: 1, refused: refusals });
  });

  it('refuses a client that does not hold its key pair', async () => {
    const stranger = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: 'not-the-secret' },
      forcePathStyle: true,
    });
    try {
      expect(await failure(stranger.send(new GetObjectCommand({ Bucket: 'torimatome', Key: 'once' })))).toEqual({
        name: 'SignatureDoesNotMatch',
        status: 403,
      });
    } finally {
      stranger.destroy();
    }
  });
});

describe('startS3Server, start and stop', () => {
  it('stops for good, removes the data folder it made, and stopping twice is harmless', async () => {
    const server = await startS3Server();
    expect((await stat(server.dataDir)).isDirectory()).toBe(true);
    await Promise.all([server.stop(), server.stop()]);
    expect(isGone(server.pid)).toBe(true);
    expect(existsSync(server.dataDir)).toBe(false);
    await server.stop();
  }, 120_000);

  it('keeps its objects in the data folder it is given, across a restart, and leaves the folder there', async () => {
    const dataDir = join(await tempDir(), 'data', 's3');
    const clientOf = (server: S3Server) =>
      new S3Client({
        endpoint: server.endpoint,
        region: server.region,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
        forcePathStyle: true,
      });
    const first = await startS3Server({ dataDir });
    const before = clientOf(first);
    await before.send(new CreateBucketCommand({ Bucket: 'kept' }));
    await before.send(new PutObjectCommand({ Bucket: 'kept', Key: 'k', Body: 'across a restart' }));
    before.destroy();
    await first.stop();
    expect(existsSync(dataDir)).toBe(true);

    const second = await startS3Server({ dataDir });
    const after = clientOf(second);
    try {
      const { Body } = await after.send(new GetObjectCommand({ Bucket: 'kept', Key: 'k' }));
      expect(await Body!.transformToString()).toBe('across a restart');
    } finally {
      after.destroy();
      await second.stop();
    }
  }, 120_000);

  it('does not outlive the process that started it, even one killed outright', async () => {
    const starter = `require(${JSON.stringify(join(__dirname, '../../stack/s3-server'))}).startS3Server({ dataDir: process.argv[1] }).then((server) => {
      process.stdout.write(JSON.stringify({ pid: server.pid }) + '\\n');
      setInterval(() => undefined, 1_000);
    });`;
    // Its data in a folder of the test's: a killed parent leaves it behind.
    const dataDir = join(await tempDir(), 'data');
    const parent = spawn(process.execPath, ['--import', 'tsx', '-e', starter, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const parentEnded = new Promise((done) => parent.once('exit', done));
    const first = await createInterface({ input: parent.stdout })[Symbol.asyncIterator]().next();
    const { pid } = JSON.parse(first.value as string) as { pid: number };
    expect(isGone(pid)).toBe(false);
    // weed killed outright leaves its gRPC sockets in /tmp, named by the ports on its command line.
    const sockets = [...(await readFile(`/proc/${pid}/cmdline`, 'utf8')).matchAll(/-(\w+)\.port\.grpc=(\d+)/g)].map(
      ([, service, port]) => `/tmp/seaweedfs-${service}-grpc-${port}.sock`,
    );
    parent.kill('SIGKILL');
    await parentEnded;
    expect(await waitUntilGone(pid, 5_000)).toBe(true);
    await Promise.all(sockets.map((socket) => rm(socket, { force: true })));
  }, 120_000);

  it('reports what weed said when it ends before answering', async () => {
    const dir = await tempDir();
    const broken = await script(dir, 'weed', 'echo "flag provided but not defined: -s3.port.lance" >&2\nexit 2');
    await expect(startS3Server({ weedPath: broken, dataDir: join(dir, 'data') })).rejects.toThrow(
      /ended \(exit code 2\) before its S3 gateway answered on http:\/\/127\.0\.0\.1:\d+\. Its last output:\nflag provided but not defined: -s3\.port\.lance/,
    );
  });

  it('gives up on a server that does not answer in time, with what it said', async () => {
    const dir = await tempDir();
    const silent = await script(dir, 'weed', 'echo "waiting for the master" >&2\nexec sleep 30');
    await expect(startS3Server({ weedPath: silent, dataDir: join(dir, 'data'), readyTimeoutMs: 500 })).rejects.toThrow(
      /did not answer on http:\/\/127\.0\.0\.1:\d+ within 0\.5 s\. Its last output:\nwaiting for the master/,
    );
  });
});
