/**
 * Database exchange (issue 16 point 9): a department's PostgreSQL table pulled into pdx by `pdx sync`
 * in a child process — the full pipeline: the pg connector reading the source, validation,
 * classification, encryption of 身份证号 with its blind index, COPY, indexes, the version switch —
 * against `psql \copy (SELECT …) TO STDOUT | psql \copy … FROM STDIN` between the same two clusters
 * (the source's and pdx's), into a table of the same column types and indexes as pdx made (the DDL is
 * read from pdx's version table, as `bench ingest` does).
 *
 * The binding is `replace`, so every round is a full snapshot of the table as a new version. One
 * warm-up of each side, then PDX_BENCH_ROUNDS alternating rounds; medians, the median ratio and its
 * spread; peak RSS of the pdx process for the full table and for the warm-up's tenth of it (a
 * streaming pull's memory does not grow with the table).
 *
 * CDC (cdcFigure): a `cdc` binding of a table on a wal_level=logical cluster, streamed by the CDC
 * worker in this process. First a steady update load (PDX_BENCH_EXCHANGE_CDC_RATE changes/s, in
 * transactions of 100 updates, for PDX_BENCH_EXCHANGE_CDC_CHANGES changes) with the lag the API
 * reports sampled every 0.5 s; then a burst of the same number of changes written as fast as the
 * source takes them: changes/s applied = changes / (first write → the slot confirms the last commit).
 *
 * Knobs: PDX_BENCH_EXCHANGE_ROWS (default 1,000,000); PDX_BENCH_EXCHANGE_HEAP_MB runs the pdx processes
 * under that V8 heap limit (a pull that held the table in memory fails); PDX_BENCH_ROUNDS (lib.ts);
 * PDX_BENCH_EXCHANGE_CDC_CHANGES (default 20,000; 0 skips CDC), PDX_BENCH_EXCHANGE_CDC_RATE (default 2,000).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PEOPLE_HEADER } from '../test/fixtures/people.ts';
import { findPgBin, startPgCluster } from '../test/helpers/pg-cluster.ts';
import { createWorld, withPlatform, type World } from '../test/scripts/ingest-world.ts';
import { EXTRA_HEADER, pdxDdl, quote, runPdx, writeFile } from './ingest.ts';
import { alternate, benchDatabase, fmt, median, numberKnob, report, section, seconds, type BenchDatabase } from './lib.ts';

const ROWS = numberKnob('PDX_BENCH_EXCHANGE_ROWS', 1_000_000, 1000);
const WARMUP_ROWS = Math.min(ROWS, Math.max(10_000, Math.round(ROWS / 10)));
const HEADER = [...PEOPLE_HEADER, ...EXTRA_HEADER];
const MB = 1024 * 1024;
const HEAP_MB = process.env.PDX_BENCH_EXCHANGE_HEAP_MB ? numberKnob('PDX_BENCH_EXCHANGE_HEAP_MB', 0, 16) : undefined;
const CDC_CHANGES = numberKnob('PDX_BENCH_EXCHANGE_CDC_CHANGES', 20_000, 0);
const CDC_RATE = numberKnob('PDX_BENCH_EXCHANGE_CDC_RATE', 2_000, 10);
const CDC_TX = 100;

/** Runs psql against `url` with `args`, feeding `input` (a stream) when given; resolves with its stdout stream ended. */
function psql(url: string, args: string[], io: { stdin?: NodeJS.ReadableStream; stdout?: boolean } = {}) {
  const child = spawn(findPgBin('psql'), [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...args], {
    stdio: [io.stdin ? 'pipe' : 'ignore', io.stdout ? 'pipe' : 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  if (io.stdin) io.stdin.pipe(child.stdin!);
  const done = new Promise<void>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql ${args.join(' ')}: ${code}\n${err}`)))),
  );
  return { child, done };
}

/** The department's table: 12 text columns (a department's export table), filled from the generated CSV. */
async function fillSource(source: BenchDatabase, table: string, rows: number, dir: string): Promise<void> {
  const file = path.join(dir, `${table}.csv`);
  writeFile(file, rows, true);
  await psql(source.url, ['-c', `CREATE TABLE ${table} (${HEADER.map((h) => `${quote(h)} text`).join(', ')})`]).done;
  await psql(source.url, ['-c', `\\copy ${table} FROM '${file}' WITH (FORMAT csv, HEADER true)`]).done;
  fs.rmSync(file);
}

interface PdxRun {
  seconds: number;
  jobSeconds: number;
  peakRss: number;
  output: string;
}

/** `pdx sync CODE` as a child with the memory sampler; wall time, the sync job's own time, peak RSS. */
async function pdxSync(env: Record<string, string>, world: World, dir: string, rows: number): Promise<PdxRun> {
  const { seconds: wall, out, peakRss } = await runPdx(['sync', world.code], env, dir, HEAP_MB ? [`--max-old-space-size=${HEAP_MB}`] : []);
  const client = new pg.Client(env.PDX_DATABASE_URL);
  await client.connect();
  try {
    const [timing] = (
      await client.query<{ s: number; rows: number }>(
        `SELECT extract(epoch FROM finished_at - started_at)::float8 AS s, (result->>'rows')::int AS rows FROM jobs
          WHERE kind = 'exchange.sync' AND state = 'succeeded' ORDER BY finished_at DESC LIMIT 1`,
      )
    ).rows;
    if (timing?.rows !== rows) throw new Error(`pdx synced ${timing?.rows} rows, expected ${rows}`);
    return { seconds: wall, jobSeconds: timing.s, peakRss, output: out.trim() };
  } finally {
    await client.end();
  }
}

/** The baseline: `\copy (SELECT …) TO STDOUT` on the source piped into `\copy … FROM STDIN` on pdx's cluster, then the indexes. */
async function copyAcross(source: BenchDatabase, target: BenchDatabase, table: string, ddl: Awaited<ReturnType<typeof pdxDdl>>): Promise<number> {
  await psql(target.url, ['-c', `DROP TABLE IF EXISTS copy_typed; ${ddl.create}`]).done;
  const took = await seconds(async () => {
    const out = psql(source.url, ['-c', `\\copy (SELECT ${HEADER.map(quote).join(', ')} FROM ${table}) TO STDOUT WITH (FORMAT csv)`], { stdout: true });
    const into = psql(target.url, ['-c', `\\copy copy_typed (${ddl.copyColumns.map(quote).join(', ')}) FROM STDIN WITH (FORMAT csv)`], {
      stdin: out.child.stdout!,
    });
    await Promise.all([out.done, into.done]);
    for (const index of ddl.createIndexes) await psql(target.url, ['-c', index]).done;
  });
  await psql(target.url, ['-c', 'DROP TABLE copy_typed']).done;
  return took;
}

export default async function run(): Promise<void> {
  const [target, source] = [await benchDatabase('exchange'), await benchDatabase('exchange_source')];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-bench-exchange-'));
  const env = {
    PDX_DATABASE_URL: target.url,
    PDX_MASTER_KEY: randomBytes(32).toString('base64'),
    PDX_DATA_DIR: path.join(dir, 'data'),
    PDX_UPSTREAM_ALLOW: '127.0.0.1/32',
  };
  try {
    await fillSource(source, 'people', ROWS, dir);
    await fillSource(source, 'people_warmup', WARMUP_ROWS, dir);
    const u = new URL(source.url);
    const sourceInput = {
      kind: 'postgresql' as const,
      host: u.hostname,
      port: Number(u.port),
      database: u.pathname.slice(1),
      user: decodeURIComponent(u.username),
      password: 'trust',
      tls: 'off' as const,
    };
    // Two datasets bound to the two tables: the warm-up's and the measured one.
    const [warmWorld, world] = await withPlatform(env, async (services) => {
      const made: World[] = [];
      for (const [name, table] of [
        ['户籍人口 warm-up', 'people_warmup'],
        ['户籍人口 exchange', 'people'],
      ] as const) {
        const w = await createWorld(services, name);
        const added = await services.exchange.service.addSource(w.caller, { name: `公安人口库 ${table}`, ...sourceInput });
        await services.exchange.service.bind(w.caller, w.code, { sourceId: added.id, schema: 'public', table, mode: 'replace' });
        made.push(w);
      }
      return made;
    });
    const size = `${ROWS.toLocaleString('en-US')} rows × ${HEADER.length} columns (身份证号 encrypted with its blind index); warm-up ${WARMUP_ROWS.toLocaleString('en-US')} rows${HEAP_MB ? `; pdx under a ${HEAP_MB} MB heap limit` : ''}`;
    section(`pull from a PostgreSQL source: ${size}`);

    // Warm-up of each side (thrown away); pdx's also gives the DDL of the typed baseline table.
    const warm = await pdxSync(env, warmWorld!, dir, WARMUP_ROWS);
    await pdxSync(env, world!, dir, ROWS);
    const ddl = await pdxDdl(target.url, world!, HEADER, 'copy_typed');
    await copyAcross(source, target, 'people_warmup', ddl);

    const rounds = await alternate({
      warmup: false,
      pdx: () => pdxSync(env, world!, dir, ROWS),
      baseline: () => copyAcross(source, target, 'people', ddl),
    });
    console.log(`typed baseline: pdx's version table ${ddl.relation}: ${ddl.describe}`);
    const perSecond = (s: number[]) => s.map((x) => ROWS / x);
    const baselineName = 'psql \\copy TO STDOUT | \\copy FROM STDIN, same types + indexes';
    report({
      name: 'pdx sync (whole command)',
      size,
      unit: 'rows/s',
      pdx: perSecond(rounds.pdx.map((r) => r.seconds)),
      baseline: perSecond(rounds.baseline),
      baselineName,
    });
    report({
      name: 'pdx sync job (excl. process start)',
      size,
      unit: 'rows/s',
      pdx: perSecond(rounds.pdx.map((r) => r.jobSeconds)),
      baseline: perSecond(rounds.baseline),
      baselineName,
    });
    const rss = rounds.pdx.map((r) => r.peakRss / MB);
    console.log(
      `pdx sync peak RSS ${fmt(median(rss))} MB (max ${fmt(Math.max(...rss))} MB) for ${ROWS.toLocaleString('en-US')} rows; ${fmt(warm.peakRss / MB)} MB for the ` +
        `${WARMUP_ROWS.toLocaleString('en-US')}-row warm-up (RSS includes heap V8 has not yet collected; a heap-limited run is the test of bounded memory). Seconds per round: pdx ${rounds.pdx.map((r) => `${r.seconds.toFixed(1)} (job ${r.jobSeconds.toFixed(1)})`).join(', ')}; ` +
        `baseline ${rounds.baseline.map((s) => s.toFixed(1)).join(', ')}`,
    );
    console.log(`  ${rounds.pdx.at(-1)!.output.split('\n').at(-1)}`);
    if (CDC_CHANGES > 0) await cdcFigure(env);
  } finally {
    await target.close();
    await source.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * CDC: changes/s applied and the lag under a steady update load (see the top of the file). `env`:
 * pdx's database (default: embedded PGlite in a temporary directory).
 */
export async function cdcFigure(env?: Record<string, string>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-bench-cdc-'));
  const cluster = await startPgCluster({ walLevel: 'logical', durable: true });
  const source = new pg.Client(cluster.url);
  await source.connect();
  try {
    const ROWS_CDC = 10_000;
    await source.query('CREATE TABLE ledger (id bigint PRIMARY KEY, n integer NOT NULL, note text NOT NULL)');
    await source.query(`INSERT INTO ledger SELECT g, 0, '账目' || g FROM generate_series(1, ${ROWS_CDC}) g`);
    const pdxEnv = env ?? { PDX_DATA_DIR: path.join(dir, 'data'), PDX_UPSTREAM_ALLOW: '127.0.0.1/32' };
    await withPlatform({ ...pdxEnv, PDX_UPSTREAM_ALLOW: '127.0.0.1/32' }, async (services) => {
      const w = await createWorld(services, '账目（CDC 基准）');
      const added = await services.exchange.service.addSource(w.caller, {
        name: '账目库（CDC 基准）',
        kind: 'postgresql',
        host: '127.0.0.1',
        port: cluster.port,
        database: 'postgres',
        user: 'postgres',
        password: 'trust',
        tls: 'off',
      });
      await services.exchange.service.bind(w.caller, w.code, { sourceId: added.id, schema: 'public', table: 'ledger', mode: 'cdc', keyColumn: 'id' });
      services.exchange.cdc.start();
      try {
        const wait = async (what: string, ok: () => Promise<boolean>) => {
          const deadline = Date.now() + 600_000;
          while (!(await ok())) {
            if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
            await new Promise((r) => setTimeout(r, 50));
          }
        };
        await wait('the snapshot', async () => ((await services.catalog.byCode(w.code))?.current_version ?? 0) > 0);
        const caughtUp = async () => {
          const target = (await source.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
          await wait(
            'pdx catching up',
            async () => (await source.query<{ ok: boolean }>('SELECT confirmed_flush_lsn >= $1::pg_lsn AS ok FROM pg_replication_slots', [target])).rows[0]!.ok,
          );
        };
        const update = (i: number) =>
          source.query(`UPDATE ledger SET n = n + 1 WHERE id BETWEEN $1 AND $2`, [1 + ((i * CDC_TX) % ROWS_CDC), ((i * CDC_TX) % ROWS_CDC) + CDC_TX]);
        const txs = Math.ceil(CDC_CHANGES / CDC_TX);

        // Steady load at CDC_RATE changes/s, the lag sampled as the API reports it.
        section(`CDC from a wal_level=logical PostgreSQL source: ${CDC_CHANGES.toLocaleString('en-US')} updates in transactions of ${CDC_TX}`);
        const bytes: number[] = [];
        const ages: number[] = [];
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            const lag = await services.exchange.service.lag(w.caller, w.code);
            if (lag.bytes !== null) bytes.push(lag.bytes);
            if (lag.secondsSinceApplied !== null) ages.push(lag.secondsSinceApplied);
            await new Promise((r) => setTimeout(r, 500));
          }
        })();
        const steadyStart = performance.now();
        for (let i = 0; i < txs; i++) {
          await update(i);
          const due = steadyStart + (((i + 1) * CDC_TX) / CDC_RATE) * 1000;
          const now = performance.now();
          if (due > now) await new Promise((r) => setTimeout(r, due - now));
        }
        const offered = (txs * CDC_TX) / ((performance.now() - steadyStart) / 1000);
        await caughtUp();
        const steady = (txs * CDC_TX) / ((performance.now() - steadyStart) / 1000);
        sampling = false;
        await sampler;
        console.log(
          `steady load: offered ${fmt(offered)} changes/s, applied ${fmt(steady)} changes/s (first write → caught up); lag while loading: ` +
            `median ${fmt(median(bytes) / 1024)} KB, max ${fmt(Math.max(...bytes) / 1024)} KB of WAL; time since the last applied batch median ${fmt(median(ages))} s, max ${fmt(Math.max(...ages))} s (${bytes.length} samples)`,
        );

        // A burst: as fast as the source takes it; pdx applies behind it.
        const burstStart = performance.now();
        for (let i = 0; i < txs; i++) await update(i);
        const written = (performance.now() - burstStart) / 1000;
        await caughtUp();
        const applied = (performance.now() - burstStart) / 1000;
        console.log(
          `burst: ${(txs * CDC_TX).toLocaleString('en-US')} changes written in ${written.toFixed(1)} s, applied by ${applied.toFixed(1)} s: ${fmt((txs * CDC_TX) / applied)} changes/s applied`,
        );
        await services.exchange.service.unbind(w.caller, w.code);
      } finally {
        await services.exchange.cdc.stop();
      }
    });
  } finally {
    await source.end();
    cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
