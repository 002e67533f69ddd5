/**
 * Demand lists (供需对接, issue 20 §4) end to end through the API: a department publishes a need, the
 * authority assigns it, the department answers (decline, then after a reopen, a linked dataset), the
 * owner accepts; the clock in working days; notifications and audit at each step; who may do what.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeUscc } from '../src/modules/identity/codes.ts';
import { ADMIN_PASSWORDS, createOrg, provisionUser, type Client } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { publishPeople, startShareApp, type ShareTestApp } from './share-helpers.ts';

describeEachBackend('duties: demand lists', ({ use }) => {
  let t: ShareTestApp;
  let secadmin: Client;
  let auditor: Client;
  let owner: Client;
  let ownerOfficer: Client;
  let police: string;
  let jinzhou: string;
  let policeOfficer: Client;
  let other: Client;
  let otherOfficer: Client;
  let authorityOfficer: Client;
  let enterprise: Client;
  let dataset: string;

  beforeAll(async () => {
    t = await startShareApp(use().db);
    const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    auditor = await t.login('auditor', ADMIN_PASSWORDS.auditor);
    police = await createOrg(admin, '省公安厅');
    const civil = await createOrg(admin, '朝阳市民政局', 'city', '211300');
    jinzhou = await createOrg(admin, '锦州市民政局', 'city', '210700');
    // The platform authority's organisation exists from the first start.
    const orgs = (await admin.call('GET', '/api/v1/orgs')).json();
    const bureau = ((orgs.items ?? orgs) as { id: string; name: string }[]).find((o) => o.name === '辽宁省大数据管理局')!.id;
    const firm = await admin.call('POST', '/api/v1/orgs', {
      name: '朝阳钢铁',
      type: 'enterprise',
      level: 'city',
      regionCode: '211300',
      uscc: makeUscc('9', '1', '211300', 'MB2C0002'),
    });
    expect(firm.statusCode, firm.body).toBe(201);
    policeOfficer = (await provisionUser(t, admin, 'ga-officer', ['data_officer'], police)).client;
    owner = (await provisionUser(t, admin, 'mz-consumer', ['consumer'], civil)).client;
    ownerOfficer = (await provisionUser(t, admin, 'mz-officer', ['data_officer'], civil)).client;
    other = (await provisionUser(t, admin, 'jz-consumer', ['consumer'], jinzhou)).client;
    otherOfficer = (await provisionUser(t, admin, 'jz-officer', ['data_officer'], jinzhou)).client;
    authorityOfficer = (await provisionUser(t, admin, 'dsj-officer', ['data_officer'], bureau)).client;
    enterprise = (await provisionUser(t, admin, 'steel-consumer', ['consumer'], firm.json().id)).client;
    dataset = await publishPeople(policeOfficer, { rows: 5 });
    const settings = await secadmin.call('PUT', '/api/v1/duties/settings', { authority: { name: '辽宁省大数据管理局', orgId: bureau } });
    expect(settings.statusCode, settings.body).toBe(200);
  });
  afterAll(() => t?.close());

  const kinds = async (c: Client) =>
    ((await c.call('GET', '/api/v1/notifications')).json().items as { kind: string; body: { demandId?: string } }[]).map(
      (n) => `${n.kind}:${n.body.demandId ?? ''}`,
    );

  it('publish, assign, decline, reopen, answer with a linked dataset, accept; every step notified and audited', async () => {
    const published = await owner.call('POST', '/api/v1/duties/demands', {
      title: '低保对象户籍核验数据',
      description: '核验低保申请人的户籍所在地',
      fields: ['姓名', '身份证号', '户籍地'],
      purpose: '低保资格核验',
      suggestedOrgId: police,
    });
    expect(published.statusCode, published.body).toBe(201);
    const m = published.json();
    expect(m).toMatchObject({
      state: 'open',
      fields: ['姓名', '身份证号', '户籍地'],
      suggestedOrg: { id: police, name: '省公安厅' },
      raisedOrg: { name: '朝阳市民政局' },
      assignedOrg: null,
      dueAt: null,
    });
    expect(await kinds(secadmin)).toContain(`duties.demand:${m.id}`);
    const todo = async (c: Client) =>
      Object.fromEntries(((await c.call('GET', '/api/v1/overview/todo')).json().items as { kind: string; count: number }[]).map((i) => [i.kind, i.count]));
    expect((await todo(secadmin)).demandsToAssign).toBe(1);
    expect(await kinds(authorityOfficer)).toContain(`duties.demand:${m.id}`);

    // Every government organisation sees the list; an enterprise and the auditor do not.
    expect((await other.call('GET', '/api/v1/duties/demands')).json().items.map((i: { id: string }) => i.id)).toContain(m.id);
    expect((await enterprise.call('GET', '/api/v1/duties/demands')).statusCode).toBe(403);
    expect((await enterprise.call('POST', '/api/v1/duties/demands', { title: '需求', description: '说明', purpose: '用途' })).statusCode).toBe(403);
    expect((await auditor.call('GET', '/api/v1/duties/demands')).statusCode).toBe(403);
    expect((await enterprise.call('GET', `/api/v1/duties/demands/${m.id}`)).statusCode).toBe(403);
    expect((await auditor.call('GET', `/api/v1/duties/demands/${m.id}`)).statusCode).toBe(403);
    // Answering or accepting before assignment is refused by state, not by luck.
    expect((await owner.call('POST', `/api/v1/duties/demands/${m.id}/accept`, {})).statusCode).toBe(409);

    // Only the authority assigns: the secadmin or the authority organisation's data officers.
    expect((await otherOfficer.call('POST', `/api/v1/duties/demands/${m.id}/assign`, { orgId: police })).statusCode).toBe(403);
    expect((await owner.call('POST', `/api/v1/duties/demands/${m.id}/assign`, { orgId: police })).statusCode).toBe(403);
    const unknown = await secadmin.call('POST', `/api/v1/duties/demands/${m.id}/assign`, { orgId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details).toMatchObject({ field: 'orgId' });
    const assigned = await authorityOfficer.call('POST', `/api/v1/duties/demands/${m.id}/assign`, { orgId: police, note: '请省公安厅答复' });
    expect(assigned.statusCode, assigned.body).toBe(200);
    const a = assigned.json();
    expect(a).toMatchObject({ state: 'assigned', assignedOrg: { id: police, name: '省公安厅' }, overdue: false });
    // Ten working days: at least fourteen calendar days ahead.
    expect(new Date(a.dueAt).getTime() - Date.now()).toBeGreaterThan(13 * 86_400_000);
    expect(await kinds(policeOfficer)).toContain(`duties.demand_assigned:${m.id}`);
    expect((await todo(policeOfficer)).demandsToAnswer).toBe(1);
    expect((await todo(secadmin)).demandsToAssign).toBe(0);

    // Only the assigned department's officers answer.
    expect((await otherOfficer.call('POST', `/api/v1/duties/demands/${m.id}/answer`, { kind: 'declined', text: '无此数据' })).statusCode).toBe(403);
    const noReason = await policeOfficer.call('POST', `/api/v1/duties/demands/${m.id}/answer`, { kind: 'declined' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.details).toMatchObject({ field: 'text' });
    const badDataset = await policeOfficer.call('POST', `/api/v1/duties/demands/${m.id}/answer`, { kind: 'linked', dataset: 'NO-SUCH' });
    expect(badDataset.json().error.details).toMatchObject({ field: 'dataset' });
    const declined = await policeOfficer.call('POST', `/api/v1/duties/demands/${m.id}/answer`, { kind: 'declined', text: '需先明确核验范围' });
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json()).toMatchObject({ state: 'answered', answer: { kind: 'declined', text: '需先明确核验范围', dataset: null } });
    expect(await kinds(owner)).toContain(`duties.demand_answered:${m.id}`);

    // Only the need's organisation reopens or accepts.
    expect((await other.call('POST', `/api/v1/duties/demands/${m.id}/reopen`, { reason: '范围已明确' })).statusCode).toBe(403);
    const reopened = await owner.call('POST', `/api/v1/duties/demands/${m.id}/reopen`, { reason: '范围为朝阳市低保申请人' });
    expect(reopened.statusCode, reopened.body).toBe(200);
    expect(reopened.json()).toMatchObject({ state: 'assigned', reopened: 1, answer: null });
    expect(await kinds(policeOfficer)).toContain(`duties.demand_reopened:${m.id}`);

    // "registered" must be the department's own catalogue entry; "linked" any dataset it can see.
    const linked = await policeOfficer.call('POST', `/api/v1/duties/demands/${m.id}/answer`, { kind: 'linked', dataset, text: '可通过共享申请获取' });
    expect(linked.statusCode, linked.body).toBe(200);
    expect(linked.json().answer).toMatchObject({ kind: 'linked', dataset: { code: dataset, name: '户籍人口信息' } });

    expect((await ownerOfficer.call('POST', `/api/v1/duties/demands/${m.id}/answer`, { kind: 'declined', text: '无' })).statusCode).toBe(403);
    const accepted = await ownerOfficer.call('POST', `/api/v1/duties/demands/${m.id}/accept`, {});
    expect(accepted.statusCode, accepted.body).toBe(200);
    const done = accepted.json();
    expect(done.state).toBe('accepted');
    expect(done.history.map((h: { step: string }) => h.step)).toEqual(['publish', 'assign', 'answer', 'reopen', 'answer', 'accept']);
    expect(done.history[2].answer).toEqual({ kind: 'declined', dataset: null });
    expect(await kinds(policeOfficer)).toContain(`duties.demand_accepted:${m.id}`);
    // Accepted is final.
    expect((await owner.call('POST', `/api/v1/duties/demands/${m.id}/reopen`, { reason: '再议再议' })).statusCode).toBe(409);

    const log = await auditor.call('GET', '/api/v1/audit/records?action_prefix=duties.demand_&limit=100');
    expect(log.statusCode, log.body).toBe(200);
    const actions = (log.json().items as { action: string }[]).map((r) => r.action);
    for (const action of ['duties.demand_publish', 'duties.demand_assign', 'duties.demand_answer', 'duties.demand_reopen', 'duties.demand_accept'])
      expect(actions).toContain(action);
  });

  it("a registered answer must be the department's own dataset", async () => {
    const m = (await other.call('POST', '/api/v1/duties/demands', { title: '锦州旅游季活动', description: '活动清单', purpose: '文旅统计' })).json();
    await secadmin.call('POST', `/api/v1/duties/demands/${m.id}/assign`, { orgId: police });
    // Left unanswered past its deadline, it is escalated to the authority once (the sweep, with a moved clock).
    const { demands } = t.services.duties;
    expect(await demands.sweep()).not.toContain(m.id);
    const late = new Date(Date.now() + 40 * 86_400_000);
    expect(await demands.sweep(late)).toContain(m.id);
    expect(await demands.sweep(late)).not.toContain(m.id);
    expect((await other.call('GET', `/api/v1/duties/demands/${m.id}`)).json().escalatedAt).not.toBeNull();
    expect(await kinds(secadmin)).toContain(`duties.demand_overdue:${m.id}`);
    expect(await kinds(policeOfficer)).toContain(`duties.demand_overdue:${m.id}`);
    const overdueLog = await auditor.call('GET', '/api/v1/audit/records?action=duties.demand_overdue');
    expect((overdueLog.json().items as { targetId: string }[]).some((r) => r.targetId === m.id)).toBe(true);

    const res = await policeOfficer.call('POST', `/api/v1/duties/demands/${m.id}/answer`, { kind: 'registered', dataset });
    expect(res.statusCode, res.body).toBe(200);
    const m2 = (await other.call('POST', '/api/v1/duties/demands', { title: '另一需求', description: '说明', purpose: '用途' })).json();
    const jz = (await other.call('GET', '/api/v1/duties/demands')).json().items as { id: string }[];
    expect(jz.length).toBeGreaterThanOrEqual(2);
    expect((await secadmin.call('POST', `/api/v1/duties/demands/${m2.id}/assign`, { orgId: jinzhou })).statusCode).toBe(200);
    const notOwn = await otherOfficer.call('POST', `/api/v1/duties/demands/${m2.id}/answer`, { kind: 'registered', dataset });
    expect(notOwn.statusCode).toBe(400);
    expect(notOwn.json().error).toMatchObject({ code: 'not_own_dataset', details: { field: 'dataset' } });
  });
});
