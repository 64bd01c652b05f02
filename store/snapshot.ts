import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { assignItems, DivisionAssignment, roleOf } from '../domain/cycle';
import { DivisionDirectory } from '../domain/division-directory';
import { Plan, periodYears } from '../domain/plan';
import { cycleKeys } from './file-store';
import { loadDirectory, loadPlan } from './master-files';
import { type ObjectStore, untilWritten } from './object-store';

/**
 * What a cycle was launched from: the plan master and directory as they were, and who answers
 * what. Kept with the cycle so that a later edit of the master cannot change a running cycle.
 */
export const Reassignment = z.object({ no: z.number().int(), from: z.string(), to: z.string(), by: z.string(), at: z.string() });
export type Reassignment = z.infer<typeof Reassignment>;

export const CycleSnapshot = z.object({
  cycleId: z.string(),
  year: z.string(),
  plan: Plan,
  directory: DivisionDirectory,
  assignments: z.array(DivisionAssignment),
  /** Items the reform office moved to another division during the cycle, in order. */
  reassignments: z.array(Reassignment).default([]),
});
export type CycleSnapshot = z.infer<typeof CycleSnapshot>;

/** A launch the plan cannot support; retrying would not help. */
function refuse(message: string): never {
  throw ApplicationFailure.create({ message, type: 'CycleRefused', nonRetryable: true });
}

export async function takeSnapshot(store: ObjectStore, cycleId: string, municipalityId: string, year: string): Promise<CycleSnapshot> {
  // A retry after a crash finds the snapshot it already took and keeps it.
  if (await store.version(cycleKeys(cycleId).snapshot)) return loadSnapshot(store, cycleId);
  const { plan } = await loadPlan(store);
  const { directory } = await loadDirectory(store);
  if (plan.municipality.id !== municipalityId) refuse(`計画マスタは ${plan.municipality.id} のものです（照会は ${municipalityId}）`);
  const period = periodYears(plan.period);
  if (!period.includes(year)) refuse(`${year} は計画期間（${plan.period.from}〜${plan.period.to}）の外です`);
  const { assignments, problems } = assignItems(plan, directory);
  if (problems.length > 0) refuse(`照会を始められません:\n${problems.join('\n')}`);
  if (!assignments.some((a) => roleOf(a) === 'answer')) refuse('回答する課がありません');
  const snapshot: CycleSnapshot = { cycleId, year, plan, directory, assignments, reassignments: [] };
  // Two workers launching at once (one thought dead) keep the first snapshot taken.
  const { written } = await store.put(cycleKeys(cycleId).snapshot, `${JSON.stringify(snapshot)}\n`, { ifAbsent: true });
  return written ? snapshot : loadSnapshot(store, cycleId);
}

/** Whether a cycle was launched in this store (each launch takes its snapshot first). */
export async function hasSnapshot(store: ObjectStore, cycleId: string): Promise<boolean> {
  return (await store.version(cycleKeys(cycleId).snapshot)) !== undefined;
}

// Thousands of sheets are built from one snapshot: it is parsed once per version, not once per
// division. Another process (a second worker, the CLI moving an item) may write a new version at
// any time, so each read asks the store for the version first.
const cache = new Map<string, { version: string; read: Promise<{ version: string; snapshot: CycleSnapshot }> }>();

export async function loadSnapshot(store: ObjectStore, cycleId: string): Promise<CycleSnapshot> {
  return (await readSnapshot(store, cycleId)).snapshot;
}

/** The snapshot and the version it was read at (which a move is written over). */
async function readSnapshot(store: ObjectStore, cycleId: string): Promise<{ version: string; snapshot: CycleSnapshot }> {
  const key = cycleKeys(cycleId).snapshot;
  const id = `${store.location}|${key}`;
  const never = () => new Error(`${cycleId} has no snapshot in the ${store.location}: it was never launched there`);
  const version = await store.version(key);
  if (version === undefined) throw never();
  const cached = cache.get(id);
  if (cached?.version === version) return cached.read;
  // Cached while it is read, so that a fan-out's first hundred sheets wait for one read.
  const read = store.get(key).then((found) => {
    if (!found) throw never();
    return { version: found.version, snapshot: CycleSnapshot.parse(JSON.parse(found.data.toString('utf8'))) };
  });
  read.catch(() => cache.delete(id));
  cache.set(id, { version, read });
  return read;
}

/**
 * Moves an item to another division for the rest of the cycle: the new division answers it,
 * the one that answered it before sees it read-only. Returns who answered it before; a retry
 * that finds the move already made changes nothing.
 */
export async function moveItem(store: ObjectStore, cycleId: string, move: Omit<Reassignment, 'from' | 'at'>): Promise<{ from: string; fromStillAnswers: boolean }> {
  // Written over the version read: a move made meanwhile by another process is read and kept.
  return untilWritten(async () => {
    const { version, snapshot } = await readSnapshot(store, cycleId);
    return moveIn(store, snapshot, version, move);
  });
}

async function moveIn(store: ObjectStore, snapshot: CycleSnapshot, version: string, move: Omit<Reassignment, 'from' | 'at'>): Promise<{ from: string; fromStillAnswers: boolean }> {
  const current = snapshot.assignments.find((a) => a.answers.includes(move.no));
  if (!current) refuse(`整理番号${move.no}はこの照会の項目ではありません`);
  if (!snapshot.directory.divisions.some((d) => d.id === move.to)) refuse(`課 ${move.to} は照会を始めたときの課の名簿にありません`);
  if (current.divisionId === move.to) {
    const earlier = [...snapshot.reassignments].reverse().find((r) => r.no === move.no && r.to === move.to);
    const from = earlier?.from ?? current.divisionId;
    return { from, fromStillAnswers: snapshot.assignments.some((a) => a.divisionId === from && a.answers.length > 0) };
  }
  const assignments = snapshot.assignments.map((a) => ({ ...a, answers: [...a.answers], readonly: [...a.readonly] }));
  let target = assignments.find((a) => a.divisionId === move.to);
  if (!target) assignments.push((target = { divisionId: move.to, answers: [], readonly: [] }));
  const source = assignments.find((a) => a.divisionId === current.divisionId)!;
  source.answers = source.answers.filter((no) => no !== move.no);
  source.readonly = [...source.readonly, move.no].sort((a, b) => a - b);
  target.answers = [...target.answers, move.no].sort((a, b) => a - b);
  target.readonly = target.readonly.filter((no) => no !== move.no);
  const next: CycleSnapshot = {
    ...snapshot,
    assignments,
    reassignments: [...snapshot.reassignments, { ...move, from: current.divisionId, at: new Date().toISOString() }],
  };
  await store.put(cycleKeys(snapshot.cycleId).snapshot, `${JSON.stringify(next)}\n`, { ifVersion: version });
  return { from: current.divisionId, fromStillAnswers: source.answers.length > 0 };
}
