import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { recordedHistories } from './support/histories';

const workflowsPath = join(__dirname, '..', 'workflows', 'index.ts');

describe('recorded histories replay against the current workflow code', () => {
  const histories = recordedHistories();

  it('has histories of every workflow type that shipped', () => {
    const types = new Set(histories.map((h) => h.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name));
    expect([...types].sort()).toEqual(['archiveWorkflow', 'cycleWorkflow', 'divisionWorkflow']);
  });

  it('replays each without non-determinism', async () => {
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath, replayName: 'fixtures' }, histories.map(({ workflowId, history }) => ({ workflowId, history })))) {
      results.push({ workflowId: result.workflowId, error: result.error?.message });
    }
    expect(results).toEqual(histories.map((h) => ({ workflowId: h.workflowId, error: undefined })));
  }, 120_000);
});
