/**
 * The open-data API through the real app: releases and their check, the portal, downloads and the
 * open API, and the authorization boundaries between anonymous callers, society users and government
 * roles (a society session or key never passes a console check; a console session counts for nothing
 * on the portal).
 */
import { beforeAll, expect, it } from 'vitest';
import { csvOf, openDataset, openWorld, PETITION_HEADER, societyClient, type OpenWorld } from './open-helpers.ts';
import { uploadCsv } from './share-helpers.ts';
import type { Client, TestApp } from './helpers/api.ts';
import { startTestApp } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { memorySink } from '../src/modules/audit/events.ts';
import { createLimiter } from '../src/modules/open/limiter.ts';
import { createPortalService } from '../src/modules/open/portal.ts';

describeEachBackend('open data API', ({ use }) => {
  let t: TestApp;
  let w: OpenWorld;
  let citizen: Client;
  let citizenKey: string;

  beforeAll(async () => {
    t = await startTestApp(use().db, { PDX_PUBLIC_URL: 'https://data.ln.gov.cn', PDX_OPEN_ANONYMOUS_PER_MINUTE: '100000' });
    w = await openWorld(t);
    await t.services.open.service.society.seed({ email: 'citizen@example.cn', password: 'Hunhe-River-2026!', kind: 'individual', displayName: '张先生' });
    citizen = await societyClient(t, 'citizen@example.cn', 'Hunhe-River-2026!');
    const key = await citizen.call('POST', '/api/v1/open/account/keys', { name: '我的应用' });
    expect(key.statusCode, key.body).toBe(201);
    citizenKey = key.json().key;
    return () => t.close();
  });

  it('proposes a plan from the classification: 4级 and direct identifiers removed, 3级 generalized', async () => {
    const res = await w.officer.call('POST', '/api/v1/open/manage/releases', { dataset: w.petitions });
    expect(res.statusCode, res.body).toBe(201);
    const plan = Object.fromEntries(res.json().columns.map((c: { name: string; role: string }) => [c.name, c.role]));
    expect(plan).toMatchObject({ 身份证号: 'direct', 姓名: 'direct', 事项编号: 'direct', 性别: 'quasi', 区县: 'quasi', 诉求类别: 'sensitive' });
    const detail = (await w.officer.call('GET', `/api/v1/open/manage/releases/${res.json().id}`)).json();
    expect(detail.columnInfo.find((c: { name: string }) => c.name === '身份证号')).toMatchObject({ grade: 4, lock: { zh: '4级信息项不予开放' } });
    // 4级 cannot be opened, in any role.
    const columns = res.json().columns.map((c: { name: string }) => (c.name === '身份证号' ? { ...c, role: 'insensitive' } : c));
    const refused = await w.officer.call('PUT', `/api/v1/open/manage/releases/${res.json().id}`, { columns });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('grade4_never_opened');
    expect(refused.json().error.message).toContain('身份证号');
    // A 3级 column only de-identified: a quasi-identifier generalized at least one level.
    const raw = res.json().columns.map((c: { name: string }) => (c.name === '姓名' ? { ...c, role: 'insensitive' } : c));
    expect((await w.officer.call('PUT', `/api/v1/open/manage/releases/${res.json().id}`, { columns: raw })).json().error.code).toBe('direct_identifier');
    await w.officer.call('DELETE', `/api/v1/open/manage/releases/${res.json().id}`);
  });

  it('refuses publication until the check passes, proposes generalizations with their loss, then publishes', async () => {
    const created = (await w.officer.call('POST', '/api/v1/open/manage/releases', { dataset: w.petitions })).json();
    const plan = created.columns.map((c: { name: string }) =>
      c.name === '年龄'
        ? { ...c, role: 'quasi', hierarchy: 'age', level: 0 }
        : c.name === '登记日期'
          ? { ...c, role: 'quasi', hierarchy: 'date', level: 0 }
          : c,
    );
    expect((await w.officer.call('PUT', `/api/v1/open/manage/releases/${created.id}`, { columns: plan })).statusCode).toBe(200);
    const checked = (await w.officer.call('POST', `/api/v1/open/manage/releases/${created.id}/check`)).json();
    expect(checked.report.passed).toBe(false);
    expect(checked.report.result.misses).toContain('suppression');
    expect(checked.report.proposals.length).toBeGreaterThan(0);
    for (const p of checked.report.proposals) {
      expect(p.passes).toBe(true);
      expect(p.informationLoss).toBeGreaterThan(0);
      expect(p.k).toBeGreaterThanOrEqual(5);
    }
    const refused = await w.officer.call('POST', `/api/v1/open/manage/releases/${created.id}/publish`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('release_check_failed');
    expect(t.events.some((e) => e.action === 'open.release.publish' && e.result === 'denied')).toBe(true);
    // Apply the first proposal: its levels go into the plan.
    const levels = new Map(checked.report.proposals[0].levels.map((l: { name: string; level: number }) => [l.name, l.level]));
    const applied = checked.columns.map((c: { name: string; level: number }) => (levels.has(c.name) ? { ...c, level: levels.get(c.name) } : c));
    expect((await w.officer.call('PUT', `/api/v1/open/manage/releases/${created.id}`, { columns: applied })).statusCode).toBe(200);
    expect((await w.officer.call('POST', `/api/v1/open/manage/releases/${created.id}/check`)).json().report.passed).toBe(true);
    const published = await w.officer.call('POST', `/api/v1/open/manage/releases/${created.id}/publish`);
    expect(published.statusCode, published.body).toBe(200);
    expect(published.json()).toMatchObject({ state: 'published', passed: true });
    expect(published.json().report.snapshot.k).toBeGreaterThanOrEqual(5);
    const report = await w.officer.call('GET', `/api/v1/open/manage/releases/${created.id}/report`);
    expect(report.headers['content-disposition']).toContain('deid-report');
    expect(report.json().standards.join()).toContain('GB/T 37964');

    // The portal reads the snapshot: no removed column, quasi-identifiers generalized.
    const page = await t.anonymous.call('GET', `/api/v1/open/datasets/${w.petitions}`);
    expect(page.statusCode).toBe(200);
    const names = page.json().columns.map((c: { name: string }) => c.name);
    for (const removed of ['身份证号', '姓名', '事项编号']) expect(names).not.toContain(removed);
    const download = await t.anonymous.call('GET', `/api/v1/open/datasets/${w.petitions}/download?format=json`);
    expect(download.statusCode).toBe(200);
    const rows = download.json() as Record<string, string>[];
    for (const row of rows) for (const removed of ['身份证号', '姓名', '事项编号']) expect(row).not.toHaveProperty(removed);
    expect(rows.every((r) => !/^\d{4}-\d{2}-\d{2}$/.test(r['登记日期'] ?? ''))).toBe(true);
    expect(Object.keys(rows[0]!).every((k) => PETITION_HEADER.includes(k))).toBe(true);
  });

  it('serves downloads with ETags, CSV/XLSX/JSON, and records each before it leaves', async () => {
    await openDataset(w.otherOfficer, w.events);
    const csv = await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/download?format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n').filter(Boolean)).toHaveLength(61);
    const etag = csv.headers.etag as string;
    expect(csv.headers['cache-control']).toBe('public, no-cache');
    const again = await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/download?format=csv`, undefined, { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    const xlsx = await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/download?format=xlsx`);
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.rawPayload.subarray(0, 2).toString()).toBe('PK');
    const downloads = t.events.filter((e) => e.action === 'open.download' && e.dataset === w.events);
    expect(downloads.length).toBeGreaterThanOrEqual(2);
    expect(downloads[0]!.details).toMatchObject({ format: 'csv', rowCount: 60 });
    // Catalogue and dataset pages revalidate with their ETag.
    const page = await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}`);
    expect(page.json()).toMatchObject({ code: w.events, openType: 'unconditional', rows: 60 });
    expect((await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}`, undefined, { 'if-none-match': page.headers.etag as string })).statusCode).toBe(
      304,
    );
    const home = await t.anonymous.call('GET', '/api/v1/open/datasets?q=锦州');
    expect(home.json().items.map((d: { code: string }) => d.code)).toContain(w.events);
    const cached = await t.anonymous.call('GET', '/api/v1/open/datasets?q=锦州', undefined, { 'if-none-match': home.headers.etag as string });
    expect(cached.statusCode).toBe(304);
    // A cache holding several versions sends them all; the weak tag matches its strong form too.
    const listed = await t.anonymous.call('GET', '/api/v1/open/datasets?q=锦州', undefined, { 'if-none-match': `W/"older", ${home.headers.etag as string}` });
    expect(listed.statusCode).toBe(304);
    const strong = (page.headers.etag as string).replace(/^W\//, '');
    expect((await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}`, undefined, { 'if-none-match': strong })).statusCode).toBe(304);
  });

  it('answers the open API anonymously and with a key, audited, filtered by equality', async () => {
    const anonymous = await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/records?limit=10`);
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json().rows).toHaveLength(10);
    const keyed = await t
      .withKey(citizenKey)
      .call('GET', `/api/v1/open/datasets/${w.events}/records?limit=100&${encodeURIComponent('板块')}=${encodeURIComponent('锦州美食')}`);
    expect(keyed.statusCode, keyed.body).toBe(200);
    expect(keyed.json().rows.length).toBe(20);
    expect(keyed.json().rows.every((r: Record<string, string>) => r['板块'] === '锦州美食')).toBe(true);
    const call = t.events.filter((e) => e.action === 'open.api').at(-1)!;
    expect(call.actor).toMatchObject({ username: 'citizen@example.cn', roles: ['society'] });
    expect(call.actor?.apiKeyId).toBeDefined();
    expect((await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/records?nosuch=1`)).json().error.code).toBe('unknown_column');
  });

  it('portal pages: home figures with newest and most used, facets that filter, department pages, and a dataset page with dictionary, chart, history, licence and quality', async () => {
    // Home: figures over the open releases, the newest and the most used (the downloads and calls
    // above; a running server flushes its counters every few seconds, here by hand).
    await t.services.open.service.portal.flushUsage();
    const home = (await t.anonymous.call('GET', '/api/v1/open/home')).json();
    expect(home.stats).toMatchObject({ datasets: 2, departments: 2 });
    expect(home.stats.apiCalls).toBeGreaterThanOrEqual(2);
    expect(home.newest.map((d: { code: string }) => d.code).sort()).toEqual([w.events, w.petitions].sort());
    expect(home.popular[0].code).toBe(w.events);
    expect(home.domains.map((d: { name: string }) => d.name).sort()).toEqual(['文化旅游', '社会治理']);

    // Facets: each counts over the other filters; choosing one narrows the list.
    const all = (await t.anonymous.call('GET', '/api/v1/open/datasets')).json();
    expect(all.total).toBe(2);
    const tourism = all.facets.org.find((f: { label: string }) => f.label === '锦州市文化旅游和广播电视局');
    expect(tourism).toMatchObject({ count: 1 });
    expect(all.facets.domain.map((f: { value: string; count: number }) => [f.value, f.count]).sort()).toEqual([
      ['文化旅游', 1],
      ['社会治理', 1],
    ]);
    expect(all.facets.openType).toEqual([expect.objectContaining({ value: 'unconditional', count: 2 })]);
    const byOrg = (await t.anonymous.call('GET', `/api/v1/open/datasets?org=${tourism.value}`)).json();
    expect(byOrg.items.map((d: { code: string }) => d.code)).toEqual([w.events]);
    expect(byOrg.facets.org.length).toBe(2);
    expect((await t.anonymous.call('GET', '/api/v1/open/datasets?domain=社会治理')).json().items.map((d: { code: string }) => d.code)).toEqual([w.petitions]);
    expect((await t.anonymous.call('GET', '/api/v1/open/datasets?openType=conditional')).json().total).toBe(0);

    // Department pages.
    const departments = (await t.anonymous.call('GET', '/api/v1/open/departments')).json().items;
    expect(departments.map((d: { name: string }) => d.name).sort()).toEqual(['省信访局', '锦州市文化旅游和广播电视局'].sort());
    const department = (await t.anonymous.call('GET', `/api/v1/open/departments/${tourism.value}`)).json();
    expect(department).toMatchObject({ name: '锦州市文化旅游和广播电视局', datasets: 1 });
    expect(department.downloads).toBeGreaterThanOrEqual(2);
    expect(department.items.map((d: { code: string }) => d.code)).toEqual([w.events]);
    expect((await t.anonymous.call('GET', `/api/v1/open/departments/${w.orgId}`)).json().items.map((d: { code: string }) => d.code)).toEqual([w.petitions]);

    // A dataset page: data dictionary, a chart, the update history, licence and quality score.
    const page = (await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}`)).json();
    expect(page.columns.map((c: { name: string }) => c.name)).toEqual(['活动名称', '板块', '地点', '开始日期']);
    expect(page.columns.every((c: { dataType: string; completeness: number }) => c.dataType !== '' && c.completeness === 1)).toBe(true);
    expect(page.chart).not.toBeNull();
    expect(page.chart.values.reduce((a: number, v: { count: number }) => a + v.count, 0)).toBeGreaterThan(0);
    expect(page.history).toEqual([expect.objectContaining({ release: 1, state: 'published', rows: 60 })]);
    expect(page.licence).not.toBe('');
    expect(page.quality.score).toBeGreaterThan(0);
  });

  it('keeps society users and government roles apart', async () => {
    // A society session or key never passes a console check.
    expect((await citizen.call('GET', '/api/v1/auth/me')).statusCode).toBe(401);
    expect((await citizen.call('GET', '/api/v1/open/manage/releases')).statusCode).toBe(401);
    expect((await t.withKey(citizenKey).call('GET', '/api/v1/datasets')).statusCode).toBe(401);
    expect((await t.withKey(citizenKey).call('GET', '/api/v1/open/manage/applications')).statusCode).toBe(401);
    // A console session counts for nothing on the portal: no society user there.
    expect((await w.officer.call('GET', '/api/v1/open/account/me')).statusCode).toBe(401);
    expect(
      (await w.officer.call('POST', `/api/v1/open/datasets/${w.enterprises}/applications`, { purpose: '研究', intendedUse: '分析', applicant: { name: '王' } }))
        .statusCode,
    ).toBe(401);
    // A government API key is not an open-API key.
    const govKey = (await w.consumer.call('POST', '/api/v1/api-keys', { name: 'gov' })).json().key;
    expect((await t.withKey(govKey).call('GET', `/api/v1/open/datasets/${w.events}/records`)).json().error.code).toBe('invalid_open_key');
    // Officer endpoints: the provider's officer only; consumers and anonymous callers get nothing.
    expect((await w.consumer.call('GET', '/api/v1/open/manage/releases')).statusCode).toBe(403);
    expect((await t.anonymous.call('GET', '/api/v1/open/manage/releases')).statusCode).toBe(401);
    const theirs = (await w.otherOfficer.call('GET', '/api/v1/open/manage/releases')).json().items;
    expect(theirs.every((r: { dataset: { code: string } }) => r.dataset.code === w.events)).toBe(true);
    const mine = (await w.officer.call('GET', '/api/v1/open/manage/releases')).json().items[0];
    expect((await w.otherOfficer.call('GET', `/api/v1/open/manage/releases/${mine.id}`)).statusCode).toBe(404);
    expect((await w.otherOfficer.call('POST', `/api/v1/open/manage/releases/${mine.id}/withdraw`, { reason: '不是我的' })).statusCode).toBe(404);
    expect((await w.secadmin.call('GET', `/api/v1/open/manage/releases/${mine.id}`)).statusCode).toBe(200);
    // Thresholds: the secadmin changes them; an officer cannot.
    expect((await w.officer.call('PUT', '/api/v1/open/manage/settings', { k: 2 })).statusCode).toBe(403);
    expect((await w.auditor.call('GET', '/api/v1/open/manage/settings')).statusCode).toBe(403);
    // Society-only endpoints refuse anonymous callers.
    expect((await t.anonymous.call('GET', '/api/v1/open/account/me')).statusCode).toBe(401);
    expect((await t.anonymous.call('POST', '/api/v1/open/demands', { orgId: w.orgId, title: '需求', body: '内容' })).statusCode).toBe(401);
    // The CSRF token of the portal session is required on changing requests.
    const noCsrf = await citizen.call('POST', '/api/v1/open/account/keys', { name: 'x' }, { 'x-csrf-token': 'wrong' });
    expect(noCsrf.statusCode).toBe(403);
  });

  it('runs a 有条件开放 application: apply, officer decides within the time limit, approved applicant downloads', async () => {
    await openDataset(w.officer, w.enterprises);
    expect((await t.anonymous.call('GET', `/api/v1/open/datasets/${w.enterprises}/download?format=csv`)).statusCode).toBe(401);
    expect((await citizen.call('GET', `/api/v1/open/datasets/${w.enterprises}/preview`)).json().error.code).toBe('application_required');
    const applied = await citizen.call('POST', `/api/v1/open/datasets/${w.enterprises}/applications`, {
      purpose: '信访代理机构服务质量研究',
      intendedUse: '统计分析,不对外提供原始数据',
      applicant: { name: '张先生', organization: '辽宁大学', phone: '13800000000' },
    });
    expect(applied.statusCode, applied.body).toBe(201);
    const queue = (await w.officer.call('GET', '/api/v1/open/manage/applications')).json().items;
    const mine = queue.find((a: { id: string }) => a.id === applied.json().id);
    expect(mine).toMatchObject({ state: 'submitted', overdue: false, email: 'citizen@example.cn' });
    expect(Date.parse(mine.dueAt)).toBeGreaterThan(Date.now() + 14 * 86_400_000);
    // Another department cannot decide it.
    expect(
      (await w.otherOfficer.call('POST', `/api/v1/open/manage/applications/${mine.id}/decide`, { approve: true, until: '2099-01-01', conditions: '仅限研究' }))
        .statusCode,
    ).toBe(404);
    expect((await w.officer.call('POST', `/api/v1/open/manage/applications/${mine.id}/decide`, { approve: true })).json().error.code).toBe('invalid_until');
    const decided = await w.officer.call('POST', `/api/v1/open/manage/applications/${mine.id}/decide`, {
      approve: true,
      until: '2099-12-31',
      conditions: '仅限学术研究,不得再分发',
    });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json().state).toBe('approved');
    const file = await citizen.call('GET', `/api/v1/open/datasets/${w.enterprises}/download?format=csv`);
    expect(file.statusCode).toBe(200);
    expect(file.body).toContain('某某咨询服务有限公司');
    // Only the approved applicant may read it: no shared cache keeps a copy.
    expect(file.headers['cache-control']).toBe('private, no-cache');
    expect((await citizen.call('GET', '/api/v1/open/account/applications')).json().items[0].state).toBe('approved');
    for (const action of ['open.application.submit', 'open.application.approve', 'open.download']) expect(t.events.some((e) => e.action === action)).toBe(true);

    // Within the terms only: once the approved period has ended, the same user is refused.
    await use().db.query(`UPDATE open_applications SET terms = jsonb_set(terms, '{until}', '"2020-12-31"') WHERE id = $1`, [mine.id]);
    const late = await citizen.call('GET', `/api/v1/open/datasets/${w.enterprises}/records?limit=1`);
    expect(late.statusCode).toBe(403);
    expect(late.json().error.code).toBe('application_required');
    expect((await citizen.call('GET', '/api/v1/open/account/applications')).json().items[0].state).toBe('expired');

    // A new application, rejected: a reason is required, and the applicant sees it.
    const again = await citizen.call('POST', `/api/v1/open/datasets/${w.enterprises}/applications`, {
      purpose: '续期研究',
      intendedUse: '同上',
      applicant: { name: '张先生' },
    });
    expect(again.statusCode, again.body).toBe(201);
    expect((await w.officer.call('POST', `/api/v1/open/manage/applications/${again.json().id}/decide`, { approve: false })).json().error.code).toBe(
      'reason_required',
    );
    const rejected = await w.officer.call('POST', `/api/v1/open/manage/applications/${again.json().id}/decide`, {
      approve: false,
      reason: '研究期已结束,请提供新的立项材料',
    });
    expect(rejected.statusCode, rejected.body).toBe(200);
    const seen = (await citizen.call('GET', '/api/v1/open/account/applications')).json().items.find((a: { id: string }) => a.id === again.json().id);
    expect(seen).toMatchObject({ state: 'rejected', reason: '研究期已结束,请提供新的立项材料' });
    expect(t.events.some((e) => e.action === 'open.application.reject' && e.target?.id === again.json().id)).toBe(true);
  });

  it('runs the use layer: comments moderated, data requests answered publicly, showcase reviewed', async () => {
    const comment = await citizen.call('POST', `/api/v1/open/datasets/${w.petitions}/comments`, { rating: 4, body: '<script>alert(1)</script> 数据很有用' });
    expect(comment.statusCode, comment.body).toBe(201);
    const page = () => t.anonymous.call('GET', `/api/v1/open/datasets/${w.petitions}`);
    expect((await page()).json().comments).toHaveLength(0);
    // Only the providing department moderates.
    expect((await w.otherOfficer.call('POST', `/api/v1/open/manage/comments/${comment.json().id}/moderate`, { approve: true })).statusCode).toBe(404);
    expect((await w.officer.call('POST', `/api/v1/open/manage/comments/${comment.json().id}/moderate`, { approve: true })).statusCode).toBe(204);
    // Stored and answered as text: the markup is data, shown escaped by the portal.
    await expect.poll(async () => (await page()).json().comments.map((c: { body: string }) => c.body)).toEqual(['<script>alert(1)</script> 数据很有用']);
    expect((await page()).json()).toMatchObject({ rating: 4, ratings: 1 });

    const departments = (await t.anonymous.call('GET', '/api/v1/open/demand-departments')).json().items;
    const demand = await citizen.call('POST', '/api/v1/open/demands', {
      orgId: departments.find((d: { name: string }) => d.name === '省信访局').id,
      title: '按月的信访总量',
      body: '希望开放各市按月统计的信访总量',
    });
    expect(demand.statusCode, demand.body).toBe(201);
    expect((await t.anonymous.call('GET', '/api/v1/open/demands')).json().items).toHaveLength(0);
    expect((await w.otherOfficer.call('POST', `/api/v1/open/manage/demands/${demand.json().id}/answer`, { answer: '不是我们' })).statusCode).toBe(404);
    expect((await w.officer.call('POST', `/api/v1/open/manage/demands/${demand.json().id}/answer`, { answer: '已纳入下季度开放计划' })).statusCode).toBe(204);
    expect((await t.anonymous.call('GET', '/api/v1/open/demands')).json().items[0]).toMatchObject({
      title: '按月的信访总量',
      answer: '已纳入下季度开放计划',
      state: 'answered',
    });

    expect(
      (
        await citizen.call('POST', '/api/v1/open/showcases', {
          title: '信访地图',
          description: '按区县展示',
          url: 'javascript:alert(1)',
          datasets: [w.petitions],
        })
      ).statusCode,
    ).toBe(400);
    const showcase = await citizen.call('POST', '/api/v1/open/showcases', {
      title: '信访地图',
      description: '按区县展示',
      url: 'https://example.cn/map',
      datasets: [w.petitions],
    });
    expect(showcase.statusCode, showcase.body).toBe(201);
    // Reviewed before shown.
    expect((await t.anonymous.call('GET', '/api/v1/open/showcases')).json().items).toHaveLength(0);
    expect((await w.officer.call('POST', `/api/v1/open/manage/showcases/${showcase.json().id}/review`, { approve: true })).statusCode).toBe(204);
    expect((await t.anonymous.call('GET', '/api/v1/open/showcases')).json().items[0]).toMatchObject({ title: '信访地图', url: 'https://example.cn/map' });
    for (const action of [
      'open.comment.submit',
      'open.comment.approve',
      'open.demand.submit',
      'open.demand.answer',
      'open.showcase.submit',
      'open.showcase.approve',
    ]) {
      expect(t.events.some((e) => e.action === action)).toBe(true);
    }
    // A society user's steps (sign-in, data reads, participation) name the user, the request and its address.
    for (const action of ['open.login', 'open.download', 'open.comment.submit', 'open.demand.submit', 'open.showcase.submit']) {
      expect(
        t.events.find((e) => e.action === action && e.actor?.username === 'citizen@example.cn'),
        action,
      ).toMatchObject({ actor: { roles: ['society'] }, requestId: expect.any(String), ip: expect.any(String) });
    }
  });

  it('refuses every officer endpoint to anonymous callers, society users and other roles, and every account endpoint to console users', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const manage: [string, string, unknown?][] = [
      ['GET', '/api/v1/open/manage/candidates'],
      ['GET', '/api/v1/open/manage/releases'],
      ['POST', '/api/v1/open/manage/releases', { dataset: w.petitions }],
      ['GET', `/api/v1/open/manage/releases/${id}`],
      ['PUT', `/api/v1/open/manage/releases/${id}`, {}],
      ['POST', `/api/v1/open/manage/releases/${id}/check`],
      ['POST', `/api/v1/open/manage/releases/${id}/publish`],
      ['POST', `/api/v1/open/manage/releases/${id}/withdraw`, { reason: '测试' }],
      ['DELETE', `/api/v1/open/manage/releases/${id}`],
      ['GET', `/api/v1/open/manage/releases/${id}/report`],
      ['GET', '/api/v1/open/manage/applications'],
      ['POST', `/api/v1/open/manage/applications/${id}/decide`, { approve: false, reason: '测试' }],
      ['GET', '/api/v1/open/manage/comments'],
      ['POST', `/api/v1/open/manage/comments/${id}/moderate`, { approve: true }],
      ['GET', '/api/v1/open/manage/demands'],
      ['POST', `/api/v1/open/manage/demands/${id}/answer`, { answer: '测试答复' }],
      ['GET', '/api/v1/open/manage/showcases'],
      ['POST', `/api/v1/open/manage/showcases/${id}/review`, { approve: true }],
      ['GET', '/api/v1/open/manage/settings'],
      ['PUT', '/api/v1/open/manage/settings', { k: 3 }],
    ];
    for (const [method, url, body] of manage) {
      expect((await t.anonymous.call(method, url, body)).statusCode, `${method} ${url} anonymous`).toBe(401);
      expect((await citizen.call(method, url, body)).statusCode, `${method} ${url} society`).toBe(401);
      expect((await t.withKey(citizenKey).call(method, url, body)).statusCode, `${method} ${url} open key`).toBe(401);
      expect((await w.consumer.call(method, url, body)).statusCode, `${method} ${url} consumer`).toBe(403);
      expect((await w.auditor.call(method, url, body)).statusCode, `${method} ${url} auditor`).toBe(403);
    }
    const account: [string, string, unknown?][] = [
      ['POST', '/api/v1/open/account/logout'],
      ['GET', '/api/v1/open/account/me'],
      ['GET', '/api/v1/open/account/keys'],
      ['POST', '/api/v1/open/account/keys', { name: 'x' }],
      ['POST', `/api/v1/open/account/keys/${id}/revoke`],
      ['GET', '/api/v1/open/account/applications'],
      ['GET', '/api/v1/open/account/demands'],
      ['GET', '/api/v1/open/account/showcases'],
      ['POST', `/api/v1/open/datasets/${w.petitions}/comments`, { rating: 5, body: '很好' }],
      ['POST', '/api/v1/open/showcases', { title: '应用', description: '说明', datasets: [w.petitions] }],
    ];
    for (const [method, url, body] of account) {
      expect((await t.anonymous.call(method, url, body)).statusCode, `${method} ${url} anonymous`).toBe(401);
      expect((await w.officer.call(method, url, body)).statusCode, `${method} ${url} console`).toBe(401);
      expect((await w.secadmin.call(method, url, body)).statusCode, `${method} ${url} secadmin`).toBe(401);
    }
    // Another society user's key cannot be revoked: it is "not found".
    const other = (
      await t.services.open.service.society.seed({ email: 'other@example.cn', password: 'Liaohe-Delta-2026!', kind: 'individual', displayName: '李' })
    ).id;
    const otherKey = await t.services.open.service.society.createKey(
      { society: { kind: 'society', userId: other, email: 'other@example.cn', verified: true } },
      'x',
    );
    expect((await citizen.call('POST', `/api/v1/open/account/keys/${otherKey.row.id}/revoke`)).statusCode).toBe(404);
  });

  it('streams downloads of releases too large to keep in memory', async () => {
    const portal = createPortalService({
      db: use().db,
      events: memorySink(),
      limiter: createLimiter(60_000),
      limits: { anonymousPerMinute: 1000, keyPerMinute: 1000 },
      cacheRows: 0,
    });
    const file = await portal.download({ ip: '203.0.113.9' }, w.petitions, 'csv');
    expect(file.notModified).toBe(false);
    if (file.notModified) return;
    expect(Buffer.isBuffer(file.body)).toBe(false);
    let text = '';
    for await (const chunk of file.body as AsyncIterable<string | Buffer>) text += chunk.toString();
    const cached = await t.anonymous.call('GET', `/api/v1/open/datasets/${w.petitions}/download?format=csv`);
    expect(text).toBe(cached.body);
  });

  it('keeps serving the frozen snapshot when the live dataset changes', async () => {
    const before = await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/download?format=json`);
    expect(before.statusCode).toBe(200);
    // The provider loads a new version of the live dataset: five other rows.
    await uploadCsv(
      w.otherOfficer,
      w.events,
      csvOf(
        ['活动名称', '板块', '地点', '开始日期'],
        Array.from({ length: 5 }, (_, i) => [`新活动${i + 1}`, '冰雪季', '笔架山', `2024-01-0${i + 1}`]),
      ),
    );
    expect((await w.otherOfficer.call('GET', `/api/v1/datasets/${w.events}`)).json().currentVersion).toBe(2);
    // The portal, downloads and the open API still read release 1: its 60 rows, nothing of version 2.
    const page = (await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}`)).json();
    expect(page).toMatchObject({ release: 1, version: 1, rows: 60 });
    const after = await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/download?format=json`);
    expect(after.body).toBe(before.body);
    expect(after.body).not.toContain('新活动');
    const api = (await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/records?limit=1000`)).json();
    expect(api.rows).toHaveLength(60);
    expect(JSON.stringify(api.rows)).not.toContain('冰雪季');
    expect(
      (await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/records?${encodeURIComponent('板块')}=${encodeURIComponent('冰雪季')}`)).json().rows,
    ).toEqual([]);
  });

  it('withdrawal removes a release at once', async () => {
    const release = (await w.otherOfficer.call('GET', '/api/v1/open/manage/releases')).json().items.find((r: { state: string }) => r.state === 'published');
    const withdrawn = await w.otherOfficer.call('POST', `/api/v1/open/manage/releases/${release.id}/withdraw`, { reason: '数据有误' });
    expect(withdrawn.statusCode).toBe(200);
    expect((await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}`)).statusCode).toBe(404);
    expect((await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/download?format=csv`)).statusCode).toBe(404);
    expect((await t.anonymous.call('GET', `/api/v1/open/datasets/${w.events}/records`)).statusCode).toBe(404);
    expect((await t.anonymous.call('GET', '/api/v1/open/datasets')).json().items.map((d: { code: string }) => d.code)).not.toContain(w.events);
  });

  it('publishes the DCAT-AP catalogue with @id from PDX_PUBLIC_URL, never the Host header', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/open/catalog.jsonld', headers: { host: 'evil.example' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/ld+json');
    expect(res.body).not.toContain('evil.example');
    // Harvesters revalidate it with its ETag.
    expect(res.headers['cache-control']).toBe('public, no-cache');
    expect(res.headers.etag).toMatch(/^W\/"/);
    const again = await t.app.inject({ method: 'GET', url: '/open/catalog.jsonld', headers: { 'if-none-match': res.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const doc = res.json();
    expect(doc['@type']).toBe('dcat:Catalog');
    expect(doc['@id']).toBe('https://data.ln.gov.cn/open/catalog.jsonld');
    const petitions = doc['dcat:dataset'].find((d: { 'dct:identifier': string }) => d['dct:identifier'] === w.petitions);
    expect(petitions['dcat:distribution'].map((d: { 'dcat:downloadURL': { '@id': string } }) => d['dcat:downloadURL']['@id'])).toContain(
      `https://data.ln.gov.cn/api/v1/open/datasets/${w.petitions}/download?format=csv`,
    );
    expect(petitions['dct:accessRights']['@id']).toContain('PUBLIC');
    const api = (await t.anonymous.call('GET', '/api/v1/open/openapi.json')).json();
    expect(Object.keys(api.paths)).toContain('/api/v1/open/datasets/{code}/records');
    expect(Object.keys(api.paths).some((p) => p.includes('manage'))).toBe(false);
  });
});
