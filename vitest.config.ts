import { defineConfig } from 'vitest/config';

/**
 * Time bounds, sized for a loaded 2-core machine (CI shares one with other work; `npm test` was
 * checked with scripts/cpu-burner.mjs keeping both cores busy). They only catch a hang: no test
 * waits for a time to pass, every wait is on a condition (job state, row present, element visible,
 * server answer) and ends as soon as it holds, so a slow machine makes the suite slower, never red.
 *
 * - expect.poll 60 s, and every Playwright action or wait 60 s (BROWSER_WAIT_MS in
 *   test/helpers/browser.ts): one condition.
 * - testTimeout 300 s: one test, i.e. a few conditions; long journeys are split into steps (one
 *   `it` each) so that no single test holds many.
 * - hookTimeout 600 s: a suite's setup, which may start a server with the demo world, a browser and
 *   child processes, or load a 100,000-row file.
 * Typical durations of the heaviest files are in README.md ("Testing").
 */
const POLL_MS = 60_000;

/**
 * The heaviest files: 100,000-row and 40 MB+ loads, drills with child processes, and the console in
 * Chromium. `PDX_TEST_QUICK=1 npm test` leaves them out for a quick local run; plain `npm test` (and
 * so CI, .ci/run) runs everything. README.md ("Testing") lists them with their typical durations.
 */
export const HEAVY = [
  'test/ingest-atomic.test.ts',
  'test/ingest-jobs.test.ts',
  'test/ingest-memory.test.ts',
  'test/ingest-upload-memory.test.ts',
  'test/share-processes.test.ts',
  'test/audit-concurrency.test.ts',
  'test/migrate-processes.test.ts',
  'test/browser/**',
];
const QUICK = process.env.PDX_TEST_QUICK === '1';
if (QUICK) console.log(`[pdx tests] PDX_TEST_QUICK=1: leaving out the heaviest files (${HEAVY.join(', ')})`);

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...(QUICK ? HEAVY : [])],
    globalSetup: ['test/setup/postgres.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
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
    expect: { poll: { timeout: POLL_MS, interval: 100 } },
  },
});
