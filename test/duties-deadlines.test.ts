/**
 * Time limits on share requests (issue 20 §1), driven by a clock the test moves: clocks on every
 * request in the API by share type and stage, the one extension, reminders before the deadline,
 * escalation of an overdue request to the platform authority, counts per department, the calendar
 * and the security administrator's settings; and who may call each endpoint.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WorkCalendar } from '../src/modules/duties/calendar.ts';
import { limitOf } from '../src/modules/duties/deadlines.ts';
import { dutiesSettingsSchema } from '../src/modules/duties/duties.settings.ts';
import { createOrg, provisionUser, type Client } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { grantJourney, publishPeople, shareWorld, startShareApp, type ShareTestApp, type ShareWorld } from './share-helpers.ts';

describeEachBackend('duties: time limits on share requests', ({ use }) => {
  let t: ShareTestApp;
  let w: ShareWorld;
  /** The time the duties judge deadlines by. */
  let clock = new Date();
  const calendar = new WorkCalendar();
  let otherOfficer: Client;

  beforeAll(async () => {
    t = await startShareApp(use().db, {}, { duties: { now: () => clock } });
    w = await shareWorld(t, 40);
    const org = await createOrg(w.admin, '省民政厅');
    otherOfficer = (await provisionUser(t, w.admin, 'mzt-officer', ['data_officer'], org)).client;
  });
  afterAll(() => t?.close());

  const ask = (c: Client, dataset: string) =>
    c.call('POST', '/api/v1/share/requests', {
      dataset,
      columns: ['姓名', '户籍地'],
      purpose: '低保资格核验',
      purposeCategory: 'social_assistance',
      legalBasis: '《社会救助暂行办法》',
      endDate: '2099-06-30',
    });
  const sweep = () => t.services.duties.service.sweep();
  const inbox = async (c: Client) => (await c.call('GET', '/api/v1/notifications')).json().items as { kind: string; body: Record<string, unknown> }[];

  it('a first conditional request gets 10 working days; reminded once before, escalated once after', async () => {
    clock = new Date();
    const res = await ask(w.consumer, w.code);
    expect(res.statusCode).toBe(201);
    const r = res.json();
    const due = calendar.dueAt(new Date(r.createdAt), 10);
    expect(r.clock).toMatchObject({ basis: 'conditional', extension: null, current: { stage: 'provider', limitDays: 10, state: 'running', endedAt: null } });
    expect(new Date(r.clock.current.dueAt).toISOString()).toBe(due.toISOString());
    expect(r.clock.current.remainingWorkingDays).toBeGreaterThanOrEqual(9);
    // The same clock in the list, to the consumer and to the provider.
    const listed = (await w.officer.call('GET', '/api/v1/share/requests')).json().items.find((x: { id: string }) => x.id === r.id);
    expect(listed.clock.current.dueAt).toBe(r.clock.current.dueAt);

    // Nothing to do yet.
    expect(await sweep()).toEqual({ reminded: [], escalated: [] });

    // An hour before the deadline: due soon; the provider's officers are reminded, once.
    clock = new Date(due.getTime() - 3600_000);
    const soon = (await w.consumer.call('GET', `/api/v1/duties/requests/${r.id}/clock`)).json();
    expect(soon.current).toMatchObject({ state: 'due_soon', remainingWorkingDays: 0 });
    expect((await sweep()).reminded).toEqual([r.id]);
    expect((await sweep()).reminded).toEqual([]);
    expect((await inbox(w.officer)).filter((n) => n.kind === 'duties.due_soon' && n.body.requestId === r.id)).toHaveLength(1);

    // A minute after: overdue, escalated to the platform authority once, audited for secops, counted against 省公安厅.
    clock = new Date(due.getTime() + 60_000);
    const late = await sweep();
    expect(late.escalated).toEqual([r.id]);
    expect((await sweep()).escalated).toEqual([]);
    const secInbox = await inbox(w.secadmin);
    expect(secInbox.filter((n) => n.kind === 'duties.overdue' && n.body.requestId === r.id)).toHaveLength(1);
    expect(t.events.filter((e) => e.action === 'duties.request_overdue' && e.target?.id === r.id)).toHaveLength(1);
    const shown = (await w.consumer.call('GET', `/api/v1/share/requests/${r.id}`)).json();
    expect(shown.clock.current).toMatchObject({ state: 'overdue', remainingWorkingDays: -1 });
    expect(shown.clock.current.escalatedAt).not.toBeNull();
    const depts = (await w.secadmin.call('GET', '/api/v1/duties/departments')).json().items;
    expect(depts.find((d: { orgId: string }) => d.orgId === w.policeOrg)).toMatchObject({
      orgName: '省公安厅',
      open: 1,
      overdueOpen: 1,
      escalated: 1,
      answeredOnTime: 0,
    });

    // Answered after the escalation: the stage ends 'late' and counts so.
    await w.officer.call('POST', `/api/v1/share/requests/${r.id}/reject`, { reason: '用途与数据不符' });
    const after = (await w.consumer.call('GET', `/api/v1/share/requests/${r.id}`)).json();
    expect(after.clock.current).toBeNull();
    expect(after.clock.stages[0].state).toBe('late');
    const again = (await w.secadmin.call('GET', '/api/v1/duties/departments')).json().items.find((d: { orgId: string }) => d.orgId === w.policeOrg);
    expect(again).toMatchObject({ overdueOpen: 0, answeredLate: 1, escalated: 1 });
  });

  it('one extension of at most 15 working days with a reason, by the provider only', async () => {
    clock = new Date();
    const r = (await ask(w.consumer, w.code)).json();
    const path = `/api/v1/duties/requests/${r.id}/extend`;
    expect((await w.consumer.call('POST', path, { days: 5, reason: '需核实数据范围' })).statusCode).toBe(403);
    expect((await otherOfficer.call('POST', path, { days: 5, reason: '需核实数据范围' })).statusCode).toBe(404);
    const tooLong = await w.officer.call('POST', path, { days: 16, reason: '需核实数据范围' });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error).toMatchObject({ code: 'extension_too_long', details: { field: 'days', max: 15 } });
    const ok = await w.officer.call('POST', path, { days: 5, reason: '需核实数据范围' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ extension: { days: 5, reason: '需核实数据范围' }, current: { limitDays: 15, extensionDays: 5 } });
    expect(new Date(ok.json().current.dueAt).toISOString()).toBe(calendar.dueAt(new Date(r.createdAt), 15).toISOString());
    expect((await w.officer.call('POST', path, { days: 1, reason: '再次延期' })).json().error.code).toBe('already_extended');
    expect((await inbox(w.consumer)).some((n) => n.kind === 'duties.extended' && n.body.requestId === r.id)).toBe(true);
    expect(t.events.some((e) => e.action === 'duties.request_extend' && e.target?.id === r.id)).toBe(true);
    await w.officer.call('POST', `/api/v1/share/requests/${r.id}/reject`, { reason: '不予共享' });
  });

  it('already shared to others: 5 working days; 无条件共享: 2; security stage after the provider', async () => {
    clock = new Date();
    // 朝阳市民政局 obtains a grant (4级 column: the security stage follows the provider's).
    const { requestId } = await grantJourney(w);
    const done = (await w.consumer.call('GET', `/api/v1/share/requests/${requestId}`)).json();
    expect(done.clock.stages.map((s: { stage: string; state: string }) => [s.stage, s.state])).toEqual([
      ['provider', 'met'],
      ['security', 'met'],
    ]);
    expect(done.clock.stages[1].limitDays).toBe(5);
    // Now 锦州市民政局 asks for the same dataset: it is already shared, 5 working days.
    const second = (await ask(w.otherConsumer, w.code)).json();
    expect(second.clock).toMatchObject({ basis: 'conditional_shared', current: { limitDays: 5 } });
    const free = await publishPeople(w.officer, { name: '人口统计', shareType: 'unconditional', rows: 20 });
    const third = (await ask(w.otherConsumer, free)).json();
    expect(third.clock).toMatchObject({ basis: 'unconditional', current: { limitDays: 2 } });
    // The queue: open requests, most urgent first.
    const queue = (await w.officer.call('GET', '/api/v1/duties/requests')).json().items.map((x: { id: string }) => x.id);
    expect(queue.indexOf(third.id)).toBeLessThan(queue.indexOf(second.id));
    expect((await w.otherConsumer.call('GET', `/api/v1/duties/requests/${second.id}/clock`)).statusCode).toBe(200);
    expect((await w.consumer.call('GET', `/api/v1/duties/requests/${second.id}/clock`)).statusCode).toBe(404);
  });

  it('the security administrator sets the limits and the calendar; running clocks keep their limit', async () => {
    clock = new Date();
    const before = (await ask(w.consumer, w.code)).json();
    const settings = (await w.secadmin.call('GET', '/api/v1/duties/settings')).json();
    expect(settings.limits).toMatchObject({ unconditional: 2, conditionalShared: 5, conditional: 10, maxExtension: 15 });
    const bad = await w.secadmin.call('PUT', '/api/v1/duties/settings', { ...settings, calendar: [{ date: '2027-02-30', kind: 'holiday', name: '春节' }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details).toEqual({ field: 'calendar.0.date', issues: [{ field: 'calendar.0.date', message: '取值无效（YYYY-MM-DD）' }] });
    // Every wrong field, worded in the caller's language, for a form to show beside each field.
    const twice = [
      { date: '2027-02-10', kind: 'holiday', name: '春节' },
      { date: '2027-02-10', kind: 'workday', name: '调休' },
    ];
    const badEn = await w.secadmin.call(
      'PUT',
      '/api/v1/duties/settings',
      { ...settings, limits: { ...settings.limits, demand: 0 }, calendar: twice },
      { 'x-pdx-lang': 'en' },
    );
    expect(badEn.json().error.details.issues).toEqual([{ field: 'limits.demand', message: 'must be at least 1' }]);
    const badTwice = await w.secadmin.call('PUT', '/api/v1/duties/settings', { ...settings, calendar: twice }, { 'x-pdx-lang': 'en' });
    expect(badTwice.json().error.details.issues).toEqual([{ field: 'calendar.1.date', message: 'same date as item 1 (2027-02-10)' }]);
    // The form's bounds and defaults come from the settings' own schema.
    const schema = (await w.secadmin.call('GET', '/api/v1/duties/settings/schema')).json();
    expect(schema.properties.limits.properties.conditional).toMatchObject({ type: 'integer', minimum: 1, maximum: 60, default: 10 });
    const put = await w.secadmin.call('PUT', '/api/v1/duties/settings', {
      ...settings,
      limits: { ...settings.limits, conditional: 8, conditionalShared: 3 },
      calendar: [{ date: '2027-02-10', kind: 'holiday', name: '春节' }],
    });
    expect(put.statusCode).toBe(200);
    const after = (await ask(w.otherConsumer, w.code)).json();
    expect(after.clock.current.limitDays).toBe(3);
    expect((await ask(w.consumer, w.code)).json().clock.current.limitDays).toBe(8);
    // The request made before the change keeps the limit it started with (朝阳市's own grant is not "shared to others").
    expect((await w.consumer.call('GET', `/api/v1/share/requests/${before.id}`)).json().clock.current.limitDays).toBe(10);
    const cal2027 = (await w.consumer.call('GET', '/api/v1/duties/calendar?year=2027')).json();
    expect(cal2027.days).toEqual([{ date: '2027-02-10', kind: 'holiday', name: '春节', origin: 'override' }]);
    const cal2026 = (await w.consumer.call('GET', '/api/v1/duties/calendar?year=2026')).json();
    expect(cal2026.days).toContainEqual({ date: '2026-02-14', kind: 'workday', name: '春节调休上班', origin: 'official' });
    expect(t.events.some((e) => e.action === 'duties.settings_update')).toBe(true);
  });

  it('authorization boundaries of every duties endpoint', async () => {
    const some = (await w.consumer.call('GET', '/api/v1/share/requests')).json().items[0].id as string;
    const endpoints: [string, string, unknown?][] = [
      ['GET', '/api/v1/duties/requests'],
      ['GET', `/api/v1/duties/requests/${some}/clock`],
      ['POST', `/api/v1/duties/requests/${some}/extend`, { days: 1, reason: '理由理由' }],
      ['GET', '/api/v1/duties/departments'],
      ['GET', '/api/v1/duties/calendar?year=2026'],
      ['GET', '/api/v1/duties/settings'],
      ['GET', '/api/v1/duties/settings/schema'],
      ['PUT', '/api/v1/duties/settings', {}],
    ];
    for (const [method, url, body] of endpoints) expect((await t.anonymous.call(method, url, body)).statusCode, `${method} ${url}`).toBe(401);
    // Consumers: no settings, no department counts, no extension.
    expect((await w.consumer.call('GET', '/api/v1/duties/settings')).statusCode).toBe(403);
    for (const c of [w.consumer, w.officer, w.admin, w.auditor]) expect((await c.call('GET', '/api/v1/duties/settings/schema')).statusCode).toBe(403);
    expect((await w.consumer.call('PUT', '/api/v1/duties/settings', {})).statusCode).toBe(403);
    expect((await w.officer.call('PUT', '/api/v1/duties/settings', {})).statusCode).toBe(403);
    expect((await w.consumer.call('GET', '/api/v1/duties/departments')).statusCode).toBe(403);
    // A department's officer sees only its own line.
    const own = (await otherOfficer.call('GET', '/api/v1/duties/departments')).json().items;
    expect(own).toEqual([]);
    // The auditor and sysadmin read the calendar only.
    expect((await w.auditor.call('GET', '/api/v1/duties/calendar?year=2026')).statusCode).toBe(200);
    expect((await w.auditor.call('GET', '/api/v1/duties/requests')).statusCode).toBe(403);
    expect((await w.admin.call('GET', '/api/v1/duties/settings')).statusCode).toBe(403);
  });

  it('the security approval limit is per share type; a stored single value is the default for all three', async () => {
    // Settings stored before the per-type limits: their one value still applies to every type.
    const old = dutiesSettingsSchema.parse({ limits: { security: 7 } }).limits;
    for (const basis of ['unconditional', 'conditional_shared', 'conditional'] as const) expect(limitOf(old, basis, 'security')).toBe(7);
    // The secadmin sets one type; the others keep the default, and the provider stage is unchanged.
    const settings = (await w.secadmin.call('GET', '/api/v1/duties/settings')).json();
    expect(settings.limits.securityByType).toEqual({ unconditional: null, conditionalShared: null, conditional: null });
    const put = await w.secadmin.call('PUT', '/api/v1/duties/settings', {
      ...settings,
      limits: { ...settings.limits, security: 6, securityByType: { ...settings.limits.securityByType, unconditional: 2 } },
    });
    expect(put.statusCode, put.body).toBe(200);
    const limits = dutiesSettingsSchema.parse(put.json()).limits;
    expect(limitOf(limits, 'unconditional', 'security')).toBe(2);
    expect(limitOf(limits, 'conditional', 'security')).toBe(6);
    expect(limitOf(limits, 'conditional_shared', 'security')).toBe(6);
    expect(limitOf(limits, 'unconditional', 'provider')).toBe(limits.unconditional);
    expect(
      (await w.secadmin.call('PUT', '/api/v1/duties/settings', { ...settings, limits: { ...settings.limits, securityByType: { conditional: 0 } } })).statusCode,
    ).toBe(400);
  });
});
