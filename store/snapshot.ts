import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { assignItems, DivisionAssignment, roleOf } from '../domain/cycle';
import { DivisionDirectory } from '../domain/division-directory';
import { Plan, periodYears } from '../domain/plan';
import { loadDirectory, loadPlan, writeFileAtomic } from './master-files';
import { cycleFiles } from './file-store';

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

const snapshotPath = (dataDir: string, cycleId: string) => cycleFiles(dataDir, cycleId).snapshot;

/** A launch the plan cannot support; retrying would not help. */
function refuse(message: string): never {
  throw ApplicationFailure.create({ message, type: 'CycleRefused', nonRetryable: true });
}

export async function takeSnapshot(dataDir: string, cycleId: string, municipalityId: string, year: string): Promise<CycleSnapshot> {
  // A retry after a crash finds the snapshot it already took and keeps it.
  if (existsSync(snapshotPath(dataDir, cycleId))) return loadSnapshot(dataDir, cycleId);
  const { plan } = await loadPlan(dataDir);
  const { directory } = await loadDirectory(dataDir);
  if (plan.municipality.id !== municipalityId) refuse(`計画マスタは ${plan.municipality.id} のものです（照会は ${municipalityId}）`);
  const period = periodYears(plan.period);
  if (!period.includes(year)) refuse(`${year} は計画期間（${plan.period.from}〜${plan.period.to}）の外です`);
  const { assignments, problems } = assignItems(plan, directory);
  if (problems.length > 0) refuse(`照会を始められません:\n${problems.join('\n')}`);
  if (!assignments.some((a) => roleOf(a) === 'answer')) refuse('回答する課がありません');
  const snapshot: CycleSnapshot = { cycleId, year, plan, directory, assignments, reassignments: [] };
  await writeFileAtomic(snapshotPath(dataDir, cycleId), `${JSON.stringify(snapshot)}\n`);
  return snapshot;
}

// Thousands of sheets are built from one snapshot: it is parsed once per version, not once per
// division. Another process (a second worker, the CLI moving an item) may write a new version at
// any time; every write replaces the file, so a file of another inode, time or size is read anew.
const cache = new Map<string, { stamp: string; snapshot: Promise<CycleSnapshot> }>();

export async function loadSnapshot(dataDir: string, cycleId: string): Promise<CycleSnapshot> {
  const key = snapshotPath(dataDir, cycleId);
  const { ino, mtimeMs, size } = await stat(key);
  const stamp = `${ino}:${mtimeMs}:${size}`;
  const cached = cache.get(key);
  if (cached?.stamp === stamp) return cached.snapshot;
  const snapshot = readFile(key, 'utf8').then((text) => CycleSnapshot.parse(JSON.parse(text)));
  snapshot.catch(() => cache.delete(key));
  cache.set(key, { stamp, snapshot });
  return snapshot;
}

/**
 * Moves an item to another division for the rest of the cycle: the new division answers it,
 * the one that answered it before sees it read-only. Returns who answered it before; a retry
 * that finds the move already made changes nothing.
 */
export async function moveItem(dataDir: string, cycleId: string, move: Omit<Reassignment, 'from' | 'at'>): Promise<{ from: string; fromStillAnswers: boolean }> {
  const snapshot = await loadSnapshot(dataDir, cycleId);
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
  await writeFileAtomic(snapshotPath(dataDir, cycleId), `${JSON.stringify(next)}\n`);
  return { from: current.divisionId, fromStillAnswers: source.answers.length > 0 };
}
