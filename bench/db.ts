/**
 * Data-layer overhead: a point query and a 10,000-row scan through pdx's Db interface vs the raw
 * driver (PGlite's own API; node-postgres's Pool) on the same database in the same run.
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Db } from '../src/db/index.ts';
import { openPglite } from '../src/db/pglite.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { startPgCluster } from '../test/helpers/pg-cluster.ts';
import { alternate, report, section } from './lib.ts';

const ROWS = 10_000;
const SETUP = `CREATE TABLE bench_t (id int PRIMARY KEY, name text, city text, amount numeric, created timestamptz);
INSERT INTO bench_t SELECT g, '姓名' || g, '朝阳市', g * 1.5, now() FROM generate_series(1, ${ROWS}) g;`;
const POINT = 'SELECT * FROM bench_t WHERE id = $1';
const SCAN = 'SELECT * FROM bench_t ORDER BY id';

async function compare(label: string, db: Db, raw: (text: string, params?: unknown[]) => Promise<unknown>) {
  section(label);
  let i = 0;
  const size = `${ROWS.toLocaleString('en-US')} rows × 5 columns`;
  const point = await alternate(3, 2000, () => db.query(POINT, [(i++ % ROWS) + 1]), () => raw(POINT, [(i++ % ROWS) + 1]));
  report({ name: 'point query (pdx Db)', size, unit: 'q/s', ...point, baselineName: 'raw driver', higherIsBetter: true });
  const scan = await alternate(3, 15, () => db.query(SCAN), () => raw(SCAN));
  report({ name: 'full scan (pdx Db)', size, unit: 'scans/s', ...scan, baselineName: 'raw driver', higherIsBetter: true });
}

export default async function run(): Promise<void> {
  // PGlite: the same engine behind pdx's interface and behind its own API.
  const db = await openPglite();
  await db.exec(SETUP);
  const rawLite = await PGlite.create();
  await rawLite.exec(SETUP);
  await compare('PGlite (embedded)', db, (text, params) => rawLite.query(text, params));
  await db.close();
  await rawLite.close();

  const cluster = process.env.PDX_BENCH_DATABASE_URL ? undefined : await startPgCluster({ durable: true });
  const url = process.env.PDX_BENCH_DATABASE_URL ?? cluster!.url;
  try {
    const server = await openPostgres(url, 4);
    await server.exec(`DROP TABLE IF EXISTS bench_t; ${SETUP}`);
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    await compare('PostgreSQL server', server, (text, params) => pool.query(text, params));
    await server.exec('DROP TABLE bench_t');
    await server.close();
    await pool.end();
  } finally {
    cluster?.stop();
  }
}
