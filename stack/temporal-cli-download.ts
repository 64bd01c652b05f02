import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rename, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { z } from 'zod';
import { followLines } from './output-lines';

/** Where the Temporal SDKs get their dev server from. */
export const SDK_DOWNLOAD_BASE_URL = 'https://temporal.download';

/** Whether a TCP connection to host:port succeeds within `timeoutMs` (DNS included). */
export function hostAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (answered: boolean): void => {
      socket.destroy();
      resolve(answered);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

// What the host answers about an archive: the same question and the same answer as the SDK's
// own ephemeral-server download (sdk-core, ephemeral_server/mod.rs, get_or_download).
const DownloadInfo = z.object({
  archiveUrl: z.url(),
  fileToExtract: z
    .string()
    .min(1)
    .refine((p) => !isAbsolute(p) && !normalize(p).startsWith('..'), 'must be a path inside the archive'),
});

/**
 * Downloads the Temporal CLI `version` (e.g. v1.5.1) the way @temporalio/testing does, and puts
 * it at `dest` only once it is complete. Asks for a .tar.gz and unpacks it with the system's
 * tar, which every Linux and macOS machine has.
 */
export async function downloadTemporalCli(opts: {
  version: string;
  dest: string;
  log: (line: string) => void;
  baseUrl?: string;
}): Promise<void> {
  const infoUrl = new URL(`/cli/${opts.version}`, opts.baseUrl ?? SDK_DOWNLOAD_BASE_URL);
  infoUrl.search = new URLSearchParams({ arch: goArch(), platform: goPlatform(), format: 'tar.gz' }).toString();
  const infoResponse = await fetch(infoUrl, { signal: AbortSignal.timeout(15_000) });
  if (!infoResponse.ok) throw new Error(`${infoUrl} answered ${infoResponse.status} ${infoResponse.statusText}`);
  const info = DownloadInfo.parse(await infoResponse.json());
  if (!new URL(info.archiveUrl).pathname.endsWith('.tar.gz')) {
    throw new Error(`${infoUrl} offered ${info.archiveUrl}, which is not a .tar.gz`);
  }

  opts.log(`Downloading the Temporal CLI ${opts.version} from ${info.archiveUrl} ...`);
  const archive = await fetch(info.archiveUrl, { signal: AbortSignal.timeout(10 * 60_000) });
  if (!archive.ok || !archive.body) throw new Error(`${info.archiveUrl} answered ${archive.status} ${archive.statusText}`);

  const workDir = await mkdtemp(join(dirname(opts.dest), '.download-'));
  try {
    const tar = spawn('tar', ['-xzf', '-', '-C', workDir, info.fileToExtract], { stdio: ['pipe', 'ignore', 'pipe'] });
    const lastLines = followLines(tar.stderr, 10);
    const exited = new Promise<number | null>((resolve, reject) => {
      tar.once('error', reject);
      tar.once('close', resolve);
    });
    const unpacking = Promise.all([pipeline(Readable.fromWeb(archive.body as WebReadableStream), tar.stdin), exited]);
    const failure = await unpacking.then(
      ([, exitCode]) => (exitCode === 0 ? undefined : `exit code ${exitCode}`),
      (err: Error) => err.message,
    );
    if (failure) throw new Error(`tar could not unpack ${info.archiveUrl} (${failure}):\n${lastLines().join('\n')}`);
    const unpacked = join(workDir, info.fileToExtract);
    await chmod(unpacked, 0o755);
    await rename(unpacked, opts.dest);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function goPlatform(): string {
  if (process.platform === 'linux' || process.platform === 'darwin') return process.platform;
  throw new Error(`no Temporal CLI download for platform ${process.platform}`);
}

function goArch(): string {
  if (process.arch === 'x64') return 'amd64';
  if (process.arch === 'arm64') return 'arm64';
  throw new Error(`no Temporal CLI download for architecture ${process.arch}`);
}
