import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

describe('the workflow bundle', () => {
  // Every workflow instance evaluates the bundle's modules afresh: a schema library there cost
  // several milliseconds of worker CPU on each division's every task (issue 12).
  it('holds no zod and no other validation or file library, only the workflows and the SDK', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: join(__dirname, '..', 'workflows', 'index.ts'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never });
    const packages = new Set([...code.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1]));
    // long, ms and nexus-rpc are the SDK's own.
    expect([...packages].filter((p) => !p!.startsWith('@temporalio/') && !['long', 'ms', 'nexus-rpc'].includes(p!)).sort()).toEqual([]);
  }, 60_000);
});
