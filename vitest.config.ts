import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/setup/postgres.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    // exceljs deletes and re-reads its own temp files (tmp-<pid>-…) of an abandoned workbook read when
    // a test worker exits; that teardown race is not a pdx failure. Every other unhandled error fails
    // the run. See docs/performance.md ("known issues") for the product side.
    onUnhandledError(error) {
      const e = error as { code?: string; path?: string };
      return !(e.code === 'ENOENT' && /\/tmp-\d+-[A-Za-z0-9]+$/.test(e.path ?? ''));
    },
    // Browser and job assertions poll; a loaded 2-core CI machine needs more than the 1 s default.
    expect: { poll: { timeout: 15_000, interval: 100 } },
  },
});
