import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FARMLAND_TOTAL, BASIC_FARMLAND_TOTAL } from '../src/modules/demo/world.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { sessionHeaders } from './helpers/http.ts';

describe('demo world on first start', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ PDX_DEMO: 'true', PDX_DEMO_PEOPLE: '2000' });
  });
  afterAll(() => server?.close());

  /** Signs a demo account in with its once-shown password; returns the session cookie. */
  async function sessionOf(username: string): Promise<string> {
    return (await sessionHeaders(server.url, username, server.demoAccounts!.find((a) => a.username === username)!.password)).cookie;
  }

  it('creates the departments of the seed page and accounts for every working role, passwords returned once', () => {
    const accounts = server.demoAccounts ?? [];
    expect(accounts.map((a) => a.org)).toEqual(expect.arrayContaining(['省公安厅', '朝阳市民政局', '鞍钢集团朝阳钢铁有限公司', '锦州市文化旅游和广播电视局']));
    expect(new Set(accounts.flatMap((a) => a.roles))).toEqual(new Set(['data_officer', 'consumer']));
    expect(server.firstCredentials?.map((c) => c.role).sort()).toEqual(['auditor', 'secadmin', 'sysadmin']);
  });

  it('has an open alert once the security worker has read the demo password guessing', async () => {
    await expect.poll(async () => (await server.db.query(`SELECT 1 FROM secops_alerts WHERE state = 'open'`)).length).toBeGreaterThan(0);
  });

  it('has two active grants and one request waiting for its provider', async () => {
    const states = await server.db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM share_requests GROUP BY state ORDER BY state`);
    expect(states).toEqual(
      expect.arrayContaining([
        { state: 'active', n: 2 },
        { state: 'submitted', n: 1 },
      ]),
    );
  });

  it('has one overdue request escalated, one objection pending with its row flagged, one correction applied', async () => {
    const { duties } = server.platform.services;
    // Truly past its time limit now (not only with a moved clock): the console shows it overdue, next to 已上报主管部门.
    const [pending] = await server.platform.services.share.share.allRequests({ states: ['submitted'] });
    const clock = (await duties.service.clocksOf([pending!])).get(pending!.id)!.current!;
    expect(clock).toMatchObject({ stage: 'provider', state: 'overdue' });
    expect(clock.escalatedAt).not.toBeNull();
    expect(clock.dueAt.getTime()).toBeLessThan(Date.now());
    const police = (await duties.service.departments()).find((d) => d.orgName === '省公安厅')!;
    expect(police).toMatchObject({ escalated: 1 });
    expect(police.overdueOpen).toBeGreaterThanOrEqual(1);
    const all = await duties.objections.list({ kind: 'user', userId: '', username: 'secadmin', orgId: '', roles: ['secadmin'] }, {});
    expect(all.map((o) => o.state).sort()).toEqual(['accepted', 'open']);
    const brain = await sessionOf('zy-brain');
    const sensors = (await server.platform.services.catalog.published()).find((d) => d.name === '朝阳钢铁生产线传感器读数')!;
    const res = await fetch(`${server.url}/api/v1/datasets/${sensors.code}/records?limit=1`, { headers: { cookie: brain } });
    expect(res.headers.get('x-pdx-flagged-rows')).toBe('7');
  });

  it('户籍人口 flows back to 朝阳市 and its counties, each reading its own region; a data need is answered with a linked dataset', async () => {
    const { duties, catalog } = server.platform.services;
    const people = (await catalog.published()).find((d) => d.name === '户籍人口信息')!;
    const secadmin = { kind: 'user' as const, userId: '', username: 'secadmin', orgId: '', roles: ['secadmin' as const] };
    const [flow] = await duties.returnFlow.list(secadmin);
    expect(flow).toMatchObject({ state: 'active', dataset_code: people.code });
    const { items } = await duties.returnFlow.deliveries(secadmin, flow!.id);
    const names = items.filter((i) => i.cityName === '朝阳市' && i.grantState === 'active').map((i) => i.orgName);
    expect(names).toEqual(expect.arrayContaining(['朝阳市民政局', '朝阳市双塔区人民政府', '北票市人民政府']));
    // 朝阳市民政局 reads under its return-flow grant: only codes of 朝阳 (2113xx), 姓名 masked.
    const cookie = await sessionOf('zy-minzheng');
    const grant = items.find((i) => i.orgName === '朝阳市民政局')!.grantId!;
    const res = await fetch(`${server.url}/api/v1/datasets/${people.code}/records?limit=200&grant=${grant}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const rows = ((await res.json()) as { rows: Record<string, unknown>[] }).rows;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => String(r['户籍地代码']).startsWith('2113') && r['户籍地'] === '朝阳市')).toBe(true);
    expect(rows[0]).not.toHaveProperty('手机号');

    const needs = await duties.demands.list(secadmin, {});
    expect(needs).toHaveLength(1);
    expect(needs[0]).toMatchObject({
      state: 'answered',
      answer_kind: 'linked',
      answer_dataset_code: people.code,
      raised_org_name: '朝阳市民政局',
      assigned_org_name: '省公安厅',
    });
  });

  it('has ratings on three datasets, an overdue catalogue entry whose officers were reminded, and usage to count', async () => {
    const { duties, catalog } = server.platform.services;
    const secadmin = { kind: 'user' as const, userId: '', username: 'secadmin', orgId: '', roles: ['secadmin' as const] };
    expect((await duties.ratings.summaries()).map((s) => s.count)).toEqual([1, 1, 1]);
    const entries = await duties.upkeep.entries();
    const overdue = entries.filter((e) => e.upkeep.state === 'overdue').map((e) => e.facts.name);
    expect(overdue).toContain('科技型企业登记信息');
    const register = (await catalog.published()).find((d) => d.name === '科技型企业登记信息')!;
    const cookie = await sessionOf('kj-officer');
    const inbox = (await (await fetch(`${server.url}/api/v1/notifications`, { headers: { cookie } })).json()) as {
      items: { kind: string; body: { dataset?: string } }[];
    };
    expect(inbox.items.filter((n) => n.kind === 'duties.upkeep_overdue' && n.body.dataset === register.code)).toHaveLength(1);
    const usage = await duties.evaluation.usage(secadmin, {});
    expect(usage.byDataset.map((d) => d.name)).toEqual(expect.arrayContaining(['朝阳钢铁生产线传感器读数', '信访事项登记', '户籍人口信息']));
    const scores = await duties.evaluation.scores(secadmin);
    expect(scores.items.find((i) => i.orgName === '省科技厅')?.catalogue).toMatchObject({ overdue: 1 });
  });

  it('朝阳市民政局 reads the petitions of 朝阳市 with 事项内容 redacted', async () => {
    const cookie = await sessionOf('zy-minzheng');
    const dataset = (await server.platform.services.catalog.published()).find((d) => d.name === '信访事项登记')!;
    const res = await fetch(`${server.url}/api/v1/datasets/${dataset.code}/records?limit=50`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: Record<string, string>[] };
    expect(body.rows.length).toBeGreaterThan(0);
    for (const row of body.rows) {
      expect(row['所在地']).toBe('朝阳市');
      expect(row['事项内容']).toMatch(/^信访人〔姓名〕，[男女]，〔出生日期〕出生，身份证号〔身份证号〕，现住〔地址〕，联系电话〔手机号〕。/);
      expect(row['事项内容']).not.toMatch(/\d{6}/);
      expect(Object.keys(row)).not.toContain('信访人');
    }
  });

  it('opens its datasets on the portal: three without conditions, one on application with an application waiting, the petitions only de-identified', async () => {
    // As anyone sees the portal: no sign-in.
    const search = (await (await fetch(`${server.url}/api/v1/open/datasets?pageSize=100`)).json()) as {
      items: { code: string; name: string; openType: string }[];
    };
    const byName = Object.fromEntries(search.items.map((d) => [d.name, d]));
    expect(Object.keys(byName).sort()).toEqual(['信访事项登记', '全国科普日活动', '科技型企业登记信息', '耕地保护任务分解', '锦州金秋文化旅游季活动'].sort());
    for (const name of ['锦州金秋文化旅游季活动', '全国科普日活动', '耕地保护任务分解']) expect(byName[name]!.openType, name).toBe('unconditional');
    expect(byName['科技型企业登记信息']!.openType).toBe('conditional');
    // 户籍人口信息 (4级) is not opened at all.
    expect(byName['户籍人口信息']).toBeUndefined();

    // One enterprise application waits for the providing department.
    const waiting = await server.db.query<{ dataset_name: string; state: string }>(`SELECT dataset_name, state FROM open_applications`);
    expect(waiting).toEqual([{ dataset_name: '科技型企业登记信息', state: 'submitted' }]);

    // The petitions: a release that passed its check, without the petitioners' direct identifiers,
    // the district generalized; its rows hold none of the removed columns.
    const petitions = byName['信访事项登记']!.code;
    const page = (await (await fetch(`${server.url}/api/v1/open/datasets/${petitions}`)).json()) as {
      columns: { name: string; generalization: unknown }[];
      deidentification: { k: number | null; thresholds: { k: number }; removedColumns: number; quasiIdentifiers: string[] };
    };
    const names = page.columns.map((c) => c.name);
    for (const direct of ['信访人', '联系电话', '事项编号']) expect(names).not.toContain(direct);
    expect(page.deidentification.removedColumns).toBeGreaterThanOrEqual(3);
    expect(page.deidentification.quasiIdentifiers).toEqual(expect.arrayContaining(['所在地', '登记日期']));
    expect(page.deidentification.k).toBeGreaterThanOrEqual(page.deidentification.thresholds.k);
    expect(page.columns.find((c) => c.name === '所在地')!.generalization).not.toBeNull();
    const rows = (await (await fetch(`${server.url}/api/v1/open/datasets/${petitions}/records?limit=100`)).json()) as { rows: Record<string, unknown>[] };
    expect(rows.rows.length).toBeGreaterThan(0);
    for (const row of rows.rows) for (const direct of ['信访人', '联系电话', '事项编号']) expect(Object.keys(row)).not.toContain(direct);
  });

  it('feeds the overview with assets by department and grade', async () => {
    const cookie = await sessionOf('zy-minzheng');
    const overview = await (await fetch(`${server.url}/api/v1/overview`, { headers: { cookie } })).json();
    expect(overview.totals.datasets).toBe(7);
    expect(overview.assets).toContainEqual({ org: '省公安厅', grade: 4, datasets: 1, rows: 2000 });
    expect((await fetch(`${server.url}/api/v1/overview`)).status).toBe(401);
  });

  it('publishes the seed datasets with generated, realistic data', async () => {
    const { catalog } = server.platform.services;
    const published = await catalog.published();
    const byName = Object.fromEntries(published.map((d) => [d.name, d]));
    expect(Object.keys(byName)).toEqual(
      expect.arrayContaining([
        '户籍人口信息',
        '耕地保护任务分解',
        '科技型企业登记信息',
        '全国科普日活动',
        '锦州金秋文化旅游季活动',
        '信访事项登记',
        '朝阳钢铁生产线传感器读数',
      ]),
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
    for (const [name, column] of [
      ['户籍人口信息', '身份证号'],
      ['科技型企业登记信息', '统一社会信用代码'],
    ] as const) {
      const columns = await catalog.columnsOf(byName[name]!.id);
      const types = columns.find((c) => c.name === column)!.classification.types!;
      expect(types[0]).toMatchObject({ matched: 1, checksumFailed: 0 });
    }
  });

  it("runs README's curl example as written once the journey's grant exists", async () => {
    const login = async (username: string, password: string) => {
      const headers = { ...(await sessionHeaders(server.url, username, password)), 'content-type': 'application/json' };
      return async (method: string, path: string, body?: unknown) => {
        const r = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
        const text = await r.text();
        return { status: r.status, json: text ? JSON.parse(text) : undefined };
      };
    };
    const demo = (username: string) => server.demoAccounts!.find((a) => a.username === username)!.password;
    // Journey steps 4-5: 省公安厅 approves 朝阳市民政局's waiting request, the secadmin as well (4级 column).
    const officer = await login('ga-officer', demo('ga-officer'));
    const waiting = (await officer('GET', '/api/v1/share/requests?state=submitted')).json.items[0];
    const approved = await officer('POST', `/api/v1/share/requests/${waiting.id}/approve`, {
      columns: [
        { name: '姓名', mode: 'masked' },
        { name: '身份证号', mode: 'pseudonym' },
        { name: '住址', mode: 'generalized', generalize: { address: 'district' } },
      ],
    });
    expect(approved.status).toBe(200);
    const generated = server.firstCredentials!.find((c) => c.role === 'secadmin')!.password!;
    const first = await login('secadmin', generated);
    expect((await first('POST', '/api/v1/auth/password', { currentPassword: generated, newPassword: 'Hunnan-Guard-2027' })).status).toBe(204);
    expect((await first('POST', `/api/v1/share/requests/${waiting.id}/security-approve`, {})).status).toBe(200);
    const consumer = await login('zy-minzheng', demo('zy-minzheng'));
    const key = (await consumer('POST', '/api/v1/api-keys', { name: '低保资格核验系统' })).json.key as string;

    // The example exactly as README shows it, pointed at this server.
    const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const command = /```sh\n(curl [^`]*?)\n#/.exec(readme)![1]!.replace('http://localhost:8080', server.url);
    expect(command).toContain('--data-urlencode');
    const { stdout } = await promisify(execFile)('sh', ['-c', command], { env: { ...process.env, PDX_KEY: key } });
    const body = JSON.parse(stdout) as { rows: Record<string, string>[]; next: string | null };
    expect(body.rows.length).toBeGreaterThan(0);
    for (const row of body.rows) {
      expect(Object.keys(row).sort()).toEqual(['住址', '姓名', '身份证号'].sort());
      expect(row['姓名']).toContain('*');
      expect(row['住址']).toMatch(/^辽宁省朝阳市/);
    }
  });
});
