import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { DivisionDirectory } from '../domain/division-directory';
import { Plan, serializePlan } from '../domain/plan';
import { type ObjectStore, untilWritten } from './object-store';

/**
 * The plan master and the division directory in use, kept in the run store under `plan/`. A
 * store without them starts from the ones shipped in `seeds/`.
 */
export const SEEDS_DIR = resolve(__dirname, '..', 'seeds');
const SEED_PLAN = join(SEEDS_DIR, 'plan.json');
const SEED_DIRECTORY = join(SEEDS_DIR, 'divisions.json');

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TORIMATOME_DATA_DIR || 'torimatome-data');
}

/** The keys of the master in use in the run store; a store without them starts from `seeds/`. */
export const PLAN_KEY = 'plan/plan.json';
export const DIRECTORY_KEY = 'plan/divisions.json';

/** A master file as read: its version in the store (undefined for the shipped seed) and where it came from. */
export interface MasterRead {
  version: string | undefined;
  source: string;
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
  return parseJsonText(text, schema, what, path);
}

export function parseJsonText<T extends z.ZodType>(text: string, schema: T, what: string, where: string): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${what}（${where}）が JSON として読めません: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(全体)'}: ${i.message}`).join('\n');
    throw new UserError(`${what}（${where}）の内容が正しくありません:\n${issues}`);
  }
  return parsed.data;
}

async function readMaster<T extends z.ZodType>(store: ObjectStore, key: string, seed: string, schema: T, what: string): Promise<{ value: z.infer<T> } & MasterRead> {
  const found = await store.get(key);
  if (!found) return { value: await readJsonFile(seed, schema, what), version: undefined, source: seed };
  const source = `${store.location}: ${key}`;
  return { value: parseJsonText(found.data.toString('utf8'), schema, what, source), version: found.version, source };
}

/** The plan master in use. */
export async function loadPlan(store: ObjectStore): Promise<{ plan: Plan } & MasterRead> {
  const { value, ...read } = await readMaster(store, PLAN_KEY, SEED_PLAN, Plan, '計画マスタ');
  return { plan: value, ...read };
}

/** The division directory in use. */
export async function loadDirectory(store: ObjectStore): Promise<{ directory: DivisionDirectory } & MasterRead> {
  const { value, ...read } = await readMaster(store, DIRECTORY_KEY, SEED_DIRECTORY, DivisionDirectory, '課の名簿');
  return { directory: value, ...read };
}

/**
 * Writes the plan master over the version read (undefined: over the seed, where none is kept
 * yet). Another writer in between (a second worker closing a cycle, the CLI importing) makes it
 * throw `StaleVersion` instead of losing that writer's change.
 */
export async function savePlan(store: ObjectStore, plan: Plan, over: string | undefined): Promise<void> {
  await store.put(PLAN_KEY, serializePlan(plan), { ifVersion: over });
}

export async function saveDirectory(store: ObjectStore, directory: DivisionDirectory, over: string | undefined): Promise<void> {
  await store.put(DIRECTORY_KEY, `${JSON.stringify(directory, null, 2)}\n`, { ifVersion: over });
}

/** Changes the plan master in use from what it is now, reading it again when another writer came first. */
export async function updatePlan(store: ObjectStore, change: (current: Plan) => Plan): Promise<Plan> {
  return untilWritten(async () => {
    const { plan, version } = await loadPlan(store);
    const next = change(plan);
    await savePlan(store, next, version);
    return next;
  });
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export async function writeFileAtomic(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

/** A plan master written to a file of the user's, outside the run store. */
export async function savePlanFile(path: string, plan: Plan): Promise<void> {
  await writeFileAtomic(path, serializePlan(plan));
}
