/**
 * The order test files start in (test/setup/sequencer.ts): longest first, by vitest's cached timings
 * or the typical times listed, the rest in vitest's own order (largest first).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TestSpecification, Vitest } from 'vitest/node';
import { describe, expect, it } from 'vitest';
import LongestFirst, { TYPICAL_SECONDS } from './setup/sequencer.ts';

const root = path.resolve('.');
const project = { name: '', config: { sequence: { groupOrder: 0 }, isolate: false } };
const spec = (file: string) => ({ project, moduleId: path.join(root, file) }) as unknown as TestSpecification;

/** A sequencer over a fake vitest: `cached` seconds per file from an earlier run, `sizes` in bytes. */
function sequencer(cached: Record<string, number>, sizes: Record<string, number>): LongestFirst {
  const cache = {
    getFileTestResults: (key: string) => {
      const s = cached[key.slice(1)];
      return s === undefined ? undefined : { duration: s * 1000, failed: false };
    },
    getFileStats: (key: string) => ({ size: sizes[key.slice(1)] ?? 0 }),
  };
  return new LongestFirst({ config: { root }, cache } as unknown as Vitest);
}

const order = async (s: LongestFirst, files: string[]) => (await s.sort(files.map(spec))).map((f) => path.relative(root, f.moduleId));

describe('test file order', () => {
  it('starts the listed long files first on a clean clone (no timings), the rest by size', async () => {
    const s = sequencer({}, { 'test/a.test.ts': 10, 'test/b.test.ts': 90_000, 'test/exchange-kill.test.ts': 5, 'test/api-fuzz.test.ts': 50_000 });
    expect(await order(s, ['test/a.test.ts', 'test/api-fuzz.test.ts', 'test/b.test.ts', 'test/exchange-kill.test.ts'])).toEqual([
      'test/exchange-kill.test.ts',
      'test/api-fuzz.test.ts',
      'test/b.test.ts',
      'test/a.test.ts',
    ]);
  });

  it('takes the larger of a cached timing and the listed one: a file that grew, or one cached short', async () => {
    const s = sequencer({ 'test/a.test.ts': 400, 'test/exchange-kill.test.ts': 3, 'test/b.test.ts': 1 }, {});
    expect(await order(s, ['test/b.test.ts', 'test/exchange-kill.test.ts', 'test/a.test.ts'])).toEqual([
      'test/a.test.ts',
      'test/exchange-kill.test.ts',
      'test/b.test.ts',
    ]);
  });

  it('lists only test files that exist', () => {
    for (const file of Object.keys(TYPICAL_SECONDS)) expect(fs.existsSync(file), file).toBe(true);
  });
});
