import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveTemporalCli, temporalCliCacheDir, TEMPORAL_CLI_VERSION } from '../../stack/temporal-cli';
import { downloadTemporalCli, hostAnswers } from '../../stack/temporal-cli-download';
import { tempDir } from './helpers';

async function fakeCli(dir: string, name = 'temporal'): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, '#!/bin/sh\necho fake temporal\n');
  await chmod(path, 0o755);
  return path;
}

describe('resolveTemporalCli', () => {
  it('takes TEMPORAL_CLI_PATH first, over PATH', async () => {
    const dir = await tempDir();
    const explicit = await fakeCli(join(dir, 'explicit'));
    await fakeCli(join(dir, 'bin'));
    const env = { TEMPORAL_CLI_PATH: explicit, PATH: join(dir, 'bin'), XDG_CACHE_HOME: join(dir, 'cache') };
    expect(await resolveTemporalCli({ env })).toBe(explicit);
  });

  it('says clearly when TEMPORAL_CLI_PATH names nothing it can run', async () => {
    const dir = await tempDir();
    const missing = join(dir, 'no-such-temporal');
    await expect(resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: missing } })).rejects.toThrow(
      `TEMPORAL_CLI_PATH is set to ${missing}, but there is no executable file there.`,
    );
    const notExecutable = join(dir, 'temporal.txt');
    await writeFile(notExecutable, 'not a program');
    await expect(resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: notExecutable } })).rejects.toThrow('no executable file there');
    await expect(resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: dir } })).rejects.toThrow('no executable file there');
  });

  it('takes temporal on PATH before the cache', async () => {
    const dir = await tempDir();
    const onPath = await fakeCli(join(dir, 'bin'));
    await fakeCli(join(temporalCliCacheDir({ XDG_CACHE_HOME: join(dir, 'cache') })));
    const env = { PATH: [join(dir, 'empty'), join(dir, 'bin')].join(':'), XDG_CACHE_HOME: join(dir, 'cache') };
    expect(await resolveTemporalCli({ env })).toBe(onPath);
  });

  it('takes the binary cached under XDG_CACHE_HOME when none is on PATH', async () => {
    const dir = await tempDir();
    const cacheDir = temporalCliCacheDir({ XDG_CACHE_HOME: join(dir, 'cache') });
    expect(cacheDir).toBe(join(dir, 'cache', 'torimatome', 'temporal-cli', TEMPORAL_CLI_VERSION));
    const cached = await fakeCli(cacheDir);
    expect(await resolveTemporalCli({ env: { PATH: join(dir, 'empty'), XDG_CACHE_HOME: join(dir, 'cache') } })).toBe(cached);
  });

  it('caches under ~/.cache when XDG_CACHE_HOME is not set', () => {
    expect(temporalCliCacheDir({})).toMatch(/\/\.cache\/torimatome\/temporal-cli\/v1\.5\.1$/);
  });
});

describe('hostAnswers', () => {
  it('tells a listening port from a closed one, quickly', async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    expect(await hostAnswers('127.0.0.1', port, 3_000)).toBe(true);
    await new Promise((done) => server.close(done));
    const started = Date.now();
    expect(await hostAnswers('127.0.0.1', port, 3_000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('downloadTemporalCli', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((done) => (server ? server.close(done) : done(undefined)));
    server = undefined;
  });

  /** A stand-in for temporal.download: the same two requests, answered from a local archive. */
  async function serveArchive(archive: Buffer): Promise<{ baseUrl: string; asked: string[] }> {
    const asked: string[] = [];
    server = createServer((req, res) => {
      asked.push(req.url ?? '');
      const base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
      if (req.url?.startsWith(`/cli/${TEMPORAL_CLI_VERSION}?`)) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ archiveUrl: `${base}/archives/temporal_cli.tar.gz`, fileToExtract: 'temporal' }));
      } else if (req.url === '/archives/temporal_cli.tar.gz') {
        res.end(archive);
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
  }

  it('asks the host as the SDK does and puts the unpacked binary in place, executable', async () => {
    const dir = await tempDir();
    await fakeCli(join(dir, 'release'));
    await writeFile(join(dir, 'release', 'LICENSE'), 'license');
    const archive = execFileSync('tar', ['-czf', '-', '-C', join(dir, 'release'), 'LICENSE', 'temporal']);
    const { baseUrl, asked } = await serveArchive(archive);

    const dest = join(dir, 'cache', 'temporal');
    await mkdir(join(dir, 'cache'));
    const lines: string[] = [];
    await downloadTemporalCli({ version: TEMPORAL_CLI_VERSION, dest, log: (l) => lines.push(l), baseUrl });

    expect(asked[0]).toMatch(/^\/cli\/v1\.5\.1\?arch=(amd64|arm64)&platform=(linux|darwin)&format=tar\.gz$/);
    expect(await readFile(dest, 'utf8')).toContain('fake temporal');
    expect((await stat(dest)).mode & 0o111).not.toBe(0);
    expect(execFileSync(dest, { encoding: 'utf8' })).toBe('fake temporal\n');
    expect(lines.join('\n')).toContain('Downloading the Temporal CLI v1.5.1');
  });

  it('leaves nothing at the destination when the archive is broken', async () => {
    const dir = await tempDir();
    const { baseUrl } = await serveArchive(Buffer.from('not a tarball'));
    const dest = join(dir, 'temporal');
    await expect(downloadTemporalCli({ version: TEMPORAL_CLI_VERSION, dest, log: () => undefined, baseUrl })).rejects.toThrow(
      'tar could not unpack',
    );
    await expect(stat(dest)).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });
});
