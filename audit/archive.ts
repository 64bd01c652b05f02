import { sign, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { readRef, sha256 } from '../store/file-store';
import { writeFileAtomic } from '../store/master-files';
import type { FileRef } from '../workflows/definitions';
import { decodePayloads, eachCycleHistory, HISTORIES_FOLDER, type WorkflowHistory } from './histories';
import { keyFingerprint } from './signing-key';
import { openStore } from '../store/open-store';

/**
 * A cycle's archive: every workflow history (as `temporal workflow show -o json` writes it),
 * every file those histories reference (sheets sent, returns received, the consolidated table)
 * under the path they had in the data directory, and a manifest of sha256 hashes signed with
 * the reform office's Ed25519 key. It is enough on its own to replay the cycle and read its
 * trail after Temporal has forgotten it.
 */

export const MANIFEST = 'manifest.json';
export const SIGNATURE = 'manifest.sig';
export const FILES_FOLDER = 'files';
const FORMAT = 'torimatome-audit-archive/1';

export interface ManifestEntry {
  path: string;
  sha256: string;
  bytes: number;
}

export interface Manifest {
  format: typeof FORMAT;
  cycleId: string;
  createdAt: string;
  /** Which key signed it; the auditor checks against the public key they hold. */
  signedBy: string;
  entries: ManifestEntry[];
}

export function defaultArchiveDir(dataDir: string, cycleId: string): string {
  return join(dataDir, 'archive', cycleId);
}

/** Adds every file reference in one history's inputs, results, updates and signals to `found`, keyed by path and hash. */
function addReferencedFiles(found: Map<string, FileRef>, { history }: WorkflowHistory): void {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== 'object') return;
    const v = value as Record<string, unknown>;
    if (typeof v.path === 'string' && typeof v.sha256 === 'string' && /^[0-9a-f]{64}$/.test(v.sha256) && typeof v.bytes === 'number') {
      found.set(`${v.path}\0${v.sha256}`, { path: v.path, sha256: v.sha256, bytes: v.bytes });
      return;
    }
    Object.values(v).forEach(visit);
  };
  const payloadLists = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(payloadLists);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (Array.isArray(n.payloads)) {
      visit(decodePayloads(n as { payloads: unknown[] }));
      return;
    }
    Object.values(n).forEach(payloadLists);
  };
  payloadLists(history.events);
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(root, path)));
    else out.push(relative(root, path).split(sep).join('/'));
  }
  return out.sort();
}

/** The manifest of a folder as it is now: every file but the manifest and its signature. */
export async function manifestEntries(dir: string): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  for (const path of await listFiles(dir)) {
    if (path === MANIFEST || path === SIGNATURE) continue;
    const data = await readFile(join(dir, path));
    entries.push({ path, sha256: sha256(data), bytes: data.length });
  }
  return entries;
}

export function isArchive(dir: string): boolean {
  return existsSync(join(dir, MANIFEST));
}

export interface ArchiveOptions {
  dataDir: string;
  cycleId: string;
  signingKey: KeyObject;
  /** Default: `<data dir>/archive/<cycle id>`. */
  outDir?: string;
  /** Called as each history and file is written, to show progress on a large cycle; the total is known once the histories are in. */
  progress?: (done: number, total: number | undefined) => void;
}

/**
 * Archives a cycle whose workflows have all ended. The archive is built in a folder beside its
 * destination and moved into place whole, so no half-written archive is ever seen; an archive
 * already there is kept (an archiver retried after a crash finds its own work done).
 */
export async function archiveCycle(client: Client, opts: ArchiveOptions): Promise<{ dir: string; manifest: Manifest; created: boolean }> {
  const dir = resolve(opts.outDir ?? defaultArchiveDir(opts.dataDir, opts.cycleId));
  if (isArchive(dir)) return { dir, manifest: JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest, created: false };
  const building = `${dir}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  // Each history is written as it arrives and only its file references are kept.
  const found = new Map<string, FileRef>();
  const running: string[] = [];
  let done = 0;
  for await (const workflow of eachCycleHistory(client, opts.cycleId)) {
    if ((await client.workflow.getHandle(workflow.workflowId).describe()).status.name === 'RUNNING') running.push(workflow.workflowId);
    if (running.length > 0) continue;
    await writeFileAtomic(join(building, HISTORIES_FOLDER, `${workflow.workflowId}.json`), `${historyToJSON(workflow.history)}\n`);
    addReferencedFiles(found, workflow);
    opts.progress?.(++done, undefined);
  }
  if (running.length > 0) {
    await rm(building, { recursive: true, force: true });
    throw new CycleNotFinished(opts.cycleId, running);
  }
  const files = [...found.values()].sort((a, b) => a.path.localeCompare(b.path));
  const total = done + files.length;
  for (const ref of files) {
    // readRef refuses a file that changed since the workflow recorded its hash.
    await writeFileAtomic(join(building, FILES_FOLDER, ref.path), await readRef(openStore(opts.dataDir), ref));
    opts.progress?.(++done, total);
  }
  const manifest: Manifest = {
    format: FORMAT,
    cycleId: opts.cycleId,
    createdAt: new Date().toISOString(),
    signedBy: keyFingerprint(opts.signingKey),
    entries: await manifestEntries(building),
  };
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  await writeFileAtomic(join(building, MANIFEST), manifestText);
  await writeFileAtomic(join(building, SIGNATURE), `${sign(null, Buffer.from(manifestText), opts.signingKey).toString('base64')}\n`);
  await mkdir(dirname(dir), { recursive: true });
  await rename(building, dir);
  return { dir, manifest, created: true };
}

export class CycleNotFinished extends Error {
  constructor(
    readonly cycleId: string,
    readonly running: string[],
  ) {
    super(`${cycleId}: ${running.length} workflow(s) still running (${running.slice(0, 3).join(', ')}${running.length > 3 ? ', …' : ''}); a cycle is archived once all have ended`);
  }
}

/** Whether a path is a folder (an archive given on the command line, rather than a cycle id). */
export async function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
