/**
 * The records API under load, against a bare server doing the same SELECT.
 *
 * pdx: `pdx start` in its own process on a PostgreSQL database holding 户籍人口 (PDX_BENCH_RECORDS_ROWS
 * rows, loaded by pdx's own import, 身份证号 encrypted with its blind index). 朝阳市民政局 reads it with
 * an API key under a grant of four fields — 姓名 masked, 身份证号 as a pseudonym (decrypted, then
 * HMAC), 户籍地 clear, 住址 generalized to the district — with the row filter 户籍地 = 朝阳市, the
 * audit record committed before each answer and the security detectors running, as deployed
 * (default log level, rate limiting on with a limit the load does not reach).
 *
 * Baseline: bench/child/bare-records.ts, a bare Fastify + pg server in another process (no pdx code,
 * no hooks, no logger) running the same SELECT of the same four fields with the same row filter and
 * page size on the same database and table (the version table's view), with as many connections as
 * pdx's pool. The bench checks that both answer the same rows for the same cursor, and prints the
 * statement pdx ran (from the PostgreSQL log) next to the baseline's.
 *
 * Load: bench/child/http-load.ts in a third process, PDX_BENCH_CLIENTS (16) keep-alive connections,
 * 100-row pages starting after a random row (the same seeded sequence for both sides of a round).
 * A warm-up run of each side, then PDX_BENCH_ROUNDS alternating rounds; req/s and p99 printed as
 * medians with the median ratio and its spread, absolute numbers beside them.
 *
 * Knobs:
 *   PDX_BENCH_RECORDS_ROWS     rows of 户籍人口 (default 200,000: loading them through pdx takes a
 *                              few minutes on 2 busy cores; 1000000 for the size)
 *   PDX_BENCH_RECORDS_SECONDS  length of each measured run (default 10)
 *   PDX_BENCH_RECORDS_WARMUP   length of each side's warm-up run in seconds (default 5)
 *   PDX_BENCH_RECORDS_STATEMENTS  requests sent one at a time with the statement log on, to count
 *                              the SQL statements per request (default 50; 0 skips; own cluster only)
 *   PDX_BENCH_RECORDS_PROFILE=1  a CPU profile of the pdx server process (`--cpu-prof`, written when
 *                              it stops; the directory is printed and kept)
 *   PDX_BENCH_ROUNDS, PDX_BENCH_CLIENTS, PDX_BENCH_DATABASE_URL (lib.ts)
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { migrate } from '../src/db/index.ts';
import { openPostgres } from '../src/db/postgres.ts';
import type { Caller } from '../src/modules/identity/identity.service.ts';
import { ADMIN_PASSWORDS, createOrg, provisionUser, waitForJob } from '../test/helpers/api.ts';
import { writePeopleCsv } from '../test/scripts/ingest-world.ts';
import { apiKey, startShareApp } from '../test/share-helpers.ts';
import {
  alternate,
  BENCH_DIR,
  benchDatabase,
  CLIENTS,
  fmt,
  freePort,
  httpLoad,
  median,
  numberKnob,
  report,
  reportLoad,
  ROOT,
  section,
  startServerChild,
  type LoadResult,
} from './lib.ts';

const ROWS = numberKnob('PDX_BENCH_RECORDS_ROWS', 200_000, 20_000);
const SECONDS = numberKnob('PDX_BENCH_RECORDS_SECONDS', 10);
const WARMUP = numberKnob('PDX_BENCH_RECORDS_WARMUP', 5);
const STATEMENTS = numberKnob('PDX_BENCH_RECORDS_STATEMENTS', 50, 0);
const PROFILE = process.env.PDX_BENCH_RECORDS_PROFILE === '1';
const PROFILE_DIR = path.join(os.tmpdir(), `pdx-bench-records-profile-${process.pid}`);
const PAGE = 100;
/** pdx's default PDX_DB_POOL_SIZE; the baseline gets as many connections. */
const POOL = 10;
const FIELDS = [
  { name: '姓名', mode: 'masked' },
  { name: '身份证号', mode: 'pseudonym' },
  { name: '户籍地', mode: 'clear' },
  { name: '住址', mode: 'generalized', generalize: { address: 'district' } },
] as const;
const CITY = '朝阳市';

interface World {
  code: string;
  key: string;
  relation: string;
  /** Physical column of each field name. */
  physical: Record<string, string>;
}

