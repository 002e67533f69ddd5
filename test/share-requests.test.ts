import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from './helpers/db.ts';
import { grantJourney, publishPeople, shareWorld, startShareApp, type ShareTestApp, type ShareWorld } from './share-helpers.ts';

describeEachBackend('share requests, approvals and grants', ({ use }) => {
  let t: ShareTestApp;
  let w: ShareWorld;

  beforeAll(async () => {
    t = await startShareApp(use().db);
    w = await shareWorld(t, 200);
  });
  afterAll(() => t?.close());

  const baseRequest = () => ({
    dataset: w.code,
    columns: ['姓名', '身份证号', '住址'],
    purpose: '低保资格核验',
    purposeCategory: 'social_assistance',
    legalBasis: '《社会救助暂行办法》',
    endDate: '2099-06-30',
    rowFilter: '户籍地=eq.朝阳市',
  });

  it('a 4级 column needs the provider and then the security administrator; everyone is notified', async () => {
    const req = await w.consumer.call('POST', '/api/v1/share/requests', baseRequest());
    expect(req.statusCode).toBe(201);
    const r = req.json();
    expect(r).toMatchObject({ state: 'submitted', needsSecurity: true, rowFilter: '户籍地=eq.朝阳市', consumerName: '朝阳市民政局', providerName: '省公安厅' });

    // The provider's officer is notified and sees who asks, why, and the grades.
    const inbox = (await w.officer.call('GET', '/api/v1/notifications')).json();
    expect(inbox.unread).toBeGreaterThan(0);
    expect(inbox.items[0]).toMatchObject({ kind: 'share.request', body: { requestId: r.id } });
    const detail = (await w.officer.call('GET', `/api/v1/share/requests/${r.id}`)).json();
    expect(detail.requester.username).toBe('mz-consumer');
    expect(detail.columnDetails.find((c: { name: string }) => c.name === '身份证号')).toMatchObject({ grade: 4, encrypted: true });

    // Another organisation cannot see or decide it.
    expect((await w.otherConsumer.call('GET', `/api/v1/share/requests/${r.id}`)).statusCode).toBe(404);
    expect((await w.civilOfficer.call('POST', `/api/v1/share/requests/${r.id}/approve`, { columns: [{ name: '姓名', mode: 'clear' }] })).statusCode).toBe(403);

    // Clear access to a 4级 column needs a written impact assessment (PIPL art. 55).
    const noAssessment = await w.officer.call('POST', `/api/v1/share/requests/${r.id}/approve`, { columns: [{ name: '身份证号', mode: 'clear' }] });
    expect(noAssessment.statusCode).toBe(400);
    expect(noAssessment.json().error).toMatchObject({ code: 'impact_assessment_required', details: { column: '身份证号' } });
    // A column that was not requested cannot be granted.
    const extra = await w.officer.call('POST', `/api/v1/share/requests/${r.id}/approve`, { columns: [{ name: '手机号', mode: 'clear' }] });
    expect(extra.json().error.code).toBe('column_not_requested');
    const badCidr = await w.officer.call('POST', `/api/v1/share/requests/${r.id}/approve`, {
      columns: [{ name: '姓名', mode: 'masked' }],
      ipRanges: ['10.0.0.0/33'],
    });
    expect(badCidr.json().error.code).toBe('invalid_ip_range');
    const badFilter = await w.officer.call('POST', `/api/v1/share/requests/${r.id}/approve`, {
      columns: [{ name: '姓名', mode: 'masked' }],
      rowFilter: '不存在=eq.1',
    });
    expect(badFilter.json().error).toMatchObject({ code: 'unknown_column', details: { column: '不存在' } });

    const approved = await w.officer.call('POST', `/api/v1/share/requests/${r.id}/approve`, {
      columns: [
        { name: '姓名', mode: 'masked' },
        { name: '身份证号', mode: 'pseudonym' },
        { name: '住址', mode: 'generalized', generalize: { address: 'district' } },
      ],
      requestsPerMinute: 100,
      rowsPerDay: 100000,
      ipRanges: ['0.0.0.0/0', '::/0'],
    });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ state: 'provider_approved', grantId: null });
    // Not readable yet.
    expect((await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records`)).statusCode).toBe(403);
    // Approving twice is a conflict.
    expect((await w.officer.call('POST', `/api/v1/share/requests/${r.id}/approve`, { columns: [{ name: '姓名', mode: 'masked' }] })).statusCode).toBe(409);

    const secInbox = (await w.secadmin.call('GET', '/api/v1/notifications?unread=true')).json();
    expect(secInbox.items.some((n: { kind: string }) => n.kind === 'share.security_review')).toBe(true);
    expect((await w.officer.call('POST', `/api/v1/share/requests/${r.id}/security-approve`, {})).statusCode).toBe(403);
    const sec = await w.secadmin.call('POST', `/api/v1/share/requests/${r.id}/security-approve`, { note: '同意' });
    expect(sec.statusCode).toBe(200);
    expect(sec.json().state).toBe('active');
    const grantId = sec.json().grantId as string;
    const grant = (await w.consumer.call('GET', `/api/v1/share/grants/${grantId}`)).json();
    expect(grant).toMatchObject({ state: 'active', rowFilter: '户籍地=eq.朝阳市', requestsPerMinute: 100, automatic: false });
    expect(grant.columns).toEqual([
      { name: '姓名', mode: 'masked' },
      { name: '身份证号', mode: 'pseudonym' },
      { name: '住址', mode: 'generalized', generalize: { address: 'district' } },
    ]);
    const consumerInbox = (await w.consumer.call('GET', '/api/v1/notifications')).json();
    expect(consumerInbox.items.map((n: { kind: string }) => n.kind)).toEqual(expect.arrayContaining(['share.provider_approved', 'share.active']));
    const marked = await w.consumer.call('POST', '/api/v1/notifications/read-all');
    expect(marked.json().marked).toBeGreaterThan(0);
    expect((await w.consumer.call('GET', '/api/v1/notifications')).json().unread).toBe(0);
    expect(t.events.filter((e) => e.action.startsWith('share.')).map((e) => e.action)).toEqual(
      expect.arrayContaining(['share.request', 'share.approve', 'share.security_approve']),
    );
  });

  it('a request without 4级 columns is active after the provider alone; rejection and revocation are recorded', async () => {
    const req = await w.consumer.call('POST', '/api/v1/share/requests', { ...baseRequest(), columns: ['姓名', '户籍地'] });
    expect(req.json().needsSecurity).toBe(false);
    const approved = await w.officer.call('POST', `/api/v1/share/requests/${req.json().id}/approve`, {
      columns: [
        { name: '姓名', mode: 'masked' },
        { name: '户籍地', mode: 'clear' },
      ],
    });
    expect(approved.json().state).toBe('active');

    const other = await w.consumer.call('POST', '/api/v1/share/requests', { ...baseRequest(), columns: ['户籍地'] });
    const rejected = await w.officer.call('POST', `/api/v1/share/requests/${other.json().id}/reject`, { reason: '用途不明确' });
    expect(rejected.json()).toMatchObject({ state: 'rejected', providerNote: '用途不明确' });

    const grantId = approved.json().grantId as string;
    expect((await w.consumer.call('POST', `/api/v1/share/grants/${grantId}/revoke`, { reason: 'x' })).statusCode).toBe(403);
    const revoked = await w.officer.call('POST', `/api/v1/share/grants/${grantId}/revoke`, { reason: '用途已完成' });
    expect(revoked.json()).toMatchObject({ state: 'revoked', revokeReason: '用途已完成' });
    expect((await w.consumer.call('GET', `/api/v1/share/requests/${req.json().id}`)).json().state).toBe('revoked');
    expect((await w.officer.call('POST', `/api/v1/share/grants/${grantId}/revoke`, { reason: '再次' })).statusCode).toBe(409);
  });

  it('refuses bad requests with the field named', async () => {
    const unknown = await w.consumer.call('POST', '/api/v1/share/requests', { ...baseRequest(), columns: ['姓名', '不存在'] });
    expect(unknown.json().error).toMatchObject({ code: 'unknown_column', details: { column: '不存在' } });
    const past = await w.consumer.call('POST', '/api/v1/share/requests', { ...baseRequest(), endDate: '2001-01-01' });
    expect(past.json().error.code).toBe('end_date_past');
    const badFilter = await w.consumer.call('POST', '/api/v1/share/requests', { ...baseRequest(), rowFilter: '户籍地=zz.朝阳市' });
    expect(badFilter.json().error.code).toBe('invalid_filter');
    const own = await w.officer.call('POST', '/api/v1/share/requests', baseRequest());
    expect(own.statusCode).toBe(409);
  });

  it('不予共享 datasets can never be requested or read; drafts do not exist for others', async () => {
    const none = await publishPeople(w.officer, { name: '不予共享人口', shareType: 'none', rows: 20 });
    const req = await w.consumer.call('POST', '/api/v1/share/requests', { ...baseRequest(), dataset: none });
    expect(req.statusCode).toBe(403);
    expect(req.json().error.code).toBe('not_shareable');
    const read = await w.keyClient.call('GET', `/api/v1/datasets/${none}/records`);
    expect(read.statusCode).toBe(403);
    expect(read.body).not.toContain('朝阳市');

    const draft = (await w.officer.call('POST', '/api/v1/datasets', { name: '草稿数据', share_type: 'unconditional' })).json().code;
    expect((await w.keyClient.call('GET', `/api/v1/datasets/${draft}/records`)).statusCode).toBe(404);
    expect((await w.consumer.call('POST', '/api/v1/share/requests', { ...baseRequest(), dataset: draft })).statusCode).toBe(404);
  });

  it('无条件共享: any consumer organisation reads at once through a recorded automatic grant with default masking', async () => {
    const open = await publishPeople(w.officer, { name: '无条件人口', shareType: 'unconditional', rows: 30 });
    const res = await t.withKey(w.otherKey).call('GET', `/api/v1/datasets/${open}/records?limit=5`);
    expect(res.statusCode).toBe(200);
    const rows = res.json().rows as Record<string, string>[];
    expect(rows).toHaveLength(5);
    // 4级 and 3级 columns masked by default; 户籍地 (no personal type) in clear.
    expect(rows[0]!['身份证号']).toMatch(/^\d{3}\*{11}[\dX]{4}$/);
    expect(rows[0]!['姓名']).toMatch(/\*/);
    expect(rows[0]!['手机号']).toMatch(/^1\d{2}\*{4}\d{4}$/);
    expect(t.events.some((e) => e.action === 'share.grant_auto' && e.dataset === open)).toBe(true);
    const grants = (await w.otherConsumer.call('GET', `/api/v1/share/grants?dataset=${open}`)).json().items;
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ automatic: true, state: 'active' });

    // A revoked automatic grant is not silently re-made.
    await w.officer.call('POST', `/api/v1/share/grants/${grants[0].id}/revoke`, { reason: '停止共享' });
    const after = await t.withKey(w.otherKey).call('GET', `/api/v1/datasets/${open}/records?limit=5`);
    expect(after.statusCode).toBe(403);
    expect(after.json().error.code).toBe('grant_revoked');
  });

  it('the journey of the product brief ends in an active grant', async () => {
    const { grantId } = await grantJourney(w);
    expect(grantId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
