import { spawn } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, Connection } from '@temporalio/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveTemporalCli } from '../../stack/temporal-cli';
import { startDevServer, type DevServer } from '../../stack/temporal-dev-server';
import { isGone, tempDir, waitUntilGone } from './helpers';

let cli: string;
beforeAll(async () => {
  // Normally already there (CI runs stack/provision.ts first); otherwise this is the long build.
  cli = await resolveTemporalCli({ log: (line) => console.log(line) });
}, 20 * 60_000);

const started: DevServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

async function start(dbFile: string, opts: { ui?: boolean; namespace?: string } = {}): Promise<DevServer> {
  const server = await startDevServer({ dbFile, cliPath: cli, ...opts });
  started.push(server);
  return server;
}

async function clientOf(server: DevServer): Promise<Client> {
  const connection = await Connection.connect({ address: server.address });
  return new Client({ connection, namespace: server.namespace });
}

/** A workflow nobody runs: no worker polls its queue, so it just stays there, recorded. */
async function startProbe(server: DevServer): Promise<string> {
  const client = await clientOf(server);
  try {
    const handle = await client.workflow.start('torimatomeProbe', { taskQueue: 'nobody-polls', workflowId: 'probe', args: [] });
    return handle.firstExecutionRunId;
  } finally {
    await client.connection.close();
  }
}

async function describeProbe(server: DevServer): Promise<{ runId: string; status: string | undefined }> {
  const client = await clientOf(server);
  try {
    const description = await client.workflow.getHandle('probe').describe();
    return { runId: description.runId, status: description.status.name };
  } finally {
    await client.connection.close();
  }
}

describe('startDevServer', () => {
  it('starts on a free loopback port, answers, and takes a workflow', async () => {
    const server = await start(join(await tempDir(), 'temporal.sqlite'));
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.address).not.toBe('127.0.0.1:7233');
    expect(server.namespace).toBe('default');
    expect(server.uiUrl).toBeUndefined();
    const runId = await startProbe(server);
    expect(await describeProbe(server)).toEqual({ runId, status: 'RUNNING' });
  });

  it('keeps its workflows in the SQLite file across a restart', async () => {
    const dbFile = join(await tempDir(), 'data', 'temporal', 'temporal.sqlite');
    const first = await start(dbFile, { namespace: 'torimatome' });
    const runId = await startProbe(first);
    await first.stop();
    expect(isGone(first.pid)).toBe(true);

    const second = await start(dbFile, { namespace: 'torimatome' });
    expect(second.address).not.toBe(first.address);
    expect(await describeProbe(second)).toEqual({ runId, status: 'RUNNING' });
  });

  it('runs two servers at once, each with its own ports and data, one with the UI', async () => {
    const dir = await tempDir();
    const [a, b] = await Promise.all([start(join(dir, 'a.sqlite')), start(join(dir, 'b.sqlite'), { ui: true })]);
    expect(a.address).not.toBe(b.address);
    expect(b.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(b.uiUrl!)).status).toBe(200);
    await startProbe(a);
    await expect(describeProbe(b)).rejects.toThrow(/not found/i);
  });

  it('stops for good, and stopping twice is harmless', async () => {
    const server = await start(join(await tempDir(), 'temporal.sqlite'));
    await Promise.all([server.stop(), server.stop()]);
    expect(isGone(server.pid)).toBe(true);
    await server.stop();
  });

  it('reports what the server said when it ends before answering', async () => {
    const dir = await tempDir();
    const broken = join(dir, 'temporal');
    await writeFile(broken, '#!/bin/sh\necho "no such flag: --ip" >&2\nexit 3\n');
    await chmod(broken, 0o755);
    await expect(startDevServer({ dbFile: join(dir, 'temporal.sqlite'), cliPath: broken })).rejects.toThrow(
      /ended \(exit code 3\) before it answered on 127\.0\.0\.1:\d+\. Its last output:\nno such flag: --ip/,
    );
  });

  it.each(['exit', 'SIGTERM', 'SIGINT', 'SIGKILL'] as const)('does not outlive the process that started it (%s)', async (ending) => {
    const fixture = join(__dirname, 'fixtures', 'dev-server-child.ts');
    const parent = spawn(process.execPath, ['--import', 'tsx', fixture, join(await tempDir(), 'temporal.sqlite'), cli], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const parentEnded = new Promise((done) => parent.once('exit', done));
    const first = await createInterface({ input: parent.stdout })[Symbol.asyncIterator]().next();
    const { pid } = JSON.parse(first.value as string) as { pid: number };
    expect(isGone(pid)).toBe(false);
    if (ending === 'exit') parent.stdin.write('exit\n');
    else parent.kill(ending);
    await parentEnded;
    expect(await waitUntilGone(pid, 5_000)).toBe(true);
  });
});
