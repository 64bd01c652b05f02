import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';
import { resolveTemporalCli } from '../../stack/temporal-cli';

/**
 * Histories of workflows that ran on a real server, kept as fixtures in the form of
 * `temporal workflow show -o json`, so that every later version of the workflow code is
 * replayed against them.
 */
export const HISTORIES_DIR = join(__dirname, '..', 'fixtures', 'histories');

/**
 * The folder fresh recordings go to. Raise it when the workflows change, so that the histories
 * of every version that shipped stay and keep being replayed.
 */
export const HISTORY_VERSION = 'v9';

/** Whether this run should write fresh fixtures (RECORD_HISTORIES=1). */
export const recordingHistories = process.env.RECORD_HISTORIES === '1';

/** Writes each workflow's history, under the current version and the scenario that ran it. */
export async function recordHistories(server: { address: string; namespace: string }, scenario: string, workflowIds: readonly string[]): Promise<void> {
  const dir = join(HISTORIES_DIR, HISTORY_VERSION, scenario);
  mkdirSync(dir, { recursive: true });
  const cli = await resolveTemporalCli();
  for (const id of workflowIds) {
    const { stdout } = await promisify(execFile)(cli, ['workflow', 'show', '--workflow-id', id, '--output', 'json', '--address', server.address, '--namespace', server.namespace], {
      maxBuffer: 64 * 1024 * 1024,
    });
    writeFileSync(join(dir, `${id}.json`), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
  }
}

export function recordedHistories(): Array<{ workflowId: string; file: string; history: History }> {
  return readdirSync(HISTORIES_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ workflowId: f.replace(/^.*\//, '').replace(/\.json$/, ''), file: f, history: historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, f), 'utf8'))) }));
}
