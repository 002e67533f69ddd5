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
 * Seconds per file in whole runs of the suite (three workers; 2026-12-04, vitest's cache); for the
 * three parts of the console walk, their tests' time alone at load averages of 7-15 (README.md,
 * "Testing"). Files under 20 s are not listed.
 */
export const TYPICAL_SECONDS: Record<string, number> = {
  'test/exchange-kill.test.ts': 208,
  'test/api-fuzz.test.ts': 153,
  'test/ingest-atomic.test.ts': 130,
  'test/browser/journey.test.ts': 95,
  'test/exchange.test.ts': 82,
  'test/browser/console-walk-zh.test.ts': 80,
  'test/browser/console-walk-en-2.test.ts': 60,
  'test/browser/console-walk-en-1.test.ts': 60,
  'test/ingest-upload-memory.test.ts': 69,
  'test/embedded-lock.test.ts': 63,
  'test/browser/open.test.ts': 60,
  'test/browser/sharing.test.ts': 59,
  'src/modules/audit/audit.cli.test.ts': 57,
  'test/browser/secops.test.ts': 57,
  'test/gateway-resilience.test.ts': 54,
  'test/ingest-jobs.test.ts': 53,
  'test/push.test.ts': 52,
  'test/browser/sharing-extras.test.ts': 52,
  'test/browser/console-pages.test.ts': 48,
  'test/browser/oidc.test.ts': 47,
  'test/browser/first-load-phone.test.ts': 47,
  'test/ingest-memory.test.ts': 47,
  'test/browser/telemetry.test.ts': 46,
  'test/shutdown.test.ts': 40,
  'test/telemetry.test.ts': 39,
  'test/browser/catalog.test.ts': 38,
  'test/exchange-cdc.test.ts': 38,
  'test/browser/push.test.ts': 38,
  'test/protect-late-columns.test.ts': 36,
  'test/telemetry-mqtt.test.ts': 35,
  'test/demo-burst.test.ts': 35,
  'test/browser/demo-burst.test.ts': 33,
  'test/browser/duties-settings.test.ts': 33,
  'test/protect-at-rest.test.ts': 32,
  'test/browser/audit.test.ts': 31,
  'test/browser/sharing-redacted.test.ts': 31,
  'src/modules/classify/scan.test.ts': 31,
  'test/browser/gateway.test.ts': 29,
  'test/share-enforcement.test.ts': 28,
  'test/browser/signon.test.ts': 28,
  'test/secops-scenarios.test.ts': 27,
  'src/modules/audit/audit.service.test.ts': 27,
  'test/browser/evaluation.test.ts': 27,
  'test/browser/duties.test.ts': 26,
  'test/browser/exchange.test.ts': 25,
  'test/browser/console-shell.test.ts': 24,
  'test/browser/admin-changes.test.ts': 24,
  'test/migrate-processes.test.ts': 23,
  'test/open-routes.test.ts': 23,
  'test/browser/objections.test.ts': 21,
  'test/browser/classify.test.ts': 21,
  'test/demo-gateway.test.ts': 21,
  'test/share-security.test.ts': 20,
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
