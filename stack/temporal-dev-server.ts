import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions';
import { freePorts } from './free-port';
import { killOnExit, watchExit } from './kill-on-exit';
import { followLines } from './output-lines';
import { resolveTemporalCli } from './temporal-cli';

export interface DevServer {
  /** host:port of the frontend gRPC service, always on loopback. */
  address: string;
  namespace: string;
  uiUrl?: string;
  pid: number;
  /** Stops the server and waits until it is gone. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface DevServerOptions {
  /** The SQLite file that keeps workflows across restarts. */
  dbFile: string;
  /** Serve the Web UI too (on a free port of its own). */
  ui?: boolean;
  /** The server's warnings and errors, and progress while the CLI is built. */
  log?: (line: string) => void;
  namespace?: string;
  /** A temporal binary to use instead of resolving one. */
  cliPath?: string;
  /** How long the server may take to answer. */
  readyTimeoutMs?: number;
  /** The frontend port, to come back on the address workers and run.json already hold. */
  port?: number;
}

const HOST = '127.0.0.1';
const STOP_GRACE_MS = 10_000;
const PORT_ATTEMPTS = 3;

/** A server that died because a port we picked was taken in between: worth another try. */
class PortTaken extends Error {}

/**
 * Starts `temporal server start-dev` on free loopback ports and resolves once it answers
 * requests in `namespace`, not after some fixed wait.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const cli = opts.cliPath ?? (await resolveTemporalCli({ log: opts.log }));
  const dbFile = resolve(opts.dbFile);
  await mkdir(dirname(dbFile), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(cli, dbFile, opts);
    } catch (err) {
      if (!(err instanceof PortTaken) || opts.port || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

async function launch(cli: string, dbFile: string, opts: DevServerOptions): Promise<DevServer> {
  const namespace = opts.namespace ?? 'default';
  // The HTTP API, metrics and the internal services get their ports from the CLI itself, which
  // picks free ones the same way; only the ones we must know are chosen here.
  const picked = await freePorts(HOST, (opts.port ? 0 : 1) + (opts.ui ? 1 : 0));
  const port = opts.port ?? picked.shift()!;
  const uiPort = picked.shift();
  const address = `${HOST}:${port}`;
  const args = ['server', 'start-dev', '--db-filename', dbFile, '--ip', HOST, '--port', String(port)];
  args.push(...(opts.ui ? ['--ui-port', String(uiPort)] : ['--headless']));
  // "default" always exists; naming it again would only make the CLI try to create it twice.
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${TypedSearchAttributes.toMetadataType(key.type)}`);
  args.push('--log-level', 'warn');

  const child = spawn(cli, args, { env: withoutTemporalSettings(process.env), stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  const { exited, exitReason } = watchExit(child);
  let stopping: Promise<void> | undefined;
  const lastStdout = followLines(child.stdout, 10);
  // A stopping server complains about every poller and connection it closes: none of that is
  // news to whoever stopped it.
  const lastStderr = followLines(child.stderr, 30, (line) => {
    if (!stopping) opts.log?.(line);
  });
  const lastOutput = (): string => [...lastStdout(), ...lastStderr()].join('\n') || '(it printed nothing)';

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (exitReason() !== undefined) return;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(kill);
    })());

  const timeoutMs = opts.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await answers(address, namespace)) break;
    if (exitReason() !== undefined) {
      const output = lastOutput();
      const message = `The Temporal dev server (${cli}) ended (${exitReason()}) before it answered on ${address}. Its last output:\n${output}`;
      throw /address already in use/i.test(output) ? new PortTaken(message) : new Error(message);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `The Temporal dev server (${cli}) did not answer on ${address} within ${timeoutMs / 1000} s. Its last output:\n${lastOutput()}`,
      );
    }
    await sleep(100);
  }

  return {
    address,
    namespace,
    ...(opts.ui ? { uiUrl: `http://${HOST}:${uiPort}` } : {}),
    pid: child.pid!,
    stop,
  };
}

/** Whether the frontend takes requests and the namespace is there to take workflows. */
async function answers(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1_000 });
    const conn = connection;
    await conn.withDeadline(Date.now() + 2_000, () => conn.workflowService.describeNamespace({ namespace }));
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close();
  }
}

/**
 * The CLI reads TEMPORAL_* variables (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ...) as settings.
 * The server we start must be shaped by our flags alone, not by whatever a developer's shell
 * points at.
 */
function withoutTemporalSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('TEMPORAL_')));
}
