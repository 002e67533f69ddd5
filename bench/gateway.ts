/**
 * The interface gateway (issue 17 point 10), on a PostgreSQL server: calls of 企业信息查询 through
 * `/api/v1/services/{code}/companies/{uscc}` — API key, grant resolved from the database, operation
 * and parameters checked, the upstream credential added, two response fields masked, the audit record
 * committed before the answer — next to the same calls through a bare reverse proxy (Fastify +
 * @fastify/http-proxy, no policy, no audit: bench/child/bare-proxy.ts), in the same run, with 16
 * concurrent keep-alive clients from a load generator in its own process.
 *
 * Four processes besides the bench: the upstream (the demo world's, bench/child/demo-upstream.ts),
 * pdx as deployed (`pdx start`), the bare proxy, and the load generator. The service, users and grant
 * are set up through pdx's API in this process first, on the same database and master key.
 * One warm-up of each side, then PDX_BENCH_ROUNDS rounds alternating which side goes first; req/s
 * and p99 as medians with the median ratio (lib.ts report()). PDX_BENCH_ROUND_MS: length of a run.
 * PDX_BENCH_GATEWAY_PROFILE=1 writes a CPU profile of the pdx process (printed where).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate } from '../src/db/index.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { demoCompanies } from '../src/modules/demo/world-gateway.ts';
import { ADMIN_PASSWORDS, createOrg, provisionUser } from '../test/helpers/api.ts';
import { apiKey, startShareApp } from '../test/share-helpers.ts';
import {
  alternate,
  BENCH_DIR,
  benchDatabase,
  freePort,
  httpLoad,
  reportLoad,
  ROOT,
  section,
  startServerChild,
  type LoadResult,
  type ServerChild,
} from './lib.ts';

const CLIENTS = 16;
const POOL = 20;
const ROUND_MS = Number(process.env.PDX_BENCH_ROUND_MS ?? 5000);
const TOKEN = 'bench-upstream-token';
const PROFILE = process.env.PDX_BENCH_GATEWAY_PROFILE === '1';
const PROFILE_DIR = path.join(os.tmpdir(), `pdx-bench-gateway-profile-${process.pid}`);

const ok = async (what: string, res: Promise<{ statusCode: number; body: string; json(): { [k: string]: unknown } }>, status = 200) => {
  const r = await res;
  if (r.statusCode !== status) throw new Error(`${what}: ${r.statusCode} ${r.body}`);
  return r.json();
};

/** Registers the upstream as a service of 省市场监督管理局, granted to 朝阳市民政局 with two fields masked; returns its code and a key. */
async function setUp(url: string, env: Record<string, string>, upstreamPort: number): Promise<{ code: string; key: string }> {
  const db = await openPostgres(url, POOL);
  try {
    await migrate(db);
    const t = await startShareApp(db, { ...env, PDX_RATE_LIMIT: '1000000000' });
    try {
      const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
      const market = await createOrg(admin, '省市场监督管理局');
      const civil = await createOrg(admin, '朝阳市民政局', 'city', '211300');
      const officer = (await provisionUser(t, admin, 'sc-officer', ['data_officer'], market)).client;
      const consumer = (await provisionUser(t, admin, 'mz-consumer', ['consumer'], civil)).client;
      const fields = [
        { path: 'data.uscc', label: '统一社会信用代码' },
        { path: 'data.name', label: '企业名称' },
        { path: 'data.legalPerson.name', label: '法定代表人姓名' },
        { path: 'data.legalPerson.mobile', label: '联系电话' },
      ];
      const service = await ok(
        'register',
        officer.call('POST', '/api/v1/gateway/services', {
          name: '企业信息查询',
          baseUrl: `http://127.0.0.1:${upstreamPort}/api`,
          auth: { header: 'X-Api-Token', secret: TOKEN },
          operations: [
            {
              id: 'getCompany',
              method: 'GET',
              path: '/companies/{uscc}',
              parameters: [{ name: 'uscc', in: 'path', required: true }],
              fields: fields.map((f) => ({ ...f, dataType: 'text' })),
            },
          ],
        }),
        201,
      );
      const code = service.code as string;
      await ok('publish', officer.call('POST', `/api/v1/datasets/${code}/publish`));
      const request = await ok(
        'request',
        consumer.call('POST', '/api/v1/share/requests', {
          dataset: code,
          columns: fields.map((f) => f.path),
          operations: ['getCompany'],
          purpose: '低保申请人名下企业核查',
          purposeCategory: 'social_assistance',
          legalBasis: '《社会救助暂行办法》第十一条',
          endDate: '2099-06-30',
        }),
        201,
      );
      const modes = { 'data.legalPerson.name': 'masked', 'data.legalPerson.mobile': 'masked' } as Record<string, string>;
      await ok(
        'approve',
        officer.call('POST', `/api/v1/share/requests/${request.id as string}/approve`, {
          columns: fields.map((f) => ({ name: f.path, mode: modes[f.path] ?? 'clear' })),
        }),
      );
      return { code, key: await apiKey(consumer) };
    } finally {
      await t.close();
    }
  } finally {
    await db.close();
  }
}

