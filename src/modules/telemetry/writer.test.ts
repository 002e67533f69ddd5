import { describe, expect, it } from 'vitest';
import type { Db } from '../../db/index.ts';
import { createWriter, OverloadedError, type Submission } from './writer.ts';

/** A database whose transactions wait until the test opens the gate (a stalled server). */
function gatedDb() {
  let open: () => void = () => {};
  let gate = new Promise<void>((resolve) => (open = resolve));
  const started: number[] = [];
  const db = {
    backend: 'pglite',
    async transaction<T>(fn: (tx: never) => Promise<T>): Promise<T> {
      started.push(started.length);
      await gate;
      // The batch itself is not under test here: the write "succeeds" once the gate opens.
      void fn;
      return { inserted: 0, duplicates: 0, pointIds: [] } as T;
    },
  } as unknown as Db;
  return {
    db,
    started,
    release() {
      open();
      gate = Promise.resolve();
    },
  };
}

const submission = (n: number): Submission => ({
  deviceId: 'd',
  orgId: 'o',
  receivedMs: 0,
  samples: Array.from({ length: n }, (_, i) => ({ pointId: 1, tsUs: i, value: i })),
  quarantined: [],
  events: [],
});

describe('the write buffer', () => {
  it('makes senders wait while the database is stalled, tells them to retry past the bound, and never loses an acknowledged submission', async () => {
    const g = gatedDb();
    const writer = createWriter(g.db, { capacity: 100, batchSize: 100, waitMs: 300, specs: async () => new Map() });
    const first = writer.submit(submission(60)).then(
      () => 'stored',
      (e: unknown) => e,
    );
    // The buffer holds 60 of 100: a submission of 60 more must wait for room, then is told to retry.
    const second = writer.submit(submission(60)).then(
      () => 'stored',
      (e: unknown) => e,
    );
    const refused = await second;
    expect(refused).toBeInstanceOf(OverloadedError);
    expect((refused as OverloadedError).retryAfterSeconds).toBeGreaterThan(0);
    expect(writer.stats().buffered).toBe(60);
    // The first one waits for its commit past the bound too: its sender is told to retry as well
    // (the samples may still be stored; a retry of the same instants is a duplicate, kept once).
    expect(await first).toBeInstanceOf(OverloadedError);
    g.release();
    await writer.drain();
    expect(writer.stats()).toMatchObject({ buffered: 0, batches: 1 });
    // With the database back, a submission is acknowledged after its commit.
    await expect(writer.submit(submission(10))).resolves.toBeUndefined();
    expect(writer.stats().batches).toBe(2);
  });

  it('admits waiting senders in order as room frees up', async () => {
    const g = gatedDb();
    const writer = createWriter(g.db, { capacity: 100, batchSize: 50, waitMs: 60_000, specs: async () => new Map() });
    const a = writer.submit(submission(50));
    const b = writer.submit(submission(50));
    const c = writer.submit(submission(50));
    expect(writer.stats().buffered).toBe(100);
    g.release();
    await Promise.all([a, b, c]);
    expect(writer.stats()).toMatchObject({ buffered: 0, batches: 3 });
  });

  it('holds at most another buffer of waiting senders and tells the rest to retry at once (bounded memory)', async () => {
    const g = gatedDb();
    const writer = createWriter(g.db, { capacity: 100, batchSize: 100, waitMs: 60_000, specs: async () => new Map() });
    const buffered = [writer.submit(submission(100))];
    // The buffer is full: two senders of 50 wait for room; a third finds a buffer's worth waiting.
    const waiting = [writer.submit(submission(50)), writer.submit(submission(50))];
    await expect(writer.submit(submission(1))).rejects.toBeInstanceOf(OverloadedError);
    expect(writer.stats()).toMatchObject({ buffered: 100, overloaded: 1 });
    g.release();
    await Promise.all([...buffered, ...waiting]);
    expect(writer.stats()).toMatchObject({ buffered: 0, overloaded: 1 });
  });
});
