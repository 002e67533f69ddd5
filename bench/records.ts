/**
 * The records API under load: 100-row pages of 户籍人口 with masking (姓名), pseudonyms of a decrypted
 * 4级 column (身份证号), generalisation (住址), the grant's row filter (户籍地 = 朝阳市), API-key
 * authentication, grant checks in the database and the audit record committed before each answer,
 * against a baseline route in the same server process that runs the same SELECT through the same
 * driver with no policy and no audit. Real HTTP over loopback, 16 concurrent keep-alive clients.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { migrate } from '../src/db/index.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { compileRead, viewColumns, type CompiledRead } from '../src/modules/share/policy.ts';
import { startPgCluster } from '../test/helpers/pg-cluster.ts';
import { grantJourney, shareWorld, startShareApp } from '../test/share-helpers.ts';
import { report, section } from './lib.ts';

const ROWS = Number(process.env.PDX_BENCH_RECORDS_ROWS ?? 100_000);
const PAGE = 100;
const CLIENTS = 16;
const ROUND_MS = 4000;
const ROUNDS = 3;

interface Load {
  rps: number;
  p99: number;
  errors: number;
}

/** Runs CLIENTS concurrent request loops for ROUND_MS; returns throughput and p99 latency. */
async function load(agent: http.Agent, port: number, path: () => string, headers: Record<string, string>): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + ROUND_MS;
  const one = () =>
    new Promise<void>((resolve) => {
      const start = performance.now();
      const req = http.request({ host: '127.0.0.1', port, path: path(), agent, headers }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (res.statusCode !== 200) errors++;
          latencies.push(performance.now() - start);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / seconds, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0, errors };
}

export default async function run(): Promise<void> {
  const cluster = process.env.PDX_BENCH_DATABASE_URL ? undefined : await startPgCluster({ durable: true });
  const url = process.env.PDX_BENCH_DATABASE_URL ?? cluster!.url;
  const db = await openPostgres(url, 20);
  try {
    await migrate(db);
    const t = await startShareApp(db, { PDX_RATE_LIMIT: '100000000' });
    // The baseline route is registered before the app is ready (its SELECT is known once the grant exists).
    let compiled: CompiledRead | undefined;
    t.app.get('/bench/baseline', { config: { access: { public: true } }, schema: { hide: true } }, async (request) => {
      const after = Number((request.query as { after?: string }).after ?? 0);
      const sql = compiled!.chunk([after], PAGE);
      const rows = await db.query(sql.text, sql.values);
      return { rows, next: rows.length === PAGE ? String(rows.at(-1)!._row) : null };
    });
    const w = await shareWorld(t, ROWS);
    const { grantId } = await grantJourney(w);
    // Statistics as autovacuum would have them on a served table (a fresh table has none).
    await db.query('ANALYZE');

    // The baseline: the very SELECT the records API runs for this grant, straight through the driver.
    const dataset = (await db.query<{ id: string; relation: string }>('SELECT id, relation FROM datasets WHERE code = $1', [w.code]))[0]!;
    const catalogue = await t.services.catalog.repo.columns(dataset.id);
    const grant = (await db.query<{ columns: never; row_filter: never }>('SELECT columns, row_filter FROM share_grants WHERE id = $1', [grantId]))[0]!;
    compiled = compileRead(dataset.relation, viewColumns(catalogue, grant.columns), grant.row_filter, { filter: { and: [] }, order: [] });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    const randomAfter = () => Math.floor(Math.random() * ROWS * 0.9);

    // Both answer the same pages.
    const check = await fetch(`http://127.0.0.1:${port}/api/v1/datasets/${w.code}/records?limit=${PAGE}&after=1`, { headers: { authorization: `Bearer ${w.key}` } });
    const sample = (await check.json()) as { rows: Record<string, unknown>[] };
    if (sample.rows.length !== PAGE) throw new Error(`records API returned ${sample.rows.length} rows`);

    let best = { pdx: { rps: 0, p99: Infinity, errors: 0 }, base: { rps: 0, p99: Infinity, errors: 0 } };
    for (let r = 0; r < ROUNDS; r++) {
      const base = await load(agent, port, () => `/bench/baseline?after=${randomAfter()}`, {});
      const pdx = await load(agent, port, () => `/api/v1/datasets/${w.code}/records?limit=${PAGE}&after=${randomAfter()}`, { authorization: `Bearer ${w.key}` });
      if (pdx.rps > best.pdx.rps) best = { ...best, pdx };
      if (base.rps > best.base.rps) best = { ...best, base };
    }
    const audited = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_records WHERE action = 'data.read'`).catch(() => [{ n: -1 }]))[0]!.n;
    section(`records API (PostgreSQL server, ${CLIENTS} concurrent HTTP clients, ${PAGE}-row pages)`);
    const size = `${ROWS.toLocaleString('en-US')} rows, ~${Math.round(ROWS / 14).toLocaleString('en-US')} in the row filter; 6 columns: masked, pseudonym of encrypted, generalized ×2, clear ×2`;
    report({ name: 'records pages/s (policy + audit)', size, unit: 'req/s', value: best.pdx.rps, baseline: best.base.rps, baselineName: 'same SELECT, no policy', higherIsBetter: true });
    report({ name: 'records p99 latency', size, unit: 'ms', value: best.pdx.p99, baseline: best.base.p99, baselineName: 'same SELECT, no policy', higherIsBetter: false });
    console.log(`errors: pdx ${best.pdx.errors}, baseline ${best.base.errors}; data.read audit records written: ${audited}`);
    agent.destroy();
    await t.close();
  } finally {
    await db.close();
    cluster?.stop();
  }
}
