import { describe, expect, it } from 'vitest';
import { mergeFrom } from './ingest.service.ts';

/** Replays many small appends onto a large first version, merging as a load would. */
function replay(base: number, loads: number, rowsPerLoad: number, correctionEvery = 0) {
  let tables = [{ mode: 'replace', rows: base }];
  let copied = 0;
  let most = 1;
  for (let i = 1; i <= loads; i++) {
    tables.push({ mode: correctionEvery && i % correctionEvery === 0 ? 'correct' : 'append', rows: rowsPerLoad });
    const from = mergeFrom(tables);
    if (from !== undefined) {
      const rows = tables.slice(from).reduce((n, t) => n + t.rows, 0);
      copied += rows;
      tables = [...tables.slice(0, from), { mode: 'append', rows }];
    }
    most = Math.max(most, tables.length);
  }
  return { copied, most, tables };
}

describe('merging version tables', () => {
  it('leaves up to eight tables alone', () => {
    expect(mergeFrom(Array.from({ length: 8 }, () => ({ mode: 'append', rows: 1 })))).toBeUndefined();
  });

  it('keeps a busy binding on at most eight tables, copying each row a few times rather than at every load', () => {
    const { copied, most, tables } = replay(1_000_000, 5000, 100);
    expect(most).toBeLessThanOrEqual(9);
    expect(tables.length).toBeLessThanOrEqual(8);
    // 500,000 rows loaded after the first version; a merge of everything at each load would copy billions.
    expect(copied).toBeLessThan(500_000 * 10);
    expect(tables[0]!.rows).toBe(1_000_000);
  });

  it('merges from the first table when a correction is among those merged (it hides rows of earlier tables)', () => {
    expect(mergeFrom([{ mode: 'replace', rows: 1000 }, ...Array.from({ length: 7 }, () => ({ mode: 'append', rows: 1 })), { mode: 'correct', rows: 1 }])).toBe(
      0,
    );
    const { tables } = replay(1000, 200, 5, 50);
    expect(tables.length).toBeLessThanOrEqual(8);
  });
});
