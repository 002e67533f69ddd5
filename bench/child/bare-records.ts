/**
 * The baseline of `bench records`: a bare Fastify + pg server with no pdx code, no hooks, no logger,
 * no schema, in its own process. GET /records?after=N runs the SELECT it is given (the one pdx runs
 * for the grant: the same fields, row filter and page) with the parameters [filter value, after,
 * page] and answers `{ rows, next }` as JSON, next being the last row's `_row`.
 *
 * Job from PDX_BENCH_BARE_JOB: { databaseUrl, port, sql, filterValue, page, pool }.
 */
import Fastify from 'fastify';
import pg from 'pg';

interface Job {
  databaseUrl: string;
  port: number;
  sql: string;
  filterValue: string;
  page: number;
  /** Connections, as many as pdx's PDX_DB_POOL_SIZE. */
  pool: number;
}

const job = JSON.parse(process.env.PDX_BENCH_BARE_JOB ?? 'null') as Job;
if (!job) throw new Error('PDX_BENCH_BARE_JOB is not set');
const pool = new pg.Pool({ connectionString: job.databaseUrl, max: job.pool });
const app = Fastify();

app.get('/records', async (request) => {
  const after = Number((request.query as { after?: string }).after ?? 0);
  const { rows } = await pool.query<{ _row: string }>(job.sql, [job.filterValue, after, job.page]);
  return { rows, next: rows.length === job.page ? String(rows.at(-1)!._row) : null };
});

await app.listen({ port: job.port, host: '127.0.0.1' });
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
});
