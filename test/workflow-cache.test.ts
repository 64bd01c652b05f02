import { describe, expect, it } from 'vitest';
import { cachedWorkflowsFor, cgroupMemoryLimit, defaultWorkerMemoryMib, MAX_CACHED_WORKFLOWS, MIN_CACHED_WORKFLOWS } from '../worker/workflow-cache';
import { workerSettings } from '../worker/settings';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('the workflow cache, sized to the memory the worker may use', () => {
  it('holds a 2,000-respondent season in 2 GB, a part of it in 1 GB, and never less than the floor', () => {
    expect(cachedWorkflowsFor(2048)).toBeGreaterThan(2000);
    const inOneGb = cachedWorkflowsFor(1024);
    expect(inOneGb).toBeGreaterThan(MIN_CACHED_WORKFLOWS);
    expect(inOneGb).toBeLessThan(500);
    expect(cachedWorkflowsFor(512)).toBe(MIN_CACHED_WORKFLOWS);
    expect(cachedWorkflowsFor(1024 * 1024)).toBe(MAX_CACHED_WORKFLOWS);
  });

  it("takes a container's limit (cgroup v2, then v1) and ignores a cgroup without one", () => {
    const files = (content: Record<string, string>) => (path: string) => content[path];
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': `${GiB}\n` }))).toBe(GiB);
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': 'max\n' }))).toBeUndefined();
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': `${2 * GiB}\n` }))).toBe(2 * GiB);
    expect(cgroupMemoryLimit(files({}))).toBeUndefined();
  });

  it('defaults to the limit, else half the machine, and never more than the machine', () => {
    expect(defaultWorkerMemoryMib(GiB, 8 * GiB)).toBe(1024);
    expect(defaultWorkerMemoryMib(undefined, 8 * GiB)).toBe(4096);
    // cgroup v1 tells "no limit" with a number near 2^63.
    expect(defaultWorkerMemoryMib(2 ** 63, 8 * GiB)).toBe(8192);
  });

  it('reads TORIMATOME_WORKER_MEMORY_MB and refuses what is not a whole number', () => {
    expect(workerSettings({ TORIMATOME_WORKER_MEMORY_MB: '1024' }).memoryMib).toBe(1024);
    expect(workerSettings({}).memoryMib).toBeUndefined();
    expect(() => workerSettings({ TORIMATOME_WORKER_MEMORY_MB: '1GB' })).toThrow(/TORIMATOME_WORKER_MEMORY_MB must be a whole number/);
  });
});
