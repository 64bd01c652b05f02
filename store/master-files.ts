import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { DivisionDirectory } from '../domain/division-directory';
import { Plan, serializePlan } from '../domain/plan';

/**
 * Where the plan master and the division directory in use live: `<data dir>/plan/`. A data
 * directory without them starts from the ones shipped in `seeds/`.
 */
export const SEEDS_DIR = resolve(__dirname, '..', 'seeds');
const SEED_PLAN = join(SEEDS_DIR, 'plan.json');
const SEED_DIRECTORY = join(SEEDS_DIR, 'divisions.json');

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TORIMATOME_DATA_DIR || 'torimatome-data');
}

export function planPath(dir: string): string {
  return join(dir, 'plan', 'plan.json');
}

export function directoryPath(dir: string): string {
  return join(dir, 'plan', 'divisions.json');
}

/** A file the user named or the service keeps could not be used; the message is Japanese. */
export class UserError extends Error {
  override name = 'UserError';
}

export async function readJsonFile<T extends z.ZodType>(path: string, schema: T, what: string): Promise<z.infer<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`${what}（${path}）が読めません: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${what}（${path}）が JSON として読めません: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(全体)'}: ${i.message}`).join('\n');
    throw new UserError(`${what}（${path}）の内容が正しくありません:\n${issues}`);
  }
  return parsed.data;
}

/** The plan master in use and the file it came from. */
export async function loadPlan(dir: string): Promise<{ plan: Plan; path: string }> {
  const path = existsSync(planPath(dir)) ? planPath(dir) : SEED_PLAN;
  return { plan: await readJsonFile(path, Plan, '計画マスタ'), path };
}

export async function loadDirectory(dir: string, explicit?: string): Promise<{ directory: DivisionDirectory; path: string }> {
  const path = explicit ?? (existsSync(directoryPath(dir)) ? directoryPath(dir) : SEED_DIRECTORY);
  return { directory: await readJsonFile(path, DivisionDirectory, '課の名簿'), path };
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export async function writeFileAtomic(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

export async function savePlan(path: string, plan: Plan): Promise<void> {
  await writeFileAtomic(path, serializePlan(plan));
}
