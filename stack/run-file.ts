import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeFileAtomic } from '../store/master-files';
import { isProcessAlive } from './process-alive';

/**
 * Where the running stack can be reached, so that the CLI and the worker started in another
 * terminal find the dev server and the mail sink that `torimatome dev` started on free ports.
 */
export const RunInfo = z.object({
  pid: z.number().int().positive(),
  startedAt: z.iso.datetime({ offset: true }),
  dataDir: z.string().min(1),
  temporal: z.object({
    address: z.string().min(1),
    namespace: z.string().min(1),
    uiUrl: z.url().optional(),
  }),
  smtp: z.object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
  }),
  /** The division pages and the reform office's page. */
  web: z.object({ url: z.url() }).optional(),
  /** The SMTP listener that takes divisions' mail replies. */
  inboundMail: z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }).optional(),
});
export type RunInfo = z.infer<typeof RunInfo>;

export function runFilePath(dataDir: string): string {
  return join(dataDir, 'run.json');
}

export async function writeRunInfo(dataDir: string, info: RunInfo): Promise<void> {
  await writeFileAtomic(runFilePath(dataDir), `${JSON.stringify(RunInfo.parse(info), null, 2)}\n`);
}

/**
 * The running stack, or undefined when none is recorded or the process that recorded it is
 * gone: a stack that was killed cannot remove its file, and its addresses are dead.
 */
export async function readRunInfo(dataDir: string): Promise<RunInfo | undefined> {
  const path = runFilePath(dataDir);
  if (!existsSync(path)) return undefined;
  const info = await readJsonFile(path, RunInfo, '実行中の環境の情報');
  return isProcessAlive(info.pid) ? info : undefined;
}

export async function removeRunInfo(dataDir: string): Promise<void> {
  await rm(runFilePath(dataDir), { force: true });
}
