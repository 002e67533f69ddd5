/**
 * jobs.alive(q, ids): how other modules (a load reserving a version, the CDC worker claiming a
 * binding) learn whether the job holding their work is still in hand, on their own handle, without
 * SQL on the jobs table (issue 14, point 2).
 */
import { expect, it } from 'vitest';
import type { Queryable } from '../src/db/index.ts';
import { createJobs } from '../src/modules/jobs/jobs.service.ts';
import { describeEachBackend } from './helpers/db.ts';

describeEachBackend('jobs.alive', ({ use }) => {
  it('names the running jobs with a fresh heartbeat: not a stale, finished or unknown one; no statement for no ids', async () => {
    const { db } = use();
    const jobs = createJobs(db, { staleSeconds: 60 });
    const fresh = await jobs.begin('test.alive', {}, null);
    const stale = await jobs.begin('test.alive', {}, null);
    const done = await jobs.begin('test.alive', {}, null);
    await db.query(`UPDATE jobs SET heartbeat_at = now() - interval '5 minutes' WHERE id = $1`, [stale.ctx.job.id]);
    await done.finish();
    const unknown = '00000000-0000-4000-8000-000000000000';

    const alive = await jobs.alive(db, [fresh.ctx.job.id, stale.ctx.job.id, done.ctx.job.id, unknown, null, fresh.ctx.job.id]);
    expect([...alive]).toEqual([fresh.ctx.job.id]);

    // A heartbeat (progress) brings the stale one back.
    await stale.ctx.progress({ phase: 'streaming' });
    expect(await jobs.alive(db, [stale.ctx.job.id])).toEqual(new Set([stale.ctx.job.id]));

    // Inside the caller's transaction, on its handle; and nothing asked when there is nothing to ask.
    let statements = 0;
    const counted = (q: Queryable): Queryable => ({
      query: <R extends object>(text: string, params?: readonly unknown[]) => {
        statements++;
        return q.query<R>(text, params);
      },
      exec: (script) => q.exec(script),
    });
    await db.transaction(async (tx) => {
      expect(await jobs.alive(counted(tx), [fresh.ctx.job.id])).toEqual(new Set([fresh.ctx.job.id]));
      expect(await jobs.alive(counted(tx), [null, null])).toEqual(new Set());
      expect(await jobs.alive(counted(tx), [])).toEqual(new Set());
    });
    expect(statements).toBe(1);
  });
});
