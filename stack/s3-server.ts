import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts } from './free-port';
import { killOnExit, watchExit } from './kill-on-exit';
import { followLines } from './output-lines';
import { resolveWeed } from './seaweedfs';

export interface S3Server {
  /** http://127.0.0.1:port: buckets are addressed by path (forcePathStyle), not by host name. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Where the objects are kept. */
  dataDir: string;
  pid: number;
  /** Stops the server, waits until it is gone and removes the data folder if it made one. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface S3ServerOptions {
  /** Where the objects are kept, across restarts; a fresh temporary folder, removed by stop(), by default. */
  dataDir?: string;
  /** The server's output, and progress while weed is built. */
  log?: (line: string) => void;
  /** A weed binary to use instead of resolving one. */
  weedPath?: string;
  /** How long the server may take to answer. */
  readyTimeoutMs?: number;
}

const HOST = '127.0.0.1';
const REGION = 'us-east-1';
// weed stops in about half a second, but now and then its volume server waits 30 s for a
// connection that another part of weed opened to it and never used. By then S3 and the filer
// have shut down and every write is in the volume files, so it is killed instead.
const STOP_GRACE_MS = 3_000;
const PORT_ATTEMPTS = 3;

/** A server that died because a port we picked was taken in between: worth another try. */
class PortTaken extends Error {}

/**
 * Starts SeaweedFS (`weed mini`: master, volume server, filer and S3 gateway in one process) on
 * free loopback ports, and resolves once its S3 gateway answers. The first write may still take
 * about a second longer, while the filer forms the lock ring that S3 writes take: it waits for
 * it rather than failing. The gateway accepts only the key pair returned here, so a client that
 * signs wrongly fails as it would against S3 itself.
 */
export async function startS3Server(opts: S3ServerOptions = {}): Promise<S3Server> {
  const weed = opts.weedPath ?? (await resolveWeed({ log: opts.log }));
  const madeDir = opts.dataDir === undefined;
  const dataDir = madeDir ? await mkdtemp(join(tmpdir(), 'torimatome-s3-')) : resolve(opts.dataDir!);
  await mkdir(dataDir, { recursive: true });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await launch(weed, dataDir, madeDir, opts);
      } catch (err) {
        if (!(err instanceof PortTaken) || attempt >= PORT_ATTEMPTS) throw err;
      }
    }
  } catch (err) {
    if (madeDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

async function launch(weed: string, dataDir: string, madeDir: boolean, opts: S3ServerOptions): Promise<S3Server> {
  // Every port is chosen here: weed's defaults are fixed numbers (9333, 8333, ...) that a second
  // server would collide on, and its default gRPC port, the HTTP port plus 10000, can be past
  // 65535 for a port from the ephemeral range.
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc, admin, adminGrpc] = (await freePorts(
    HOST,
    10,
  )) as [number, number, number, number, number, number, number, number, number, number];
  const accessKeyId = `torimatome${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  // `weed mini` rather than `weed server -s3`: the same services in one process, but tuned for
  // a single machine. `weed server` holds every write for about 8 s after a fresh start (its
  // filer waits for peers that do not exist before it forms the lock ring that S3 writes take)
  // and needs 15 s to stop (its volume server goes first, and the filer's last flush then waits
  // for a volume in vain); mini takes writes about a second after it answers, and stops in half a second.
  const args = [
    '-logtostderr=true',
    'mini',
    `-ip=${HOST}`,
    `-ip.bind=${HOST}`,
    `-dir=${dataDir}`,
    `-master.port=${master}`,
    `-master.port.grpc=${masterGrpc}`,
    // Volumes are files of up to this size (the least mini takes), created several at a time: mini
    // would otherwise size them to the free disk space, up to 1 GB each.
    '-master.volumeSizeLimitMB=64',
    // Otherwise the master reports to SeaweedFS's telemetry host, which a test has no business calling.
    '-master.telemetry=false',
    `-volume.port=${volume}`,
    `-volume.port.grpc=${volumeGrpc}`,
    // The volume server would wait a second after its last heartbeat before it exits.
    '-volume.preStopSeconds=0',
    `-filer.port=${filer}`,
    `-filer.port.grpc=${filerGrpc}`,
    `-filer.localSocket=${join(dataDir, 'filer.sock')}`,
    `-s3.port=${s3}`,
    `-s3.port.grpc=${s3Grpc}`,
    `-s3.localSocket=${join(dataDir, 's3.sock')}`,
    // As on S3 itself, a PUT into a bucket nobody created fails instead of creating it.
    '-s3.autoCreateBucket=false',
    // The Iceberg and Lance catalogs would listen on fixed ports of their own.
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    '-webdav=false',
    // The admin server runs even without its UI (it drives mini's maintenance worker); its
    // second, "legacy" pair of ports is fixed, so it is turned off.
    '-admin.ui=false',
    `-admin.port=${admin}`,
    `-admin.port.grpc=${adminGrpc}`,
    '-admin.port.legacy=0',
  ];

  // weed reads master.toml, security.toml and the like from its working folder and from
  // ~/.seaweedfs: the data folder, as both, has none.
  const child = spawn(weed, args, {
    cwd: dataDir,
    env: {
      ...withoutWeedSettings(process.env),
      HOME: dataDir,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnExit(child);
  const { exited, exitReason } = watchExit(child);
  // weed puts its gRPC sockets in /tmp, whatever TMPDIR says, and removes them only when it stops
  // cleanly, not when it is killed or crashes.
  const grpcSockets = Object.entries({ master: masterGrpc, volume: volumeGrpc, filer: filerGrpc, s3: s3Grpc, admin: adminGrpc }).map(
    ([service, port]) => `/tmp/seaweedfs-${service}-grpc-${port}.sock`,
  );
  const gone = exited.then(() => Promise.all(grpcSockets.map((socket) => rm(socket, { force: true }))));
  let stopping: Promise<void> | undefined;
  const lastStdout = followLines(child.stdout, 10);
  // weed logs every step at info level (glog's "I1207 12:56:11.945932 ..." lines); passed on
  // are its warnings and errors, and whatever it says outside glog, as when it crashes.
  const lastStderr = followLines(child.stderr, 30, (line) => {
    if (!stopping && !/^I\d{4} /.test(line)) opts.log?.(line);
  });
  const lastOutput = (): string => [...lastStdout(), ...lastStderr()].join('\n') || '(it printed nothing)';

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (exitReason() === undefined) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(kill);
      }
      await gone;
      if (madeDir) await rm(dataDir, { recursive: true, force: true });
    })());

  const endpoint = `http://${HOST}:${s3}`;
  const timeoutMs = opts.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await answers(endpoint)) break;
    if (exitReason() !== undefined) {
      const output = lastOutput();
      const message = `SeaweedFS (${weed}) ended (${exitReason()}) before its S3 gateway answered on ${endpoint}. Its last output:\n${output}`;
      throw /address already in use|is not available on/i.test(output) ? new PortTaken(message) : new Error(message);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `SeaweedFS (${weed}) did not answer on ${endpoint} within ${timeoutMs / 1000} s. Its last output:\n${lastOutput()}`,
      );
    }
    await sleep(200);
  }

  return { endpoint, accessKeyId, secretAccessKey, region: REGION, dataDir, pid: child.pid!, stop };
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    await (await fetch(endpoint, { signal: AbortSignal.timeout(2_000) })).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/**
 * weed takes settings from WEED_* variables, and S3 identities from AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY: the server we start must be shaped by our flags and our key pair alone,
 * not by whatever a developer's shell holds.
 */
function withoutWeedSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('WEED_') && !name.startsWith('AWS_')));
}
