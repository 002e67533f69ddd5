import { describe, expect, it, vi } from 'vitest';
import { createUseStamps, USE_PRECISION_MS } from './use-stamps.ts';

describe('last-use times written in batches', () => {
  const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);

  it('writes every waiting use in one call on flush, each key once, nothing when none waits', async () => {
    const writes: [string[], Date[]][] = [];
    const stamps = createUseStamps(async (ids, times) => void writes.push([ids, times]), { everyMs: 60_000 });
    stamps.note('a', null, at(0));
    stamps.note('b', at(-2 * USE_PRECISION_MS), at(1));
    stamps.note('a', null, at(2)); // within the minute of the waiting one
    stamps.note('c', at(-1000), at(3)); // stored within the minute: not written again
    expect(writes).toEqual([]);
    await stamps.flush();
    expect(writes).toEqual([
      [
        ['a', 'b'],
        [at(0), at(1)],
      ],
    ]);
    await stamps.flush();
    expect(writes).toHaveLength(1);
    await stamps.stop();
  });

  it('flushes on its own after everyMs, and on stop; a use after stop is not kept', async () => {
    const writes: string[][] = [];
    const stamps = createUseStamps(async (ids) => void writes.push(ids), { everyMs: 10 });
    stamps.note('a', null);
    await vi.waitFor(() => expect(writes).toEqual([['a']]));
    stamps.note('b', null);
    await stamps.stop();
    expect(writes).toEqual([['a'], ['b']]);
    stamps.note('c', null);
    await stamps.flush();
    expect(writes).toHaveLength(2);
  });

  it('a failed write is reported to the flush that asked, and later flushes still write', async () => {
    let fail = true;
    const writes: string[][] = [];
    const stamps = createUseStamps(
      async (ids) => {
        if (fail) throw new Error('database down');
        writes.push(ids);
      },
      { everyMs: 60_000 },
    );
    stamps.note('a', null);
    await expect(stamps.flush()).rejects.toThrow('database down');
    fail = false;
    stamps.note('b', null);
    await stamps.stop();
    expect(writes).toEqual([['b']]);
  });
});