export default async function run(): Promise<void> {
  const database = await benchDatabase('gateway');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-bench-gateway-'));
  const servers: ServerChild[] = [];
  try {
    const env = {
      PDX_DATABASE_URL: database.url,
      PDX_MASTER_KEY: randomBytes(32).toString('base64'),
      PDX_DATA_DIR: path.join(dir, 'data'),
      PDX_UPSTREAM_ALLOW: '127.0.0.1/32',
    };
    const child = (script: string) => ['--import', 'tsx', path.join(BENCH_DIR, 'child', script)];
    const upstreamPort = await freePort();
    const upstreamBase = `http://127.0.0.1:${upstreamPort}`;
    servers.push(
      await startServerChild(
        child('demo-upstream.ts'),
        { ...process.env, PDX_BENCH_UPSTREAM_JOB: JSON.stringify({ port: upstreamPort, token: TOKEN }) } as Record<string, string>,
        path.join(dir, 'upstream.log'),
        {
          url: `${upstreamBase}/api/health`,
          headers: { 'x-api-token': TOKEN },
        },
      ),
    );
    const { code, key } = await setUp(database.url, env, upstreamPort);

    // pdx as deployed: `pdx start`, its own process.
    const pdxPort = await freePort();
    const pdxBase = `http://127.0.0.1:${pdxPort}`;
    servers.push(
      await startServerChild(
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
        `${pdxBase}/health`,
      ),
    );
    const proxyPort = await freePort();
    const proxyBase = `http://127.0.0.1:${proxyPort}`;
    servers.push(
      await startServerChild(
        child('bare-proxy.ts'),
        { ...process.env, PDX_BENCH_PROXY_JOB: JSON.stringify({ port: proxyPort, upstream: upstreamBase }) } as Record<string, string>,
        path.join(dir, 'proxy.log'),
        `${proxyBase}/ready`,
      ),
    );

    const company = demoCompanies()[0]!;
    const pdxPath = `/api/v1/services/${code}/companies/${company.uscc}`;
    const proxyPath = `/api/companies/${company.uscc}`;
    const sample = await fetch(`${pdxBase}${pdxPath}`, { headers: { authorization: `Bearer ${key}` } });
    if (sample.status !== 200) throw new Error(`gateway call: ${sample.status} ${await sample.text()}`);
    console.log(`one answer through pdx: ${await sample.text()}`);
    const bare = await fetch(`${proxyBase}${proxyPath}`, { headers: { 'x-api-token': TOKEN } });
    if (bare.status !== 200) throw new Error(`bare proxy call: ${bare.status} ${await bare.text()}`);
    console.log(`one answer through the bare proxy: ${(await bare.text()).slice(0, 200)}`);

    let errors = 0;
    const load = async (url: string, path: string, headers: Record<string, string>): Promise<LoadResult> => {
      const r = await httpLoad({ url, path, headers, connections: CLIENTS, seconds: ROUND_MS / 1000 });
      errors += r.errors;
      return r;
    };
    const rounds = await alternate({
      pdx: () => load(pdxBase, pdxPath, { authorization: `Bearer ${key}` }),
      baseline: () => load(proxyBase, proxyPath, { 'x-api-token': TOKEN }),
    });
    section(
      `interface gateway vs a bare reverse proxy, ${CLIENTS} concurrent clients (pdx, proxy, upstream and load generator each in its own process, PostgreSQL server)`,
    );
    const size = `1 operation, 4 fields (2 masked), audit before each answer; errors ${errors}`;
    reportLoad('gateway', rounds, { size, baselineName: 'bare proxy' });
    const db = await openPostgres(database.url, 1);
    const audited = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_records WHERE action = 'gateway.call'`))[0]!.n;
    await db.close();
    console.log(`gateway.call audit records written: ${audited.toLocaleString('en-US')}`);
  } finally {
    for (const s of servers.reverse()) await s.stop();
    if (PROFILE) console.log(`CPU profile of the pdx server in ${PROFILE_DIR} (kept)`);
    fs.rmSync(dir, { recursive: true, force: true });
    await database.close();
  }
}
