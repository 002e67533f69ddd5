/** The incremental rule of push subscriptions: when the rows since the last delivery may go alone. */
import { describe, expect, it } from 'vitest';
import { appendsOnly, currentVersion } from './push.service.ts';
import { insertBatches } from './connector.ts';

type V = Parameters<typeof appendsOnly>[0][number];
const v = (version: number, mode: V['mode'], state: V['state'] = 'active', source: Record<string, unknown> = {}): V => ({ version, mode, state, source });

describe('push: incremental rule', () => {
  it('the visible version is the greatest active one (failed and loading versions are not)', () => {
    expect(currentVersion([v(3, 'append', 'failed'), v(2, 'append'), v(1, 'replace')])).toBe(2);
    expect(currentVersion([v(1, 'replace', 'loading')])).toBeNull();
  });

  it('appends alone go incrementally; a replace, a correction or an upsert by key since the last delivery means the whole view', () => {
    expect(appendsOnly([v(3, 'append'), v(2, 'append'), v(1, 'replace')], 1)).toBe(true);
    expect(appendsOnly([v(2, 'append', 'failed'), v(1, 'replace')], 1)).toBe(true);
    // Versions up to the delivered one do not matter.
    expect(appendsOnly([v(3, 'append'), v(2, 'correct'), v(1, 'replace')], 2)).toBe(true);
    expect(appendsOnly([v(3, 'append'), v(2, 'correct'), v(1, 'replace')], 1)).toBe(false);
    expect(appendsOnly([v(3, 'replace'), v(2, 'replace', 'superseded')], 2)).toBe(false);
    expect(appendsOnly([v(2, 'append', 'active', { kind: 'database', key: 'id' }), v(1, 'append')], 1)).toBe(false);
  });

  it('INSERT statements stay under the bound-parameter limit, however wide the table', () => {
    const rows = Array.from({ length: 2500 }, (_, i) => [i]);
    expect([...insertBatches(rows, 1)].map((b) => b.length)).toEqual([1000, 1000, 500]);
    const wide = [...insertBatches(rows, 200)];
    expect(Math.max(...wide.map((b) => b.length)) * 200).toBeLessThanOrEqual(30_000);
    expect(wide.reduce((n, b) => n + b.length, 0)).toBe(2500);
  });
});
