/**
 * Return flow (数据回流, issue 20 §3): a provincial dataset flows back to the cities and counties. The
 * authorization matrix: 朝阳市 sees its own rows and its counties', 双塔区 (a county of 朝阳) only its
 * own, 锦州市 none of 朝阳's; a consumer's own filter cannot widen its grant; an organisation added later
 * receives its grant; pausing stops every read; wrong roles are refused; reads are audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORDS, createOrg, provisionUser, waitForJob, type Client } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { publishCsv, startShareApp, type ShareTestApp } from './share-helpers.ts';

const CSV = [
  '姓名,区划代码,所在地区,人数',
  '张明华,211300,朝阳市,3',
  '李建国,211302,双塔区,2',
  '王淑芬,211321,朝阳县,4',
  '周海燕,211381,北票市,1',
  '赵德胜,210700,锦州市,5',
  '钱玉兰,210702,古塔区,2',
  '孙志强,210102,和平区,6',
].join('\n');

const CHAOYANG = ['211300', '211302', '211321', '211381'];
const SHUANGTA = ['211302'];
const JINZHOU = ['210700', '210702'];

describeEachBackend('duties: return flow', ({ use }) => {
  let t: ShareTestApp;
  let admin: Client;
  let secadmin: Client;
  let auditor: Client;
  let officer: Client;
  let chaoyang: Client;
  let shuangta: Client;
  let jinzhou: Client;
  let provinceConsumer: Client;
  let chaoyangOfficer: Client;
  let codeFlow: string;
  let nameFlow: string;
  let byCode: string;
  let byName: string;

  beforeAll(async () => {
    t = await startShareApp(use().db);
    admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    auditor = await t.login('auditor', ADMIN_PASSWORDS.auditor);
    const police = await createOrg(admin, '省公安厅');
    const province = await createOrg(admin, '省民政厅');
    const cy = await createOrg(admin, '朝阳市民政局', 'city', '211300');
    const st = await createOrg(admin, '双塔区民政局', 'county', '211302');
    const jz = await createOrg(admin, '锦州市民政局', 'city', '210700');
    officer = (await provisionUser(t, admin, 'ga-officer', ['data_officer'], police)).client;
    chaoyang = (await provisionUser(t, admin, 'cy-consumer', ['consumer'], cy)).client;
    chaoyangOfficer = (await provisionUser(t, admin, 'cy-officer', ['data_officer'], cy)).client;
    shuangta = (await provisionUser(t, admin, 'st-consumer', ['consumer'], st)).client;
    jinzhou = (await provisionUser(t, admin, 'jz-consumer', ['consumer'], jz)).client;
    provinceConsumer = (await provisionUser(t, admin, 'mzt-consumer', ['consumer'], province)).client;
    byCode = await publishCsv(officer, '户籍人口(回流)', CSV);
    byName = await publishCsv(officer, '户籍人口(按地区名称)', CSV);
  });
  afterAll(() => t?.close());

  const columns = [
    { name: '姓名', mode: 'masked' },
    { name: '区划代码', mode: 'clear' },
    { name: '所在地区', mode: 'clear' },
    { name: '人数', mode: 'clear' },
  ];
  const read = async (c: Client, code: string, query = '') => c.call('GET', `/api/v1/datasets/${code}/records?limit=100${query}`);
  const regions = async (c: Client, code: string, query = '') => {
    const res = await read(c, code, query);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().rows as { 区划代码: unknown }[]).map((r) => String(r.区划代码)).sort();
  };

  describe('setting up', () => {
    it('only the provider officer proposes; only the secadmin approves; nothing flows before', async () => {
      const body = { dataset: byCode, regionColumn: '区划代码', regionKind: 'code', columns };
      expect((await chaoyang.call('POST', '/api/v1/duties/return-flows', body)).statusCode).toBe(403);
      expect((await secadmin.call('POST', '/api/v1/duties/return-flows', body)).statusCode).toBe(403);
      expect((await chaoyangOfficer.call('POST', '/api/v1/duties/return-flows', body)).statusCode).toBe(403);
      // A region column that is not in the catalogue is a 400 naming the field.
      const bad = await officer.call('POST', '/api/v1/duties/return-flows', { ...body, regionColumn: '户籍地' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details).toMatchObject({ field: 'regionColumn' });
      const unknownColumn = await officer.call('POST', '/api/v1/duties/return-flows', { ...body, columns: [{ name: '不存在', mode: 'clear' }] });
      expect(unknownColumn.statusCode).toBe(400);

      const proposed = await officer.call('POST', '/api/v1/duties/return-flows', body);
      expect(proposed.statusCode, proposed.body).toBe(201);
      codeFlow = proposed.json().id;
      expect(proposed.json()).toMatchObject({
        state: 'proposed',
        regionColumn: '区划代码',
        regionKind: 'code',
        dataset: { code: byCode, name: '户籍人口(回流)' },
        providerName: '省公安厅',
      });
      const named = await officer.call('POST', '/api/v1/duties/return-flows', { ...body, dataset: byName, regionColumn: '所在地区', regionKind: 'name' });
      expect(named.statusCode, named.body).toBe(201);
      nameFlow = named.json().id;

      // Nothing flows before approval.
      expect((await read(chaoyang, byCode)).statusCode).toBe(403);
      // Approval is the secadmin's.
      expect((await officer.call('POST', `/api/v1/duties/return-flows/${codeFlow}/approve`, {})).statusCode).toBe(403);
      expect((await chaoyang.call('POST', `/api/v1/duties/return-flows/${codeFlow}/approve`, {})).statusCode).toBe(403);
      // Who sees a flow: its provider's officers and the secadmin; not a consumer, an auditor or another department.
      expect((await chaoyang.call('GET', `/api/v1/duties/return-flows/${codeFlow}`)).statusCode).toBe(403);
      expect((await auditor.call('GET', '/api/v1/duties/return-flows')).statusCode).toBe(403);
      expect((await chaoyangOfficer.call('GET', `/api/v1/duties/return-flows/${codeFlow}`)).statusCode).toBe(404);
      expect((await chaoyangOfficer.call('GET', '/api/v1/duties/return-flows')).json().items).toEqual([]);
      const listed = (await secadmin.call('GET', '/api/v1/duties/return-flows')).json().items as { dataset: { name: string }; providerName: string }[];
      // Names come from the catalogue and identity, one call of each for the list.
      expect(listed.map((f) => [f.dataset.name, f.providerName]).sort()).toEqual([
        ['户籍人口(回流)', '省公安厅'],
        ['户籍人口(按地区名称)', '省公安厅'],
      ]);
      const todo = (await secadmin.call('GET', '/api/v1/overview/todo')).json().items as { kind: string; count: number }[];
      expect(todo.find((i) => i.kind === 'returnFlowReviews')?.count).toBe(2);

      // A rejection goes back to the provider, who proposes again (the same flow).
      expect((await chaoyang.call('POST', `/api/v1/duties/return-flows/${nameFlow}/reject`, { reason: '信息项过多' })).statusCode).toBe(403);
      expect((await officer.call('POST', `/api/v1/duties/return-flows/${nameFlow}/reject`, { reason: '信息项过多' })).statusCode).toBe(403);
      const rejected = await secadmin.call('POST', `/api/v1/duties/return-flows/${nameFlow}/reject`, { reason: '请说明姓名的必要性' });
      expect(rejected.json()).toMatchObject({ state: 'rejected', decisionNote: '请说明姓名的必要性' });
      expect((await secadmin.call('POST', `/api/v1/duties/return-flows/${nameFlow}/approve`, {})).statusCode).toBe(409);
      const again = await officer.call('POST', '/api/v1/duties/return-flows', { ...body, dataset: byName, regionColumn: '所在地区', regionKind: 'name' });
      expect(again.json()).toMatchObject({ id: nameFlow, state: 'proposed' });
      // Resume and pause belong to the provider and the secadmin only.
      expect((await chaoyang.call('POST', `/api/v1/duties/return-flows/${nameFlow}/resume`)).statusCode).toBe(403);
      expect((await chaoyangOfficer.call('POST', `/api/v1/duties/return-flows/${nameFlow}/pause`, { reason: '不是我的' })).statusCode).toBe(404);

      for (const id of [codeFlow, nameFlow]) {
        const approved = await secadmin.call('POST', `/api/v1/duties/return-flows/${id}/approve`, { note: '同意回流' });
        expect(approved.statusCode, approved.body).toBe(200);
        expect(approved.json().state).toBe('active');
      }
      // The modes are fixed once approved.
      const fixed = await officer.call('POST', '/api/v1/duties/return-flows', { ...body, columns: [{ name: '姓名', mode: 'clear' }] });
      expect(fixed.statusCode).toBe(409);
      // The cities and counties are told.
      const inbox = (await chaoyang.call('GET', '/api/v1/notifications')).json().items as { kind: string }[];
      expect(inbox.some((n) => n.kind === 'duties.return_flow')).toBe(true);
    });
  });

  describe('authorization matrix', () => {
    it.each([
      ['code', () => byCode],
      ['name', () => byName],
    ])("by region %s: a city sees its rows and its counties', a county its own, another city none of them", async (_kind, code) => {
      expect(await regions(chaoyang, code())).toEqual(CHAOYANG);
      expect(await regions(shuangta, code())).toEqual(SHUANGTA);
      expect(await regions(jinzhou, code())).toEqual(JINZHOU);
      // A provincial department is not a level the data flows back to.
      expect((await read(provinceConsumer, code())).statusCode).toBe(403);
    });

    it('reads in the approved forms, and a consumer filter narrows but never widens', async () => {
      const rows = (await read(chaoyang, byCode)).json().rows as { 姓名: string; 区划代码: unknown }[];
      expect(rows.find((r) => String(r.区划代码) === '211300')!.姓名).not.toBe('张明华');
      expect(await regions(chaoyang, byCode, '&区划代码=eq.210700')).toEqual([]);
      expect(await regions(shuangta, byCode, '&所在地区=in.(朝阳市,双塔区,锦州市)')).toEqual(SHUANGTA);
      expect(await regions(jinzhou, byName, '&or=(所在地区.eq.朝阳市,所在地区.eq.锦州市)')).toEqual(['210700']);
    });
  });

  it('every data path of a return-flow grant keeps to its region: NDJSON, CSV, verification and export files', async () => {
    const codesIn = (text: string) => [...new Set(text.match(/21\d{4}/g) ?? [])].sort();
    for (const [c, own] of [
      [chaoyang, CHAOYANG],
      [shuangta, SHUANGTA],
      [jinzhou, JINZHOU],
    ] as const) {
      const ndjson = await c.call('GET', `/api/v1/datasets/${byCode}/records?limit=100`, undefined, { accept: 'application/x-ndjson' });
      expect(ndjson.statusCode).toBe(200);
      expect(codesIn(ndjson.body)).toEqual(own);
      const csv = await c.call('GET', `/api/v1/datasets/${byName}/records?limit=100`, undefined, { accept: 'text/csv' });
      expect(csv.statusCode).toBe(200);
      expect(codesIn(csv.body)).toEqual(own);
      // A verification answers for the organisation's own rows only: another region's row "does not exist".
      for (const code of ['211300', '211302', '210700', '210102']) {
        const v = await c.call('POST', `/api/v1/datasets/${byCode}/verify`, { match: { 区划代码: code } });
        expect(v.json(), `${code}`).toEqual({ match: own.includes(code) });
      }
      // An export file: the same rows as a read.
      const created = await c.call('POST', `/api/v1/datasets/${byCode}/exports`, { format: 'csv', query: '' });
      expect(created.statusCode, created.body).toBe(202);
      expect((await waitForJob(c, created.json().jobId)).error).toBeNull();
      const file = await c.call('GET', created.json().downloadUrl);
      expect(file.statusCode).toBe(200);
      expect(codesIn(file.body)).toEqual(own);
    }
  });

  it('an organisation added later receives its grant on the next sweep', async () => {
    const bp = await createOrg(admin, '北票市民政局', 'county', '211381');
    const beipiao = (await provisionUser(t, admin, 'bp-consumer', ['consumer'], bp)).client;
    expect((await read(beipiao, byCode)).statusCode).toBe(403);
    const made = await t.services.duties.returnFlow.sync();
    expect(made.filter((id) => id === bp)).toHaveLength(2);
    expect(await regions(beipiao, byCode)).toEqual(['211381']);
    expect(await regions(beipiao, byName)).toEqual(['211381']);
    // A second sweep makes nothing more.
    expect(await t.services.duties.returnFlow.sync()).toEqual([]);
  });

  it('shows per city what was delivered and read; pause stops reads, resume restores them', async () => {
    const status = await officer.call('GET', `/api/v1/duties/return-flows/${codeFlow}`);
    expect(status.statusCode).toBe(200);
    const items = status.json().deliveries as {
      orgName: string;
      cityName: string;
      grantState: string;
      responses: number;
      grantedAt: string | null;
      rowFilter: string | null;
    }[];
    const cy = items.find((i) => i.orgName === '朝阳市民政局')!;
    expect(cy).toMatchObject({ cityName: '朝阳市', grantState: 'active' });
    expect(cy.grantedAt).not.toBeNull();
    expect(cy.responses).toBeGreaterThanOrEqual(2);
    expect(cy.rowFilter).toContain('211302');
    expect(items.find((i) => i.orgName === '双塔区民政局')).toMatchObject({ cityName: '朝阳市', grantState: 'active' });
    expect(items.find((i) => i.orgName === '省民政厅')).toBeUndefined();

    // Pause: the provider officer or the secadmin; not a consumer.
    expect((await chaoyang.call('POST', `/api/v1/duties/return-flows/${codeFlow}/pause`, { reason: '数据核查' })).statusCode).toBe(403);
    const paused = await officer.call('POST', `/api/v1/duties/return-flows/${codeFlow}/pause`, { reason: '数据核查中' });
    expect(paused.statusCode, paused.body).toBe(200);
    expect(paused.json()).toMatchObject({ state: 'paused', pauseReason: '数据核查中' });
    for (const c of [chaoyang, shuangta, jinzhou]) {
      const res = await read(c, byCode);
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('grant_suspended');
    }
    // The other flow is not affected.
    expect(await regions(shuangta, byName)).toEqual(SHUANGTA);
    const during = (await officer.call('GET', `/api/v1/duties/return-flows/${codeFlow}`)).json().deliveries as { grantState: string }[];
    expect(during.every((d) => d.grantState === 'suspended')).toBe(true);
    expect((await officer.call('POST', `/api/v1/duties/return-flows/${codeFlow}/pause`, { reason: '再次暂停' })).statusCode).toBe(409);

    const resumed = await secadmin.call('POST', `/api/v1/duties/return-flows/${codeFlow}/resume`);
    expect(resumed.statusCode, resumed.body).toBe(200);
    expect(await regions(shuangta, byCode)).toEqual(SHUANGTA);

    // Every read and every step is in the audit log.
    const log = await auditor.call('GET', `/api/v1/audit/records?action=duties.return_flow_pause`);
    expect(log.statusCode, log.body).toBe(200);
    expect(log.json().items.length).toBeGreaterThanOrEqual(1);
    const denied = await auditor.call('GET', `/api/v1/audit/records?action=access.denied`);
    expect((denied.json().items as { details: { reason: string } }[]).some((r) => r.details.reason === 'grant_suspended')).toBe(true);
  });

  it('a return-flow grant past its end shows as expired, not active', async () => {
    const before = (await officer.call('GET', `/api/v1/duties/return-flows/${nameFlow}`)).json().deliveries as {
      orgName: string;
      grantId: string;
      grantState: string;
    }[];
    const st = before.find((d) => d.orgName === '双塔区民政局')!;
    expect(st.grantState).toBe('active');
    // The grant's end has come (test setup only: no API sets a return-flow grant's end).
    await t.db.query(`UPDATE share_grants SET expires_at = now() - interval '1 minute' WHERE id = $1`, [st.grantId]);
    const after = (await officer.call('GET', `/api/v1/duties/return-flows/${nameFlow}`)).json().deliveries as { orgName: string; grantState: string }[];
    expect(after.find((d) => d.orgName === '双塔区民政局')!.grantState).toBe('expired');
    expect(after.find((d) => d.orgName === '朝阳市民政局')!.grantState).toBe('active');
    expect((await read(shuangta, byName)).statusCode).toBe(403);
  });
});
