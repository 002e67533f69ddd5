/**
 * Catalogue upkeep and evaluation (目录挂接与共享评价, issue 20 §5) and usage statistics (§6) through the
 * API on both backends: upkeep flags in the catalogue and the once-per-period reminder; ratings by
 * consumers holding a grant; the department score on a constructed case; usage counted from the
 * audit log's data responses; the XLSX exports read back; who may see what.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chinaDate } from '../src/modules/duties/calendar.ts';
import { combinedScore } from '../src/modules/duties/score.ts';
import { dueAfter, nextPeriodStart } from '../src/modules/duties/upkeep.ts';
import { peopleCsv } from './fixtures/people.ts';
import { multipart, provisionUser, waitForJob, type Client } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { grantJourney, shareWorld, startShareApp, type ShareTestApp, type ShareWorld } from './share-helpers.ts';

describeEachBackend('duties: catalogue upkeep, ratings, department score, usage statistics', ({ use }) => {
  let t: ShareTestApp;
  let w: ShareWorld;
  /** The time the duties judge by (deadlines, upkeep). */
  let clock = new Date();
  let grantId: string;
  let bureauOfficer: Client;

  beforeAll(async () => {
    t = await startShareApp(use().db, {}, { duties: { now: () => clock } });
    w = await shareWorld(t, 40);
    const orgs = (await w.admin.call('GET', '/api/v1/orgs')).json();
    const bureau = ((orgs.items ?? orgs) as { id: string; name: string }[]).find((o) => o.name === '辽宁省大数据管理局')!.id;
    bureauOfficer = (await provisionUser(t, w.admin, 'dsj-officer', ['data_officer'], bureau)).client;
    const settings = await w.secadmin.call('PUT', '/api/v1/duties/settings', { authority: { name: '辽宁省大数据管理局', orgId: bureau } });
    expect(settings.statusCode, settings.body).toBe(200);
  });
  afterAll(() => t?.close());

  const dataset = async (c: Client = w.officer) => (await c.call('GET', `/api/v1/datasets/${w.code}`)).json();
  const inbox = async (c: Client) => (await c.call('GET', '/api/v1/notifications')).json().items as { kind: string; body: Record<string, unknown> }[];
  const upload = async (query = '') => {
    const { body, contentType } = multipart('people.csv', Buffer.from(peopleCsv(40, 7)));
    const res = await w.officer.call('POST', `/api/v1/datasets/${w.code}/versions${query}`, body, { 'content-type': contentType });
    if (res.statusCode === 202) expect((await waitForJob(w.officer, res.json().jobId)).state).toBe('succeeded');
    return res;
  };
  const rate = (c: Client, scores: Record<string, unknown>) => c.call('PUT', `/api/v1/duties/ratings/${w.code}`, scores);
  const xlsx = async (buffer: Buffer) => {
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(buffer as unknown as ArrayBuffer);
    return book;
  };

  it('ratings: only a consumer whose organisation holds or held a grant rates; one per person, replaced and audited', async () => {
    // No grant yet: refused, and nothing recorded.
    const early = await rate(w.consumer, { quality: 4, timeliness: 4, usefulness: 5 });
    expect(early.statusCode).toBe(403);
    expect(early.json().error.code).toBe('no_grant');
    expect((await w.consumer.call('GET', `/api/v1/duties/ratings/${w.code}`)).json()).toMatchObject({
      count: 0,
      means: null,
      canRate: false,
      mine: null,
      reviews: null,
    });

    ({ grantId } = await grantJourney(w));
    const first = await rate(w.consumer, { quality: 2, timeliness: 3, usefulness: 3, comment: '部分住址不完整' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({
      count: 1,
      canRate: true,
      mine: { quality: 2, timeliness: 3, usefulness: 3, comment: '部分住址不完整' },
      reviews: null,
    });
    const again = await rate(w.consumer, { quality: 4, timeliness: 4, usefulness: 5, comment: '已补全,可用' });
    expect(again.json()).toMatchObject({
      count: 1,
      means: { quality: 4, timeliness: 4, usefulness: 5, overall: 4.33 },
      mine: { quality: 4, comment: '已补全,可用' },
    });
    const audited = t.events.filter((e) => e.action.startsWith('duties.rating_') && e.dataset === w.code);
    expect(audited.map((e) => e.action)).toEqual(['duties.rating_create', 'duties.rating_replace']);
    expect(audited[1]!.details).toMatchObject({ before: { quality: 2, comment: '部分住址不完整' }, after: { quality: 4, usefulness: 5 } });
    expect((await inbox(w.officer)).some((n) => n.kind === 'duties.rated' && n.body.dataset === w.code)).toBe(true);

    // Out of range, and the wrong roles: refused.
    expect((await rate(w.consumer, { quality: 6, timeliness: 4, usefulness: 5 })).statusCode).toBe(400);
    expect((await rate(w.otherConsumer, { quality: 1, timeliness: 1, usefulness: 1 })).statusCode).toBe(403);
    expect((await rate(w.officer, { quality: 5, timeliness: 5, usefulness: 5 })).statusCode).toBe(403);
    expect((await rate(w.secadmin, { quality: 5, timeliness: 5, usefulness: 5 })).statusCode).toBe(403);
    expect((await w.keyClient.call('PUT', `/api/v1/duties/ratings/${w.code}`, { quality: 5, timeliness: 5, usefulness: 5 })).statusCode).toBe(403);

    // Everyone who sees the dataset sees the means; only the provider and the authority see each rating's comment.
    const seen = (await w.otherConsumer.call('GET', `/api/v1/duties/ratings/${w.code}`)).json();
    expect(seen).toMatchObject({ count: 1, canRate: false, mine: null, reviews: null });
    for (const c of [w.officer, w.secadmin, bureauOfficer]) {
      expect((await c.call('GET', `/api/v1/duties/ratings/${w.code}`)).json().reviews).toEqual([
        expect.objectContaining({ orgName: '朝阳市民政局', quality: 4, comment: '已补全,可用' }),
      ]);
    }
    expect((await w.civilOfficer.call('GET', `/api/v1/duties/ratings/${w.code}`)).json().reviews).toBeNull();
    expect((await t.anonymous.call('GET', `/api/v1/duties/ratings/${w.code}`)).statusCode).toBe(401);
    expect((await w.consumer.call('GET', '/api/v1/duties/ratings/210000-999999')).statusCode).toBe(404);

    // A revoked grant was still held: its holder may rate again.
    const revoked = await w.officer.call('POST', `/api/v1/share/grants/${grantId}/revoke`, { reason: '用途变更' });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect((await rate(w.consumer, { quality: 4, timeliness: 4, usefulness: 5, comment: '已补全,可用' })).statusCode).toBe(200);
    ({ grantId } = await grantJourney(w));
  });

  it('usage: calls, rows and consumers per dataset, department and day from the data responses; the provider sees its own', async () => {
    clock = new Date();
    let rows = 0;
    for (const limit of [3, 5]) {
      const res = await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?limit=${limit}`);
      expect(res.statusCode).toBe(200);
      rows += (res.json().rows as unknown[]).length;
    }
    // A refused read is no usage.
    expect((await t.withKey(w.otherKey).call('GET', `/api/v1/datasets/${w.code}/records?limit=3`)).statusCode).toBe(403);
    const today = chinaDate(new Date());
    const usage = await w.officer.call('GET', `/api/v1/duties/usage?from=${today}&to=${today}`);
    expect(usage.statusCode, usage.body).toBe(200);
    const u = usage.json();
    expect(u.byDataset).toEqual([expect.objectContaining({ code: w.code, providerName: '省公安厅', calls: 2, rows, consumers: 1 })]);
    expect(u.byDepartment).toEqual([expect.objectContaining({ orgId: w.policeOrg, datasets: 1, calls: 2, rows, consumers: 1 })]);
    expect(u.byDay).toEqual([{ day: today, calls: 2, rows, consumers: 1 }]);
    expect(u.totals).toEqual({ calls: 2, rows, consumers: 1 });
    // The default range is the last 30 days, which holds today.
    expect((await w.secadmin.call('GET', '/api/v1/duties/usage')).json().totals.calls).toBe(2);
    // Another range, another count.
    expect((await w.secadmin.call('GET', '/api/v1/duties/usage?from=2025-01-01&to=2025-01-31')).json().totals).toEqual({ calls: 0, rows: 0, consumers: 0 });
    // Another department's officer sees only its own datasets (none read); consumers and the auditor nothing.
    expect((await w.civilOfficer.call('GET', `/api/v1/duties/usage?from=${today}&to=${today}`)).json()).toMatchObject({
      byDataset: [],
      byDepartment: [],
      totals: { calls: 0 },
    });
    for (const c of [w.consumer, w.auditor, w.keyClient, t.anonymous]) {
      expect([401, 403]).toContain((await c.call('GET', '/api/v1/duties/usage')).statusCode);
      expect([401, 403]).toContain((await c.call('GET', '/api/v1/duties/usage.xlsx')).statusCode);
    }
    const bad = await w.secadmin.call('GET', '/api/v1/duties/usage?from=2026-02-30');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details).toMatchObject({ field: 'from' });
    expect((await w.secadmin.call('GET', '/api/v1/duties/usage?from=2024-01-01&to=2025-12-31')).json().error).toMatchObject({
      code: 'range_too_long',
      details: { field: 'from' },
    });

    // The export: one sheet per grouping, read back.
    const file = await w.officer.call('GET', `/api/v1/duties/usage.xlsx?from=${today}&to=${today}`);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toContain('spreadsheetml');
    const book = await xlsx(file.rawPayload);
    expect(book.worksheets.map((s) => s.name)).toEqual(['按资源', '按部门', '按日', '统计口径']);
    expect(book.getWorksheet('按资源')!.getRow(1).values).toEqual([undefined, '资源代码', '资源名称', '提供方', '调用次数', '数据行数', '使用方数']);
    expect(book.getWorksheet('按资源')!.getRow(2).values).toEqual([undefined, w.code, '户籍人口信息', '省公安厅', 2, rows, 1]);
    expect(book.getWorksheet('按日')!.getRow(2).values).toEqual([undefined, today, 2, rows, 1]);
  });

  it('upkeep: attached and current against the 更新周期, overdue flagged in the catalogue, officers reminded once per overdue period', async () => {
    clock = new Date();
    // 不定期 (the default): attached, never overdue.
    expect((await dataset()).upkeep).toMatchObject({ attached: true, state: 'untracked', dueAt: null });
    const monthly = await w.officer.call('PATCH', `/api/v1/datasets/${w.code}`, { update_cycle: 'monthly' });
    expect(monthly.json().upkeep).toMatchObject({ attached: true, state: 'current' });
    const d = await dataset();
    expect(new Date(d.upkeep.dueAt)).toEqual(dueAfter(new Date(d.upkeep.lastUpdatedAt), 'monthly'));
    expect(await t.services.duties.upkeep.sweep()).toEqual({ reminded: [] });

    // A file extracted 70 days ago (数据截至): judged by that time, so overdue now.
    const asOf = new Date(Date.now() - 70 * 86_400_000);
    expect((await upload(`?asOf=${encodeURIComponent(asOf.toISOString())}`)).statusCode).toBe(202);
    const stale = await dataset(w.consumer);
    expect(stale.upkeep).toMatchObject({ attached: true, state: 'overdue', lastUpdatedAt: asOf.toISOString() });
    const listed = (await w.consumer.call('GET', '/api/v1/datasets?q=户籍')).json().items.find((x: { code: string }) => x.code === w.code);
    expect(listed.upkeep.state).toBe('overdue');
    const future = await upload(`?asOf=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`);
    expect(future.statusCode).toBe(400);
    expect(future.json().error).toMatchObject({ code: 'invalid_as_of', details: { field: 'asOf' } });

    // Reminded once in this period, again in the next one while still overdue; each audited.
    expect(await t.services.duties.upkeep.sweep()).toEqual({ reminded: [w.code] });
    expect(await t.services.duties.upkeep.sweep()).toEqual({ reminded: [] });
    const reminders = async () => (await inbox(w.officer)).filter((n) => n.kind === 'duties.upkeep_overdue' && n.body.dataset === w.code);
    expect(await reminders()).toHaveLength(1);
    expect((await inbox(w.consumer)).some((n) => n.kind === 'duties.upkeep_overdue')).toBe(false);
    clock = new Date(nextPeriodStart(new Date(), 'monthly').getTime() + 3600_000);
    expect(await t.services.duties.upkeep.sweep()).toEqual({ reminded: [w.code] });
    expect(await reminders()).toHaveLength(2);
    expect(t.events.filter((e) => e.action === 'duties.upkeep_reminder' && e.dataset === w.code)).toHaveLength(2);

    // A new version brings it up to date.
    clock = new Date();
    expect((await upload()).statusCode).toBe(202);
    expect((await dataset()).upkeep.state).toBe('current');

    // A draft without data is not attached.
    const draft = await w.officer.call('POST', '/api/v1/datasets', { name: '未挂接的目录', update_cycle: 'daily' });
    expect((await w.officer.call('GET', `/api/v1/datasets/${draft.json().code}`)).json().upkeep).toMatchObject({
      attached: false,
      state: 'unattached',
      dueAt: null,
    });
  });

  it('the department score: its four parts and the combined score on a constructed case; the authority sees all, a department itself', async () => {
    clock = new Date();
    // An objection 省公安厅 answers within its deadline.
    const read = (await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?rowid=true&limit=1`)).json().rows as { _row: number }[];
    const objection = (
      await w.consumer.call('POST', '/api/v1/duties/objections', {
        dataset: w.code,
        cells: [{ row: read[0]!._row, column: '户籍地', proposed: '北票市' }],
        evidence: '户籍迁移证明',
      })
    ).json();
    expect((await w.officer.call('POST', `/api/v1/duties/objections/${objection.id}/reject`, { reason: '已核实,数据无误' })).statusCode).toBe(200);
    // A second request, left past its deadline.
    const late = await w.otherConsumer.call('POST', '/api/v1/share/requests', {
      dataset: w.code,
      columns: ['姓名', '户籍地'],
      purpose: '低保资格核验',
      purposeCategory: 'social_assistance',
      legalBasis: '《社会救助暂行办法》',
      endDate: '2099-06-30',
    });
    expect(late.statusCode, late.body).toBe(201);
    clock = new Date(new Date(late.json().clock.current.dueAt).getTime() + 60_000);

    const res = await w.secadmin.call('GET', '/api/v1/duties/scores');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ scope: 'all', weights: { requests: 30, objections: 20, catalogue: 25, ratings: 25 } });
    const police = body.items.find((i: { orgId: string }) => i.orgId === w.policeOrg);
    // Requests: the two grant journeys answered on time, the third left past its deadline.
    expect(police).toMatchObject({
      orgName: '省公安厅',
      objections: { judged: 1, onTime: 1, rate: 1 },
      catalogue: { entries: 1, current: 1, overdue: 0, unattached: 0, rate: 1 },
      ratings: { count: 1, rate: (13 / 3 - 1) / 4 },
    });
    expect(police.requests.judged - police.requests.onTime).toBe(1);
    const requestsRate = police.requests.onTime / police.requests.judged;
    expect(police.requests.rate).toBeCloseTo(requestsRate, 10);
    expect(police.score).toBe(combinedScore({ requests: requestsRate, objections: 1, catalogue: 1, ratings: (13 / 3 - 1) / 4 }));
    // 100 × (30 × 2/3 + 20 × 1 + 25 × 1 + 25 × 5/6) / 100, all four parts judged.
    expect(police.requests).toMatchObject({ judged: 3, onTime: 2 });
    expect(police.score).toBe(85.8);

    // The authority's officers see every department; another department's officer its own line only.
    expect((await bureauOfficer.call('GET', '/api/v1/duties/scores')).json().scope).toBe('all');
    const own = (await w.civilOfficer.call('GET', '/api/v1/duties/scores')).json();
    expect(own.scope).toBe('own');
    expect(own.items.every((i: { orgId: string }) => i.orgId === w.civilOrg)).toBe(true);
    for (const c of [w.consumer, w.auditor, w.admin, w.keyClient, t.anonymous]) {
      expect([401, 403]).toContain((await c.call('GET', '/api/v1/duties/scores')).statusCode);
      expect([401, 403]).toContain((await c.call('GET', '/api/v1/duties/scores.xlsx')).statusCode);
    }

    // The export, read back.
    const file = await w.secadmin.call('GET', '/api/v1/duties/scores.xlsx');
    expect(file.statusCode).toBe(200);
    const book = await xlsx(file.rawPayload);
    expect(book.worksheets.map((s) => s.name)).toEqual(['部门评价', '计分方法']);
    const sheet = book.getWorksheet('部门评价')!;
    expect(sheet.getRow(1).getCell(1).value).toBe('部门');
    expect(sheet.getRow(1).getCell(2).value).toBe('综合得分');
    const row = [...Array(sheet.rowCount).keys()].map((i) => sheet.getRow(i + 1)).find((r) => r.getCell(1).value === '省公安厅')!;
    expect(row.getCell(2).value).toBe(85.8);
    expect(row.getCell(3).value).toBeCloseTo(2 / 3, 10);
    expect(row.getCell(13).value).toBeCloseTo(13 / 3, 10);
    expect(book.getWorksheet('计分方法')!.getRow(2).getCell(2).value).toBe(30);
  });
});
