/**
 * Data-layer overhead: a point query and a full scan through pdx's Db interface vs the raw driver
 * (PGlite's own API; node-postgres's Pool with as many connections) on the same database in the same
 * process. Warm-up, then PDX_BENCH_ROUNDS alternating rounds of ≥ PDX_BENCH_BATCH_MS per side; medians, the
 * median ratio and its spread.
 *
 * Knobs: PDX_BENCH_DB_ROWS rows of the table (default 10,000), PDX_BENCH_ROUNDS and
 * PDX_BENCH_DATABASE_URL (lib.ts).
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Db } from '../src/db/index.ts';
import { openPglite } from '../src/db/pglite.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { alternate, benchDatabase, numberKnob, rate, report, section } from './lib.ts';

const ROWS = numberKnob('PDX_BENCH_DB_ROWS', 10_000, 10);
const SETUP = `CREATE TABLE bench_t (id int PRIMARY KEY, name text, city text, amount numeric, created timestamptz);
INSERT INTO bench_t SELECT g, '姓名' || g, '朝阳市', g * 1.5, now() FROM generate_series(1, ${ROWS}) g;`;
const POINT = 'SELECT * FROM bench_t WHERE id = $1';
const SCAN = 'SELECT * FROM bench_t ORDER BY id';

async function compare(label: string, db: Db, raw: (text: string, params?: unknown[]) => Promise<unknown>) {
  section(label);
  let i = 0;
  const size = `${ROWS.toLocaleString('en-US')} rows × 5 columns`;
  const point = await alternate({
    pdx: () => rate(1, () => db.query(POINT, [(i++ % ROWS) + 1])),
    baseline: () => rate(1, () => raw(POINT, [(i++ % ROWS) + 1])),
  });
  report({ name: 'point query (pdx Db)', size, unit: 'q/s', ...point, baselineName: 'raw driver' });
  const scan = await alternate({ pdx: () => rate(1, () => db.query(SCAN)), baseline: () => rate(1, () => raw(SCAN)) });
  report({ name: 'full scan (pdx Db)', size, unit: 'scans/s', ...scan, baselineName: 'raw driver' });
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

  const database = await benchDatabase('db');
  try {
    const server = await openPostgres(database.url, 4);
    await server.exec(SETUP);
    const pool = new pg.Pool({ connectionString: database.url, max: 4 });
    await compare('PostgreSQL server', server, (text, params) => pool.query(text, params));
    await server.close();
    await pool.end();
  } finally {
    await database.close();
  }
}
