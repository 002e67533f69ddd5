/**
 * The order test files start in: longest first, so that the last files to start are short ones and
 * the three workers end together. Vitest's own order is that too once it has timings (its cache in
 * node_modules/.vite), but a clean clone (CI) has none, and vitest then starts the largest files
 * first, which put the longest console walk (then one 317 s file) among the last to start; a cache
 * from before a file grew does the same (the walk was cached at 63 s when it took 317 s).
 *
 * A file's expected time is the larger of its cached duration and TYPICAL_SECONDS below; files with
 * neither keep vitest's order by size. Update TYPICAL_SECONDS when a file becomes one of the longest
 * (or stops being one): it only orders the files, every file still runs.
 */
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds per file in a whole run of the suite (three workers, a clean clone on an idle machine,
 * 2026-12-05, the console asking for reduced motion: vitest's per-file times). Files under 20 s are
 * not listed.
 */
export const TYPICAL_SECONDS: Record<string, number> = {
  'test/exchange-kill.test.ts': 116,
  'test/api-fuzz.test.ts': 85,
  'test/browser/console-walk-zh.test.ts': 73,
  'test/browser/console-walk-en-2.test.ts': 65,
  'test/browser/journey.test.ts': 65,
  'test/browser/first-load-phone.test.ts': 64,
  'test/browser/console-walk-en-1.test.ts': 50,
  'test/ingest-atomic.test.ts': 50,
  'test/browser/open.test.ts': 48,
  'test/gateway-resilience.test.ts': 47,
  'test/ingest-upload-memory.test.ts': 41,
  'test/exchange.test.ts': 41,
  'test/ingest-memory.test.ts': 41,
  'test/browser/telemetry.test.ts': 40,
  'test/browser/sharing.test.ts': 37,
  'test/browser/duties-settings.test.ts': 35,
  'test/embedded-lock.test.ts': 35,
  'test/browser/exchange.test.ts': 34,
  'test/exchange-cdc.test.ts': 34,
  'test/shutdown.test.ts': 32,
  'test/share-enforcement.test.ts': 30,
  'test/demo-burst.test.ts': 28,
  'test/ingest-jobs.test.ts': 27,
  'test/browser/secops.test.ts': 25,
  'test/browser/objections.test.ts': 23,
  'src/modules/audit/audit.cli.test.ts': 23,
  'test/browser/console-shell.test.ts': 23,
  'test/browser/oidc.test.ts': 23,
  'test/share-security.test.ts': 22,
  'test/browser/sharing-extras.test.ts': 22,
  'test/browser/catalog.test.ts': 22,
  'test/browser/duties.test.ts': 21,
  'test/telemetry.test.ts': 20,
};

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const bySize = await super.sort(files); // vitest's order: the tie-break among files of no known time
    const rank = new Map(bySize.map((spec, i) => [spec, i]));
    const expected = (spec: TestSpecification): number => {
      const file = path.relative(this.ctx.config.root, spec.moduleId).split(path.sep).join('/');
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${file}`)?.duration ?? 0;
      return Math.max(cached / 1000, TYPICAL_SECONDS[file] ?? 0);
    };
    const seconds = new Map(files.map((spec) => [spec, expected(spec)]));
    return [...files].sort((a, b) => seconds.get(b)! - seconds.get(a)! || rank.get(a)! - rank.get(b)!);
  }
}
