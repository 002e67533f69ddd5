import { defineConfig } from 'vitest/config';
import { CONDITION_MS } from './test/helpers/bounds.ts';
import LongestFirst from './test/setup/sequencer.ts';
import { TEST_ENV } from './test/helpers/env.ts';

/**
 * Time bounds, sized for a loaded 2-core machine (CI shares one with other work; `npm test` was
 * checked with scripts/cpu-burner.mjs keeping both cores busy, on a machine that other test runs
 * kept at load averages of 20-35). They only catch a hang: no test waits for a time to pass, every
 * wait is on a condition (job state, row present, element visible, server answer) and ends as soon
 * as it holds, so a slow machine makes the suite slower, never red.
 *
 * - one condition: expect.poll and every Playwright action or wait 120 s (CONDITION_MS in
 *   test/helpers/bounds.ts, which also bounds a job, 480 s, and a child process's start, 300 s);
 * - one test 600 s: a few conditions; long console walks are split into steps (one `it` each) so
 *   that no single test holds many;
 * - one setup 900 s: it may start a server with the demo world, a browser and child processes, or
 *   load a 100,000-row file.
 * A test file does not lower these bounds for one test, hook or wait (smaller per-file numbers are
 * what timed out on busy machines); it may raise them (test/api-fuzz.test.ts: 900 s per test).
 * Typical durations of the heaviest files are in README.md ("Testing").
 */

/**
 * The heaviest files: 50,000-row and larger loads, 40 MB+ uploads, drills with child processes, and the console in
 * Chromium. `PDX_TEST_QUICK=1 npm test` leaves them out for a quick local run; plain `npm test` (and
 * so CI, .ci/run) runs everything. README.md ("Testing") lists them with their typical durations.
 */
export const HEAVY = [
  'test/ingest-atomic.test.ts',
  'test/ingest-jobs.test.ts',
  'test/ingest-memory.test.ts',
  'test/ingest-upload-memory.test.ts',
  'test/exchange-kill.test.ts',
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
    // Child processes (servers, CLIs, workers) read their configuration from process.env.
    env: { ...TEST_ENV },
    testTimeout: 600_000,
    hookTimeout: 900_000,
    pool: 'forks',
    // Files share their worker's module cache instead of importing pdx afresh each (import time went
    // from 155 s to 25 s over src/modules' 51 files; that run took 133 s against 308 s isolated).
    // Every test builds its own app and database and closes them, so nothing else carries over.
    isolate: false,
    // Three files at a time on a 2-core machine: much of a file's time is spent waiting (a child
    // process starting, Chromium drawing, PostgreSQL syncing), so a third worker fills the cores.
    // Measured on 2026-12-03: the whole suite took 727 s with three workers against 977 s with two.
    maxWorkers: 3,
    // Longest files first (test/setup/sequencer.ts), also on a clean clone without vitest's timings.
    sequence: { sequencer: LongestFirst },
    reporters: ['default'],
    // exceljs deletes and re-reads its own temp files (tmp-<pid>-…) of an abandoned workbook read when
    // a test worker exits; that teardown race is not a pdx failure. Every other unhandled error fails
    // the run. See docs/performance.md ("known issues") for the product side.
    onUnhandledError(error) {
      const e = error as { code?: string; path?: string };
      return !(e.code === 'ENOENT' && /\/tmp-\d+-[A-Za-z0-9]+$/.test(e.path ?? ''));
    },
    expect: { poll: { timeout: CONDITION_MS, interval: 100 } },
  },
});
