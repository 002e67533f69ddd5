/**
 * Request withdrawal (撤回) and grant renewal (续期): only the requester withdraws, a withdrawn request
 * leaves the queues and can no longer be approved; only the holding organisation renews, through the
 * same approvals (a 4级 column needs the security administrator again), and the new grant continues
 * the old one.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { provisionUser } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { grantJourney, shareWorld, startShareApp, type ShareTestApp, type ShareWorld } from './share-helpers.ts';

describeEachBackend('share request withdrawal and grant renewal', ({ use }) => {
  let t: ShareTestApp;
  let w: ShareWorld;

  beforeAll(async () => {
    t = await startShareApp(use().db);
    w = await shareWorld(t, 60);
  });
  afterAll(() => t?.close());

  const ask = (columns = ['姓名', '身份证号']) =>
    w.consumer.call('POST', '/api/v1/share/requests', {
      dataset: w.code,
      columns,
      purpose: '低保资格核验',
      purposeCategory: 'social_assistance',
      legalBasis: '《社会救助暂行办法》',
      endDate: '2099-06-30',
    });

  it('the requester withdraws a pending request: 已撤回, audited, out of the queues, notices settled, never approved after', async () => {
    const r = (await ask()).json();
    const queued = (await w.officer.call('GET', '/api/v1/share/requests?state=submitted')).json().items;
    expect(queued.some((x: { id: string }) => x.id === r.id)).toBe(true);

    // Nobody else withdraws it: another organisation sees nothing, the provider and a colleague are refused.
    const colleague = (await provisionUser(t, w.admin, 'mz-consumer2', ['consumer'], w.civilOrg)).client;
    expect((await w.otherConsumer.call('POST', `/api/v1/share/requests/${r.id}/withdraw`, {})).statusCode).toBe(404);
    expect((await w.officer.call('POST', `/api/v1/share/requests/${r.id}/withdraw`, {})).statusCode).toBe(403);
    expect((await colleague.call('POST', `/api/v1/share/requests/${r.id}/withdraw`, {})).json().error.code).toBe('not_requester');
    expect((await w.secadmin.call('POST', `/api/v1/share/requests/${r.id}/withdraw`, {})).statusCode).toBe(403);

    const done = await w.consumer.call('POST', `/api/v1/share/requests/${r.id}/withdraw`, { reason: '需求已变更' });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ state: 'withdrawn', withdrawReason: '需求已变更', clock: null });
    expect(done.json().withdrawnAt).toBeTruthy();

    // Out of the provider's queue, its notice settled, a new one says so.
    const after = (await w.officer.call('GET', '/api/v1/share/requests?state=submitted')).json().items;
    expect(after.some((x: { id: string }) => x.id === r.id)).toBe(false);
    const inbox = (await w.officer.call('GET', '/api/v1/notifications')).json().items as {
      kind: string;
      body: { requestId?: string };
      readAt: string | null;
    }[];
    const mine = inbox.filter((n) => n.body.requestId === r.id);
    expect(mine.find((n) => n.kind === 'share.request')?.readAt).toBeTruthy();
    expect(mine.find((n) => n.kind === 'share.withdrawn')).toBeTruthy();

    // It cannot be approved, rejected or withdrawn again.
    const approve = await w.officer.call('POST', `/api/v1/share/requests/${r.id}/approve`, { columns: [{ name: '姓名', mode: 'masked' }] });
    expect(approve.statusCode).toBe(409);
    expect((await w.officer.call('POST', `/api/v1/share/requests/${r.id}/reject`, { reason: '不同意' })).statusCode).toBe(409);
    expect((await w.consumer.call('POST', `/api/v1/share/requests/${r.id}/withdraw`, {})).statusCode).toBe(409);

    const audit = (await w.auditor.call('GET', `/api/v1/audit/records?action=share.withdraw`)).json();
    expect(audit.items.some((a: { targetId: string }) => a.targetId === r.id)).toBe(true);
  });

  it('a request awaiting the security administrator can be withdrawn; it leaves the security queue', async () => {
    const r = (await ask()).json();
    const approved = await w.officer.call('POST', `/api/v1/share/requests/${r.id}/approve`, {
      columns: [
        { name: '姓名', mode: 'masked' },
        { name: '身份证号', mode: 'pseudonym' },
      ],
    });
    expect(approved.json().state).toBe('provider_approved');
    const withdrawn = await w.consumer.call('POST', `/api/v1/share/requests/${r.id}/withdraw`, {});
    expect(withdrawn.json().state, withdrawn.body).toBe('withdrawn');
    const queue = (await w.secadmin.call('GET', '/api/v1/share/requests?state=provider_approved')).json().items;
    expect(queue.some((x: { id: string }) => x.id === r.id)).toBe(false);
    const sec = await w.secadmin.call('POST', `/api/v1/share/requests/${r.id}/security-approve`, {});
    expect(sec.statusCode).toBe(409);
    expect((await w.consumer.call('GET', `/api/v1/share/requests/${r.id}`)).json()).toMatchObject({ state: 'withdrawn', grantId: null });
  });

  it('the holder renews a grant: prefilled, linked, same approvals (4级 → secadmin), the new grant continues the old', async () => {
    const { grantId } = await grantJourney(w);
    // Only the holding organisation, never the provider, another organisation or the secadmin.
    const body = { endDate: '2100-12-31' };
    expect((await w.otherConsumer.call('POST', `/api/v1/share/grants/${grantId}/renew`, body)).statusCode).toBe(404);
    expect((await w.officer.call('POST', `/api/v1/share/grants/${grantId}/renew`, body)).statusCode).toBe(403);
    expect((await w.secadmin.call('POST', `/api/v1/share/grants/${grantId}/renew`, body)).statusCode).toBe(403);
    expect((await w.consumer.call('POST', `/api/v1/share/grants/${grantId}/renew`, { endDate: '2099-01-01' })).json().error.code).toBe('end_date_not_later');

    const renewal = await w.consumer.call('POST', `/api/v1/share/grants/${grantId}/renew`, body);
    expect(renewal.statusCode).toBe(201);
    const r = renewal.json();
    expect(r).toMatchObject({
      state: 'submitted',
      renewsGrantId: grantId,
      needsSecurity: true,
      purpose: '低保资格核验',
      rowFilter: '户籍地=eq.朝阳市',
      endDate: '2100-12-31',
    });
    expect(r.columns).toEqual(['姓名', '身份证号', '手机号', '住址', '户籍地', '出生日期', '人口数']);
    // One open renewal per grant.
    expect((await w.consumer.call('POST', `/api/v1/share/grants/${grantId}/renew`, body)).json().error.code).toBe('renewal_pending');

    const approved = await w.officer.call('POST', `/api/v1/share/requests/${r.id}/approve`, {
      columns: [
        { name: '姓名', mode: 'masked' },
        { name: '户籍地', mode: 'clear' },
        { name: '身份证号', mode: 'pseudonym' },
      ],
    });
    expect(approved.json().state).toBe('provider_approved');
    // The old grant still serves while the renewal waits.
    expect((await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?limit=1`)).statusCode).toBe(200);
    const sec = await w.secadmin.call('POST', `/api/v1/share/requests/${r.id}/security-approve`, { note: '同意续期' });
    expect(sec.json().state).toBe('active');
    // Who decided, for the 审批单.
    expect(sec.json()).toMatchObject({ providerDecider: { username: 'ga-officer' }, securityDecider: { username: 'secadmin' }, securityNote: '同意续期' });
    const newId = sec.json().grantId as string;
    const fresh = (await w.consumer.call('GET', `/api/v1/share/grants/${newId}`)).json();
    expect(fresh).toMatchObject({ state: 'active', renewsGrantId: grantId });
    const old = (await w.consumer.call('GET', `/api/v1/share/grants/${grantId}`)).json();
    expect(old).toMatchObject({ state: 'expired', supersededBy: newId });
    // Reads go on under the new grant.
    const read = await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?limit=1`);
    expect(read.statusCode).toBe(200);
    expect(Object.keys(read.json().rows[0]).sort()).toEqual(['姓名', '户籍地', '身份证号'].sort());
    // A grant renewed once is not renewed again; its successor is.
    expect((await w.consumer.call('POST', `/api/v1/share/grants/${grantId}/renew`, body)).json().error.code).toBe('already_renewed');
    const audit = (await w.auditor.call('GET', `/api/v1/audit/records?action=share.renew`)).json();
    expect(audit.items.some((a: { targetId: string }) => a.targetId === r.id)).toBe(true);
  });

  it('a revoked grant or one ended long ago is not renewed; a recently expired one is', async () => {
    const a = await grantJourney(w);
    await w.officer.call('POST', `/api/v1/share/grants/${a.grantId}/revoke`, { reason: '停止合作' });
    expect((await w.consumer.call('POST', `/api/v1/share/grants/${a.grantId}/renew`, { endDate: '2100-01-01' })).json().error.code).toBe('grant_revoked');
    const b = await grantJourney(w);
    await t.db.query(`UPDATE share_grants SET expires_at = now() - interval '200 days' WHERE id = $1`, [b.grantId]);
    expect((await w.consumer.call('POST', `/api/v1/share/grants/${b.grantId}/renew`, { endDate: '2100-01-01' })).json().error.code).toBe('expired_too_long');
    await t.db.query(`UPDATE share_grants SET expires_at = now() - interval '10 days' WHERE id = $1`, [b.grantId]);
    const renewed = await w.consumer.call('POST', `/api/v1/share/grants/${b.grantId}/renew`, { endDate: '2100-01-01', purpose: '低保动态复核' });
    expect(renewed.statusCode).toBe(201);
    expect(renewed.json()).toMatchObject({ purpose: '低保动态复核', renewsGrantId: b.grantId });
  });

  it('two renewals of one grant sent at once: one is made, the other is refused as pending (never a 500)', async () => {
    const { grantId } = await grantJourney(w);
    const answers = await Promise.all([0, 1, 2].map(() => w.consumer.call('POST', `/api/v1/share/grants/${grantId}/renew`, { endDate: '2100-06-30' })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409, 409]);
    for (const a of answers.filter((x) => x.statusCode === 409)) expect(a.json().error.code).toBe('renewal_pending');
  });
});
