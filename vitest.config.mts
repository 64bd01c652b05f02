import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    benchmark: { include: ['test/**/*.bench.ts'] },
    testTimeout: 30_000,
    reporters: ['default', './test/support/closing-line-reporter.ts'],
  },
});
