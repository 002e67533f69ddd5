/**
 * The interface gateway (issue 17 point 10), on a PostgreSQL server: calls of 企业信息查询 through
 * `/api/v1/services/{code}/companies/{uscc}` — API key, grant resolved from the database, operation
 * and parameters checked, the upstream credential added, two response fields masked, the audit record
 * committed before the answer — next to the same calls made to the upstream directly (no pdx), in the
 * same run, with 16 concurrent keep-alive clients from a load generator in its own process.
 *
 * The upstream is the demo world's (src/modules/demo/world-gateway.ts), in this process; pdx (the
 * test platform, listening) in this process too, so both sides share the one upstream.
 * One warm-up of each side, then PDX_BENCH_ROUNDS rounds alternating which side goes first; req/s
 * and p99 as medians with the median ratio (lib.ts report()). PDX_BENCH_ROUND_MS: length of a run.
 */
import { migrate } from '../src/db/index.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { demoCompanies, startDemoUpstream } from '../src/modules/demo/world-gateway.ts';
import { ADMIN_PASSWORDS, createOrg, provisionUser } from '../test/helpers/api.ts';
import { apiKey, startShareApp } from '../test/share-helpers.ts';
import { alternate, benchDatabase, httpLoad, report, section, type LoadResult } from './lib.ts';

const CLIENTS = 16;
const ROUND_MS = Number(process.env.PDX_BENCH_ROUND_MS ?? 5000);
const TOKEN = 'bench-upstream-token';

export default async function run(): Promise<void> {
  const database = await benchDatabase('gateway');
  const db = await openPostgres(database.url, 20);
  await migrate(db);
  const upstream = await startDemoUpstream({ port: 0, host: '127.0.0.1', token: TOKEN });
  const t = await startShareApp(db, { PDX_RATE_LIMIT: '1000000000', PDX_UPSTREAM_ALLOW: '127.0.0.1/32' });
  try {
    const ok = async (what: string, res: Promise<{ statusCode: number; body: string; json(): { [k: string]: unknown } }>, status = 200) => {
      const r = await res;
      if (r.statusCode !== status) throw new Error(`${what}: ${r.statusCode} ${r.body}`);
      return r.json();
    };
    const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    const market = await createOrg(admin, '省市场监督管理局');
    const civil = await createOrg(admin, '朝阳市民政局', 'city', '211300');
    const officer = (await provisionUser(t, admin, 'sc-officer', ['data_officer'], market)).client;
    const consumer = (await provisionUser(t, admin, 'mz-consumer', ['consumer'], civil)).client;
    const company = demoCompanies()[0]!;
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
        baseUrl: `http://127.0.0.1:${upstream.port}/api`,
        auth: { header: 'X-Api-Token', secret: TOKEN },
        operations: [{ id: 'getCompany', method: 'GET', path: '/companies/{uscc}', parameters: [{ name: 'uscc', in: 'path', required: true }], fields: fields.map((f) => ({ ...f, dataType: 'text' })) }],
      }),
      201,
    );
    const code = service.code as string;
    await ok('publish', officer.call('POST', `/api/v1/datasets/${code}/publish`));
    const request = await ok(
      'request',
      consumer.call('POST', '/api/v1/share/requests', { dataset: code, columns: fields.map((f) => f.path), operations: ['getCompany'], purpose: '低保申请人名下企业核查', purposeCategory: 'social_assistance', legalBasis: '《社会救助暂行办法》第十一条', endDate: '2099-06-30' }),
      201,
    );
    const modes = { 'data.legalPerson.name': 'masked', 'data.legalPerson.mobile': 'masked' } as Record<string, string>;
    await ok('approve', officer.call('POST', `/api/v1/share/requests/${request.id as string}/approve`, { columns: fields.map((f) => ({ name: f.path, mode: modes[f.path] ?? 'clear' })) }));
    const key = await apiKey(consumer);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const pdxBase = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const upstreamBase = `http://127.0.0.1:${upstream.port}`;
    const pdxPath = `/api/v1/services/${code}/companies/${company.uscc}`;
    const directPath = `/api/companies/${company.uscc}`;
    const sample = await fetch(`${pdxBase}${pdxPath}`, { headers: { authorization: `Bearer ${key}` } });
    if (sample.status !== 200) throw new Error(`gateway call: ${sample.status} ${await sample.text()}`);
    console.log(`one answer through pdx: ${await sample.text()}`);

    let errors = 0;
    const load = async (url: string, path: string, headers: Record<string, string>): Promise<LoadResult> => {
      const r = await httpLoad({ url, path, headers, connections: CLIENTS, seconds: ROUND_MS / 1000 });
      errors += r.errors;
      return r;
    };
    const rounds = await alternate({
      pdx: () => load(pdxBase, pdxPath, { authorization: `Bearer ${key}` }),
      baseline: () => load(upstreamBase, directPath, { 'x-api-token': TOKEN }),
    });
    section(`interface gateway vs the upstream called directly, ${CLIENTS} concurrent clients (load generator in its own process, PostgreSQL server)`);
    const size = `1 operation, 4 fields (2 masked), audit before each answer; errors ${errors}`;
    report({ name: 'gateway req/s', size, unit: 'req/s', pdx: rounds.pdx.map((r) => r.rps), baseline: rounds.baseline.map((r) => r.rps), baselineName: 'upstream directly' });
    report({ name: 'gateway p99 latency', size, unit: 'ms', pdx: rounds.pdx.map((r) => r.p99), baseline: rounds.baseline.map((r) => r.p99), baselineName: 'upstream directly', lowerIsBetter: true });
    const audited = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_records WHERE action = 'gateway.call'`))[0]!.n;
    console.log(`gateway.call audit records written: ${audited.toLocaleString('en-US')}`);
  } finally {
    await t.close();
    await upstream.app.close();
    await db.close();
    await database.close();
  }
}
