/**
 * Upper bounds of the waits in tests, sized for a loaded 2-core machine (see vitest.config.ts).
 * Every wait ends as soon as its condition holds; these only turn a hang into a clear failure, so
 * they are far above what an idle machine needs. Measured on the shared 2-core machine at load
 * averages of 20-35 (issue 25): a console page took over 60 s to load, a 40 MB load 190 s, a child
 * `pdx start` over 60 s to listen.
 */

/** One condition: an alert raised, a row present, a page element shown (as expect.poll). */
export const CONDITION_MS = 120_000;

/** A job (a load, an export, a key rotation) to finish. */
export const JOB_WAIT_MS = 480_000;

/** A child `pdx` process to start listening: Node, tsx compiling src/ and the database opened. */
export const PROCESS_START_MS = 300_000;
