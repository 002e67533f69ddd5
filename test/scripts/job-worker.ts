/**
 * One pdx-like worker process for the job queue test: registers a synthetic 'test.record' handler
 * that writes each run into job_runs, waits for "go" on stdin (so several processes start at once),
 * drains the shared queue until nothing is queued or running, and prints what it ran as JSON.
 *
 *   node --import tsx test/scripts/job-worker.ts POSTGRES_URL
 */
import { openPostgres } from '../../src/db/postgres.ts';
import { createJobs } from '../../src/modules/jobs/jobs.service.ts';

const url = process.argv[2];
if (!url) throw new Error('usage: job-worker.ts POSTGRES_URL');
const db = await openPostgres(url, 4);
const jobs = createJobs(db, { pollMs: 10 });
let ran = 0;
jobs.handle('test.record', async (ctx) => {
  await db.query('INSERT INTO job_runs (job_id, worker) VALUES ($1, $2)', [ctx.job.id, jobs.worker]);
  await new Promise((r) => setTimeout(r, Number(ctx.job.payload.ms ?? 0)));
  ran++;
  return { worker: jobs.worker };
});

process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
for (;;) {
  await jobs.drain();
  const [left] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE kind = 'test.record' AND state IN ('queued', 'running')`);
  if (left!.n === 0) break;
  await new Promise((r) => setTimeout(r, 10));
}
process.stdout.write(`${JSON.stringify({ worker: jobs.worker, ran })}\n`);
await db.close();
process.exit(0);