/** Sets the world up through the platform's own API and import, in this process, then closes it. */
async function setUp(url: string, env: Record<string, string>, file: string): Promise<World> {
  const db = await openPostgres(url, POOL);
  try {
    await migrate(db);
    const t = await startShareApp(db, { ...env, PDX_RATE_LIMIT: '1000000000' });
    try {
      const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
      const secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
      const policeOrg = await createOrg(admin, '省公安厅');
      const civilOrg = await createOrg(admin, '朝阳市民政局', 'city', '211300');
      const officerUser = await provisionUser(t, admin, 'ga-officer', ['data_officer'], policeOrg);
      const officer = officerUser.client;
      const consumer = (await provisionUser(t, admin, 'mz-consumer', ['consumer'], civilOrg)).client;
      const ok = async (what: string, res: Promise<{ statusCode: number; body: string; json(): { [k: string]: unknown } }>, status = 200) => {
        const r = await res;
        if (r.statusCode !== status) throw new Error(`${what}: ${r.statusCode} ${r.body}`);
        return r.json();
      };
      const code = (
        await ok(
          'create dataset',
          officer.call('POST', '/api/v1/datasets', { name: '户籍人口信息', summary: '全省户籍人口基本信息', share_type: 'conditional' }),
          201,
        )
      ).code as string;
      // The file is streamed from disk by pdx's import (the same pipeline as an upload, without holding it in memory).
      const caller: Caller = {
        principal: { kind: 'user', userId: officerUser.id, username: 'ga-officer', orgId: policeOrg, roles: ['data_officer'] },
        requestId: 'bench',
      };
      const jobId = await t.services.ingest.importFile(caller, code, file, { mode: 'replace', options: {} });
      const job = await waitForJob(officer, jobId, 4 * 3_600_000);
      if (job.state !== 'succeeded') throw new Error(`load failed: ${JSON.stringify(job.error)}`);
      await ok('classification', officer.call('PUT', `/api/v1/datasets/${code}/classification`, { columns: [] }));
      await ok('publish', officer.call('POST', `/api/v1/datasets/${code}/publish`));
      const key = await apiKey(consumer);
      const request = await ok(
        'share request',
        consumer.call('POST', '/api/v1/share/requests', {
          dataset: code,
          columns: FIELDS.map((f) => f.name),
          purpose: '低保资格核验',
          purposeCategory: 'social_assistance',
          legalBasis: '《社会救助暂行办法》第十一条',
          endDate: '2099-06-30',
          rowFilter: `户籍地=eq.${CITY}`,
        }),
        201,
      );
      const approved = await ok('approve', officer.call('POST', `/api/v1/share/requests/${request.id}/approve`, { columns: FIELDS }));
      if (approved.state === 'provider_approved')
        await ok('security approve', secadmin.call('POST', `/api/v1/share/requests/${request.id}/security-approve`, { note: '同意' }));
      const granted = await ok('request', consumer.call('GET', `/api/v1/share/requests/${request.id}`));
      if (!granted.grantId) throw new Error(`no grant: ${JSON.stringify(granted)}`);

      const [dataset] = await db.query<{ id: string; relation: string }>('SELECT id, relation FROM datasets WHERE code = $1', [code]);
      const columns = await db.query<{ name: string; physical: string }>('SELECT name, physical FROM dataset_columns WHERE dataset_id = $1', [dataset!.id]);
      // Statistics as autovacuum would have them on a served table (a fresh table has none).
      await db.query('ANALYZE');
      return { code, key, relation: dataset!.relation, physical: Object.fromEntries(columns.map((c) => [c.name, c.physical])) };
    } finally {
      await t.close();
    }
  } finally {
    await db.close();
  }
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The baseline connects as `bench-bare` (pdx's pool names itself `pdx`), so the statement log tells them apart. */
const withApp = (url: string, app: string) => {
  const u = new URL(url);
  u.searchParams.set('application_name', app);
  return u.toString();
};

/**
 * Counts the statements of connections named `app` in the server log per request while `send` runs
 * `n` requests one at a time, minus those of an idle window of the same length (background work);
 * returns the count and the data query's text.
 */
async function statementsPerRequest(admin: pg.Client, log: string, relation: string, app: string, n: number, send: () => Promise<void>) {
  const size = () => fs.statSync(log).size;
  const read = (from: number, to: number) => {
    const fd = fs.openSync(log, 'r');
    const buf = Buffer.alloc(to - from);
    fs.readSync(fd, buf, 0, buf.length, from);
    fs.closeSync(fd);
    return buf.toString('utf8');
  };
  const mine = (text: string) => text.split('\n').filter((l) => l.includes(`[${app}]`));
  const count = (text: string) => mine(text).filter((l) => /LOG:\s+(statement|execute [^:]*):/.test(l)).length;
  await admin.query(`ALTER SYSTEM SET log_statement = 'all'`);
  await admin.query(`ALTER SYSTEM SET log_line_prefix = '%m [%p] [%a] '`);
  await admin.query('SELECT pg_reload_conf()');
  await new Promise((resolve) => setTimeout(resolve, 500));
  try {
    const a = size();
    const start = performance.now();
    for (let i = 0; i < n; i++) await send();
    const ms = performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const b = size();
    await new Promise((resolve) => setTimeout(resolve, ms + 200));
    const c = size();
    const during = read(a, b);
    const idle = read(b, c);
    const query = mine(during).find((l) => l.includes(`FROM ${quote(relation)}`) || l.includes(`FROM ${relation} `));
    return {
      perRequest: (count(during) - count(idle)) / n,
      idlePerRequest: count(idle) / n,
      query: query?.replace(/^.*?LOG:\s+(statement|execute [^:]*):\s*/, '') ?? '(not found)',
    };
  } finally {
    await admin.query('ALTER SYSTEM RESET log_statement');
    await admin.query('ALTER SYSTEM RESET log_line_prefix');
    await admin.query('SELECT pg_reload_conf()');
  }
}

export default async function run(): Promise<void> {
  const database = await benchDatabase('records');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-bench-records-'));
  const servers: { stop(): Promise<void> }[] = [];
  try {
    const env = { PDX_DATABASE_URL: database.url, PDX_MASTER_KEY: randomBytes(32).toString('base64'), PDX_DATA_DIR: path.join(dir, 'data') };
    const file = path.join(dir, 'people.csv');
    const bytes = writePeopleCsv(file, ROWS, { seed: 7 });
    section(`setting up: ${ROWS.toLocaleString('en-US')} rows (${(bytes / 1024 / 1024).toFixed(0)} MB CSV) loaded by pdx's import`);
    let started = performance.now();
    const world = await setUp(database.url, env, file);
    console.log(`set up in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    fs.rmSync(file);

    // pdx as deployed: `pdx start`, its own process.
    const pdxPort = await freePort();
    const pdx = await startServerChild(
      [...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []), path.join(ROOT, 'bin', 'pdx.js'), 'start'],
      {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        ...env,
        PDX_PORT: String(pdxPort),
        PDX_HOST: '127.0.0.1',
        PDX_DEMO: 'false',
        PDX_RATE_LIMIT: '1000000000',
        PDX_DB_POOL_SIZE: String(POOL),
      },
      path.join(dir, 'pdx.log'),
      `http://127.0.0.1:${pdxPort}/health`,
    );
    servers.push(pdx);
    let bareUrl = '';
    let bare: Awaited<ReturnType<typeof startServerChild>> | undefined;
    const pdxUrl = `http://127.0.0.1:${pdxPort}`;
    const pdxPath = (after: number | string) => `/api/v1/datasets/${world.code}/records?limit=${PAGE}&after=${after}`;
    const headers = { authorization: `Bearer ${world.key}` };
    const afterMax = Math.floor(ROWS * 0.9);

    // The baseline runs the very statement pdx runs (taken from the PostgreSQL log), or, without a log
    // of our own, the same SELECT written out here. Its parameters are [filter value, after, page].
    const p = world.physical;
    let sql = `SELECT _row, ${FIELDS.map((f) => quote(p[f.name]!)).join(', ')} FROM ${quote(world.relation)} WHERE ${quote(p['户籍地']!)} = $1 AND _row > $2 ORDER BY _row LIMIT $3`;
    const admin = database.serverLog && STATEMENTS > 0 ? new pg.Client(database.url) : undefined;
    await admin?.connect();
    try {
      let i = 0;
      const pdxStatements = admin
        ? await statementsPerRequest(admin, database.serverLog!, world.relation, 'pdx', STATEMENTS, async () => {
            const res = await fetch(`${pdxUrl}${pdxPath(i++ * 997)}`, { headers });
            if (res.status !== 200) throw new Error(`records: ${res.status} ${await res.text()}`);
            await res.arrayBuffer();
          })
        : undefined;
      if (pdxStatements && /^SELECT .* LIMIT \$3(::int)?$/.test(pdxStatements.query)) sql = pdxStatements.query;
      else console.log(`the baseline runs a SELECT written out in the bench (pdx's statement was not taken from a server log): ${sql}`);

      const barePort = await freePort();
      bare = await startServerChild(
        ['--import', 'tsx', path.join(BENCH_DIR, 'child', 'bare-records.ts')],
        {
          ...process.env,
          PDX_BENCH_BARE_JOB: JSON.stringify({
            databaseUrl: withApp(database.url, 'bench-bare'),
            port: barePort,
            sql,
            filterValue: CITY,
            page: PAGE,
            pool: POOL,
          }),
        } as Record<string, string>,
        path.join(dir, 'bare.log'),
        `http://127.0.0.1:${barePort}/records?after=0`,
      );
      servers.push(bare);
      bareUrl = `http://127.0.0.1:${barePort}`;

      // Both answer the same rows: the same number and the same next cursor for the same pages.
      for (const after of [0, Math.floor(afterMax / 2), afterMax - 1]) {
        const a = (await (await fetch(`${pdxUrl}${pdxPath(after)}`, { headers })).json()) as { rows: Record<string, unknown>[]; next: string | null };
        const b = (await (await fetch(`${bareUrl}/records?after=${after}`)).json()) as { rows: Record<string, unknown>[]; next: string | null };
        if (a.rows?.length !== PAGE || b.rows.length !== PAGE || a.next !== b.next) {
          throw new Error(
            `pdx and the baseline disagree after ${after}: ${a.rows?.length} vs ${b.rows.length} rows, next ${a.next} vs ${b.next} (${JSON.stringify(a).slice(0, 300)})`,
          );
        }
        if (after === 0) console.log(`first row, pdx: ${JSON.stringify(a.rows[0])}; baseline: ${JSON.stringify(b.rows[0])}`);
      }

      if (admin && pdxStatements) {
        const bareStatements = await statementsPerRequest(admin, database.serverLog!, world.relation, 'bench-bare', STATEMENTS, async () => {
          await (await fetch(`${bareUrl}/records?after=${i++ * 997}`)).arrayBuffer();
        });
        section(`SQL statements per request (PostgreSQL statement log, ${STATEMENTS} requests one at a time, minus an idle window of the same length)`);
        console.log(
          `pdx      ${pdxStatements.perRequest.toFixed(1)} statements per request (background in the idle window: ${pdxStatements.idlePerRequest.toFixed(1)} per request's time); data query: ${pdxStatements.query}`,
        );
        console.log(`baseline ${bareStatements.perRequest.toFixed(1)} statements per request; data query: ${bareStatements.query}`);
      }
    } finally {
      await admin?.end();
    }

    const load =
      (side: 'pdx' | 'baseline', seconds: number) =>
      async (round: number): Promise<LoadResult> => {
        const vary = { max: afterMax, seed: 1000 + round };
        const result =
          side === 'pdx'
            ? await httpLoad({ url: pdxUrl, path: pdxPath('{n}'), vary, headers, seconds })
            : await httpLoad({ url: bareUrl, path: '/records?after={n}', vary, seconds });
        if (result.errors > 0)
          throw new Error(`${side}: ${result.errors} of ${result.requests} requests failed (${JSON.stringify(result.statuses)}): ${result.firstError}`);
        return result;
      };
    const auditedBefore = await countAudit(database.url);
    started = performance.now();
    const rounds = await alternate({
      pdx: (r) => load('pdx', r < 0 ? WARMUP : SECONDS)(r),
      baseline: (r) => load('baseline', r < 0 ? WARMUP : SECONDS)(r),
    });
    const audited = (await countAudit(database.url)) - auditedBefore;

    section(
      `records API: pdx (own process) vs bare Fastify + pg (own process), load generator in a third process, ${CLIENTS} connections, ${PAGE}-row pages, ${SECONDS} s runs`,
    );
    const size = `${ROWS.toLocaleString('en-US')} rows, ~${Math.round(ROWS / 14).toLocaleString('en-US')} match 户籍地 = ${CITY}; 4 fields: masked, pseudonym of encrypted, clear, generalized`;
    reportLoad('records', rounds, { size, baselineName: 'bare Fastify + pg' });
    report({
      name: 'records p50 latency',
      size,
      unit: 'ms',
      pdx: rounds.pdx.map((r) => r.p50),
      baseline: rounds.baseline.map((r) => r.p50),
      baselineName: 'bare Fastify + pg',
      lowerIsBetter: true,
    });
    const requests = rounds.pdx.reduce((n, r) => n + r.requests, 0);
    console.log(
      `per round req/s: pdx ${rounds.pdx.map((r) => fmt(r.rps)).join(', ')}; baseline ${rounds.baseline.map((r) => fmt(r.rps)).join(', ')}. ` +
        `Bytes per response: pdx ${fmt(median(rounds.pdx.map((r) => r.bytesPerResponse)))}, baseline ${fmt(median(rounds.baseline.map((r) => r.bytesPerResponse)))}. ` +
        `data.read audit records written while measuring: ${audited.toLocaleString('en-US')} for ${requests.toLocaleString('en-US')} measured pdx requests (+ warm-up). ` +
        `Measuring took ${((performance.now() - started) / 1000).toFixed(0)} s.`,
    );
    const pm = pdx.memory();
    const bm = bare!.memory();
    console.log(
      `server memory after the runs: pdx peak RSS ${fmt(pm.peakMb)} MB (now ${fmt(pm.rssMb)} MB); bare server peak ${fmt(bm.peakMb)} MB (now ${fmt(bm.rssMb)} MB)`,
    );
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => undefined);
    if (PROFILE) console.log(`CPU profile of the pdx server in ${PROFILE_DIR} (kept)`);
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function countAudit(url: string): Promise<number> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM audit_records WHERE action = 'data.read'`)).rows[0]!.n);
  } finally {
    await client.end();
  }
}
