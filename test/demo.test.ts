import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FARMLAND_TOTAL, BASIC_FARMLAND_TOTAL } from '../src/modules/demo/world.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

describe('demo world on first start', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ PDX_DEMO: 'true', PDX_DEMO_PEOPLE: '2000' });
  });
  afterAll(() => server?.close());

  it('creates the departments of the seed page and accounts for every working role, passwords returned once', () => {
    const accounts = server.demoAccounts ?? [];
    expect(accounts.map((a) => a.org)).toEqual(expect.arrayContaining(['省公安厅', '朝阳市民政局', '鞍钢集团朝阳钢铁有限公司', '锦州市文化旅游和广播电视局']));
    expect(new Set(accounts.flatMap((a) => a.roles))).toEqual(new Set(['data_officer', 'consumer']));
    expect(server.firstCredentials?.map((c) => c.role).sort()).toEqual(['auditor', 'secadmin', 'sysadmin']);
  });

  it('has an open alert once the security worker has read the demo password guessing', async () => {
    await expect.poll(async () => (await server.db.query(`SELECT 1 FROM secops_alerts WHERE state = 'open'`)).length).toBeGreaterThan(0);
  });

  it('has one active grant and one request waiting for its provider', async () => {
    const states = await server.db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM share_requests GROUP BY state ORDER BY state`);
    expect(states).toEqual(expect.arrayContaining([{ state: 'active', n: 1 }, { state: 'submitted', n: 1 }]));
  });

  it('feeds the overview with assets by department and grade', async () => {
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'zy-minzheng', password: server.demoAccounts!.find((a) => a.username === 'zy-minzheng')!.password }),
    });
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const overview = await (await fetch(`${server.url}/api/v1/overview`, { headers: { cookie } })).json();
    expect(overview.totals.datasets).toBe(7);
    expect(overview.assets).toContainEqual({ org: '省公安厅', grade: 4, datasets: 1, rows: 2000 });
    expect((await fetch(`${server.url}/api/v1/overview`)).status).toBe(401);
  });

  it('publishes the seed datasets with generated, realistic data', async () => {
    const { catalog } = server.platform.services;
    const published = await catalog.repo.published();
    const byName = Object.fromEntries(published.map((d) => [d.name, d]));
    expect(Object.keys(byName)).toEqual(
      expect.arrayContaining(['户籍人口信息', '耕地保护任务分解', '科技型企业登记信息', '全国科普日活动', '锦州金秋文化旅游季活动', '信访事项登记', '朝阳钢铁生产线传感器读数']),
    );
    expect(byName['全国科普日活动']!.row_count).toBeGreaterThanOrEqual(3000);
    expect(byName['户籍人口信息']).toMatchObject({ row_count: 2000, grade: 4, share_type: 'conditional' });
    expect(byName['锦州金秋文化旅游季活动']).toMatchObject({ open_type: 'unconditional' });

    // Farmland by city adds up to the seed's 7603万亩 and 6251万亩 exactly.
    const farmland = byName['耕地保护任务分解']!;
    const [sums] = await server.db.query<{ farmland: string; basic: string; cities: number }>(
      `SELECT sum(c003)::text AS farmland, sum(c004)::text AS basic, count(*)::int AS cities FROM ${farmland.relation}`,
    );
    expect(sums).toEqual({ farmland: `${FARMLAND_TOTAL}.0`, basic: `${BASIC_FARMLAND_TOTAL}.0`, cities: 14 });

    // Every resident ID and credit code passes its checksum (the classifier saw no failures).
    for (const [name, column] of [['户籍人口信息', '身份证号'], ['科技型企业登记信息', '统一社会信用代码']] as const) {
      const columns = await catalog.repo.columns(byName[name]!.id);
      const types = (columns.find((c) => c.name === column)!.classification as { types: { matched: number; checksumFailed: number }[] }).types;
      expect(types[0]).toMatchObject({ matched: 1, checksumFailed: 0 });
    }
  });
});
