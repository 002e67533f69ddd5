/**
 * 三员分立 held against the system administrator too (issue 13, findings 1, 2 and 5): administrator
 * roles are held alone and only in the platform authority (service and database); changes to
 * administrator accounts wait for a second administrator, every step is audited and alerted; a
 * password change ends the account's other sessions.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from './helpers/db.ts';
import { ADMIN_PASSWORDS, provisionUser, startTestApp, type Client, type TestApp } from './helpers/api.ts';
import { listMigrations, migrate } from '../src/db/migrate.ts';
import { makeUscc } from '../src/modules/identity/codes.ts';

describeEachBackend('identity: 三员分立 and two-person control', ({ use }) => {
  let t: TestApp;
  let admin: Client;
  let secadmin: Client;
  let auditor: Client;
  let platformOrg: string;
  let cityOrg: string;
  const ids: Record<string, string> = {};
  /** The auditor's password (the test resets it through an approved change). */
  let auditorPassword = ADMIN_PASSWORDS.auditor;

  const userId = async (username: string) =>
    (await admin.call('GET', '/api/v1/users')).json().items.find((u: { username: string }) => u.username === username)?.id as string | undefined;
  const drainSecops = async () => {
    while ((await t.services.secops.service.processBatch()) > 0);
  };

  beforeAll(async () => {
    t = await startTestApp(use().db);
    admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    auditor = await t.login('auditor', ADMIN_PASSWORDS.auditor);
    const orgs = (await admin.call('GET', '/api/v1/orgs')).json().items as { id: string; name: string; type: string }[];
    platformOrg = orgs.find((o) => o.type === 'authority')!.id;
    const city = await admin.call('POST', '/api/v1/orgs', {
      name: '朝阳市民政局',
      type: 'department',
      level: 'city',
      uscc: makeUscc('1', '1', '211300', 'MB2C0001'),
      regionCode: '211300',
      parentId: platformOrg,
    });
    cityOrg = city.json().id;
    for (const name of ['sysadmin', 'secadmin', 'auditor']) ids[name] = (await userId(name))!;
  });
  afterAll(() => t?.close());

  it('refuses an administrator role beside any other role, or outside the platform authority (API, both languages)', async () => {
    const self = await admin.call('PATCH', `/api/v1/users/${ids.sysadmin}`, { roles: ['sysadmin', 'consumer'] });
    expect(self.statusCode).toBe(400);
    expect(self.json().error.code).toBe('role_separation');
    expect(self.json().error.message).toContain('系统管理员（sysadmin）');
    expect(self.json().error.message).toContain('数据使用方（consumer）');
    const en = await admin.call('PATCH', `/api/v1/users/${ids.sysadmin}`, { roles: ['sysadmin', 'consumer'] }, { 'accept-language': 'en' });
    expect(en.json().error.message).toBe('Separation of duties: sysadmin cannot be combined with other roles (consumer)');
    const sec = await admin.call('PATCH', `/api/v1/users/${ids.secadmin}`, { roles: ['secadmin', 'consumer', 'data_officer'] });
    expect(sec.statusCode).toBe(400);
    expect(sec.json().error.code).toBe('role_separation');

    // A consumer of 朝阳市民政局 cannot be made 安全管理员 (it would approve its own organisation's requests).
    const consumer = await provisionUser(t, admin, 'mz-consumer', ['consumer'], cityOrg);
    ids['mz-consumer'] = consumer.id;
    const promoted = await admin.call('PATCH', `/api/v1/users/${consumer.id}`, { roles: ['secadmin'] });
    expect(promoted.statusCode).toBe(400);
    expect(promoted.json().error).toMatchObject({ code: 'role_separation', details: { field: 'orgId' } });
    expect(promoted.json().error.message).toContain('朝阳市民政局');
    expect((await admin.call('PATCH', `/api/v1/users/${consumer.id}`, { roles: ['consumer', 'secadmin'] })).json().error.code).toBe('role_separation');
    const outside = await admin.call('POST', '/api/v1/users', { username: 'city-auditor', displayName: 'x', orgId: cityOrg, roles: ['auditor'] });
    expect(outside.statusCode).toBe(400);
    expect(outside.json().error.code).toBe('role_separation');
    const twoHats = await admin.call('POST', '/api/v1/users', {
      username: 'ops-reader',
      displayName: 'x',
      orgId: platformOrg,
      roles: ['sysadmin', 'data_officer'],
    });
    expect(twoHats.json().error.code).toBe('role_separation');
    // The platform authority holds the administrators: it cannot stop being one.
    const retype = await admin.call('PUT', `/api/v1/orgs/${platformOrg}`, {
      name: '辽宁省大数据管理局',
      type: 'department',
      level: 'province',
      regionCode: '210000',
      uscc: null,
    });
    expect(retype.statusCode).toBe(400);
    expect(retype.json().error).toMatchObject({ code: 'role_separation', details: { field: 'type' } });

    const roles = await t.db.query<{ username: string; roles: string[] }>(
      `SELECT username, roles FROM users WHERE username IN ('sysadmin', 'secadmin', 'mz-consumer') ORDER BY username`,
    );
    expect(roles).toEqual([
      { username: 'mz-consumer', roles: ['consumer'] },
      { username: 'secadmin', roles: ['secadmin'] },
      { username: 'sysadmin', roles: ['sysadmin'] },
    ]);
    // The refused sysadmin still reads no shared data.
    expect((await admin.call('GET', '/api/v1/datasets/210000-000001/records')).statusCode).toBe(403);
  });

  it('the database refuses the same combinations whatever writes them', async () => {
    await expect(t.db.query(`UPDATE users SET roles = ARRAY['sysadmin', 'consumer'] WHERE username = 'sysadmin'`)).rejects.toThrow();
    await expect(t.db.query(`UPDATE users SET roles = ARRAY['secadmin'] WHERE username = 'mz-consumer'`)).rejects.toThrow(/role_separation/);
    await expect(t.db.query(`UPDATE users SET org_id = $1 WHERE username = 'auditor'`, [cityOrg])).rejects.toThrow(/role_separation/);
    await expect(
      t.db.query(`INSERT INTO users (id, org_id, username, display_name, roles, password_hash) VALUES ($1, $2, 'sneaky', 'x', ARRAY['auditor'], 'x')`, [
        randomUUID(),
        cityOrg,
      ]),
    ).rejects.toThrow(/role_separation/);
    await expect(t.db.query(`UPDATE organizations SET type = 'department' WHERE id = $1`, [platformOrg])).rejects.toThrow(/role_separation/);
    // Other changes of the rows still work.
    await t.db.query(`UPDATE organizations SET name = name WHERE id = $1`, [platformOrg]);
    await t.db.query(`UPDATE users SET display_name = '系统管理员' WHERE username = 'sysadmin'`);
  });

  it('holds the creation of an administrator for a second administrator; the password reaches the holder in two halves', async () => {
    const proposed = await admin.call('POST', '/api/v1/users', { username: 'auditor2', displayName: '审计员二', orgId: platformOrg, roles: ['auditor'] });
    expect(proposed.statusCode, proposed.body).toBe(202);
    const { change, passwordPart: first } = proposed.json();
    expect(change).toMatchObject({
      kind: 'create',
      state: 'pending',
      targetUsername: 'auditor2',
      targetUserId: null,
      adminRoles: ['auditor'],
      approverRole: 'secadmin',
      proposedBy: { username: 'sysadmin' },
    });
    expect(first).toHaveLength(8);
    expect(JSON.stringify(change)).not.toContain(first);
    expect(await userId('auditor2')).toBeUndefined();
    const [stored] = await t.db.query<{ sealed_password: string }>('SELECT sealed_password FROM admin_changes WHERE id = $1', [change.id]);
    expect(stored!.sealed_password).toBeTruthy();
    expect(Buffer.from(stored!.sealed_password, 'base64').toString('latin1')).not.toContain(first);

    // Only the secadmin approves auditor accounts: not the auditor, not the proposer.
    const byAuditor = await auditor.call('POST', `/api/v1/admin-changes/${change.id}/approve`);
    expect(byAuditor.statusCode).toBe(403);
    expect(byAuditor.json().error.code).toBe('not_approver');
    expect(byAuditor.json().error.message).toBe('此变更须由安全管理员审批');
    expect((await admin.call('POST', `/api/v1/admin-changes/${change.id}/approve`)).statusCode).toBe(403);

    // The secadmin's to-do: the list and a notification.
    const listed = (await secadmin.call('GET', '/api/v1/admin-changes')).json().items;
    expect(listed[0]).toMatchObject({ id: change.id, state: 'pending' });
    const notes = (await secadmin.call('GET', '/api/v1/notifications')).json().items as { kind: string; title: string; link: string }[];
    expect(notes.find((n) => n.kind === 'admin_change')).toMatchObject({ title: '待审批：新建审计管理员账号 auditor2', link: '/admin/changes' });

    const approved = await secadmin.call('POST', `/api/v1/admin-changes/${change.id}/approve`);
    expect(approved.statusCode, approved.body).toBe(200);
    const second = approved.json().passwordPart as string;
    expect(second).toHaveLength(8);
    expect(approved.json().change).toMatchObject({ state: 'applied', decidedBy: { username: 'secadmin' } });
    expect(approved.json().change.targetUserId).toBe(await userId('auditor2'));
    expect(
      (await t.db.query<{ sealed_password: string | null }>('SELECT sealed_password FROM admin_changes WHERE id = $1', [change.id]))[0]!.sealed_password,
    ).toBeNull();

    // Neither half alone signs in; both together do, and must be changed at once.
    for (const half of [first, second]) {
      expect((await t.anonymous.call('POST', '/api/v1/auth/login', { username: 'auditor2', password: half })).statusCode).toBe(401);
    }
    const holder = await t.login('auditor2', `${first}${second}`);
    expect((await holder.call('GET', '/api/v1/auth/me')).json()).toMatchObject({ roles: ['auditor'], mustChangePassword: true });
    expect((await secadmin.call('POST', `/api/v1/admin-changes/${change.id}/approve`)).json().error.code).toBe('change_decided');
  });

  it('holds a reset of the auditor and the disabling of the secadmin; nothing changes until approved, a rejection changes nothing', async () => {
    const session = await t.login('auditor', auditorPassword);
    const reset = await admin.call('POST', `/api/v1/users/${ids.auditor}/reset-password`);
    expect(reset.statusCode).toBe(202);
    expect(reset.json().change).toMatchObject({ kind: 'reset_password', approverRole: 'secadmin' });
    // Held: the auditor still signs in with its password, its session lives.
    expect((await session.call('GET', '/api/v1/auth/me')).statusCode).toBe(200);
    const approved = await secadmin.call('POST', `/api/v1/admin-changes/${reset.json().change.id}/approve`);
    expect(approved.statusCode).toBe(200);
    expect((await session.call('GET', '/api/v1/auth/me')).json().error.code).toBe('session_expired');
    expect((await t.anonymous.call('POST', '/api/v1/auth/login', { username: 'auditor', password: auditorPassword })).statusCode).toBe(401);
    const generated = `${reset.json().passwordPart}${approved.json().passwordPart}`;
    const first = await t.login('auditor', generated);
    auditorPassword = 'Tiexi-Ledger-2027';
    expect((await first.call('POST', '/api/v1/auth/password', { currentPassword: generated, newPassword: auditorPassword })).statusCode).toBe(204);
    auditor = first;

    const disable = await admin.call('PATCH', `/api/v1/users/${ids.secadmin}`, { disabled: true });
    expect(disable.statusCode).toBe(202);
    expect(disable.json().change).toMatchObject({
      kind: 'update',
      approverRole: 'auditor',
      changes: { disabled: true },
      before: { disabled: false, roles: ['secadmin'] },
    });
    expect((await secadmin.call('GET', '/api/v1/auth/me')).statusCode).toBe(200);
    expect((await secadmin.call('POST', `/api/v1/admin-changes/${disable.json().change.id}/approve`)).json().error.code).toBe('not_approver');
    const rejected = await auditor.call('POST', `/api/v1/admin-changes/${disable.json().change.id}/reject`, { reason: '未说明停用理由' });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({ state: 'rejected', reason: '未说明停用理由', decidedBy: { username: 'auditor' } });
    expect((await secadmin.call('GET', '/api/v1/auth/me')).statusCode).toBe(200);
    const sysNotes = (await admin.call('GET', '/api/v1/notifications')).json().items as { title: string }[];
    expect(sysNotes.map((n) => n.title)).toContain('三员账号变更被驳回：secadmin');

    // A name is not a change of duties: it applies at once.
    const renamed = await admin.call('PATCH', `/api/v1/users/${ids.secadmin}`, { displayName: '安全管理员(值班)' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().displayName).toBe('安全管理员(值班)');
  });

  it('one open change per account; the proposer withdraws; secadmin ↔ auditor is refused (each approves the other)', async () => {
    const a = await admin.call('POST', `/api/v1/users/${ids.secadmin}/reset-password`);
    expect(a.statusCode).toBe(202);
    const b = await admin.call('PATCH', `/api/v1/users/${ids.secadmin}`, { disabled: true });
    expect(b.statusCode).toBe(409);
    expect(b.json().error.code).toBe('change_pending');
    const withdrawn = await admin.call('POST', `/api/v1/admin-changes/${a.json().change.id}/withdraw`);
    expect(withdrawn.json()).toMatchObject({ state: 'withdrawn', decidedBy: { username: 'sysadmin' } });
    expect((await admin.call('POST', `/api/v1/admin-changes/${a.json().change.id}/withdraw`)).json().error.code).toBe('change_decided');
    expect((await auditor.call('POST', `/api/v1/admin-changes/${a.json().change.id}/approve`)).json().error.code).toBe('change_decided');

    const swap = await admin.call('PATCH', `/api/v1/users/${ids.auditor}`, { roles: ['secadmin'] });
    expect(swap.statusCode).toBe(400);
    expect(swap.json().error.code).toBe('admin_role_swap');
  });

  it('the command line (host access) applies at once and is still recorded and alerted; an API caller cannot bypass the approval', async () => {
    const host = await t.services.identity.resetPassword({ requestId: 'cli', hostAccess: true }, ids.secadmin!);
    expect(host.password).toHaveLength(16);
    const applied = t.events.find((e) => e.action === 'admin_change.apply' && e.details?.via === 'host');
    expect(applied).toMatchObject({ target: { label: 'secadmin' }, details: { kind: 'reset_password', adminRoles: ['secadmin'] } });
    const principal = { kind: 'user' as const, userId: ids.sysadmin!, username: 'sysadmin', orgId: platformOrg, roles: ['sysadmin' as const] };
    await expect(t.services.identity.resetPassword({ principal }, ids.auditor!)).rejects.toMatchObject({ code: 'two_person_control', status: 403 });
    await expect(t.services.identity.updateUser({ principal }, ids.auditor!, { disabled: true })).rejects.toMatchObject({ code: 'two_person_control' });
    // Put the secadmin's password back for the tests that follow (host access again).
    secadmin = await t.login('secadmin', host.password);
    expect((await secadmin.call('POST', '/api/v1/auth/password', { currentPassword: host.password, newPassword: ADMIN_PASSWORDS.secadmin })).statusCode).toBe(
      204,
    );
  });

  it('records every step in the audit log and raises an alert for each in security operations', async () => {
    const actions = new Set(t.events.map((e) => e.action));
    for (const step of ['propose', 'approve', 'apply', 'reject', 'withdraw']) expect(actions, step).toContain(`admin_change.${step}`);
    expect(JSON.stringify(t.events)).not.toMatch(/"passwordPart"|"sealed_password"/);
    await drainSecops();
    const alerts = (await secadmin.call('GET', '/api/v1/secops/alerts?detector=adminChange')).json().items as { subject: string; title: { zh: string } }[];
    const steps = alerts.map((a) => a.subject.split(':').at(-1));
    for (const step of ['propose', 'approve', 'apply', 'reject', 'withdraw']) expect(steps, step).toContain(step);
    const titles = alerts.map((a) => a.title.zh);
    expect(titles).toContain('三员账号变更生效：重置密码安全管理员账号 secadmin（主机命令行）');
    expect(titles).toContain('三员账号变更驳回：修改安全管理员账号 secadmin');
  });

  it("a password change ends the account's other sessions and keeps the current one", async () => {
    const { password } = await provisionUser(t, admin, 'mz-officer', ['data_officer'], cityOrg);
    const here = await t.login('mz-officer', password);
    const elsewhere = await t.login('mz-officer', password);
    expect((await elsewhere.call('GET', '/api/v1/auth/me')).statusCode).toBe(200);
    expect((await here.call('POST', '/api/v1/auth/password', { currentPassword: password, newPassword: 'Chaoyang-Officer-2027' })).statusCode).toBe(204);
    expect((await here.call('GET', '/api/v1/auth/me')).statusCode).toBe(200);
    const ended = await elsewhere.call('GET', '/api/v1/auth/me');
    expect(ended.statusCode).toBe(401);
    expect(ended.json().error.code).toBe('session_expired');
    const live = await t.db.query(`SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'mz-officer' AND s.ended_at IS NULL`);
    expect(live).toHaveLength(1);
  });

  it('authorization matrix: an administrator altering administrators is refused or held for approval', async () => {
    const consumer = ids['mz-consumer']!;
    const cases: [string, string, string, unknown, number, string?][] = [
      ['sysadmin gives itself a data role', 'PATCH', `/api/v1/users/${ids.sysadmin}`, { roles: ['sysadmin', 'consumer'] }, 400, 'role_separation'],
      ['sysadmin makes itself secadmin', 'PATCH', `/api/v1/users/${ids.sysadmin}`, { roles: ['secadmin'] }, 400, 'self_lockout'],
      ['sysadmin disables itself', 'PATCH', `/api/v1/users/${ids.sysadmin}`, { disabled: true }, 400, 'self_lockout'],
      [
        'sysadmin gives the secadmin data roles',
        'PATCH',
        `/api/v1/users/${ids.secadmin}`,
        { roles: ['secadmin', 'consumer', 'data_officer'] },
        400,
        'role_separation',
      ],
      ['sysadmin makes a city consumer secadmin', 'PATCH', `/api/v1/users/${consumer}`, { roles: ['secadmin'] }, 400, 'role_separation'],
      ['sysadmin demotes the secadmin', 'PATCH', `/api/v1/users/${ids.secadmin}`, { roles: ['consumer'] }, 202],
      ['sysadmin disables the auditor', 'PATCH', `/api/v1/users/${ids.auditor}`, { disabled: true }, 202],
      ['sysadmin creates a secadmin', 'POST', '/api/v1/users', { username: 'sec2', displayName: 'x', orgId: platformOrg, roles: ['secadmin'] }, 202],
      ['sysadmin creates an auditor', 'POST', '/api/v1/users', { username: 'aud3', displayName: 'x', orgId: platformOrg, roles: ['auditor'] }, 202],
      ['sysadmin creates a sysadmin', 'POST', '/api/v1/users', { username: 'sys2', displayName: 'x', orgId: platformOrg, roles: ['sysadmin'] }, 202],
      ['sysadmin resets the secadmin', 'POST', `/api/v1/users/${ids.secadmin}/reset-password`, undefined, 409, 'change_pending'],
      ['sysadmin resets itself', 'POST', `/api/v1/users/${ids.sysadmin}/reset-password`, undefined, 202],
      ['sysadmin makes the auditor secadmin', 'PATCH', `/api/v1/users/${ids.auditor}`, { roles: ['secadmin'] }, 400, 'admin_role_swap'],
    ];
    const held: string[] = [];
    for (const [what, method, url, body, status, code] of cases) {
      const res = await admin.call(method, url, body);
      expect(res.statusCode, `${what}: ${res.body}`).toBe(status);
      if (code) expect(res.json().error.code, what).toBe(code);
      if (status === 202) held.push(res.json().change.id);
    }
    const approvers = (await admin.call('GET', '/api/v1/admin-changes'))
      .json()
      .items.filter((c: { id: string }) => held.includes(c.id))
      .map((c: { targetUsername: string; approverRole: string }) => [c.targetUsername, c.approverRole]);
    expect(approvers.sort()).toEqual([
      ['aud3', 'secadmin'],
      ['auditor', 'secadmin'],
      ['sec2', 'auditor'],
      ['secadmin', 'auditor'],
      ['sys2', 'auditor'],
      ['sysadmin', 'auditor'],
    ]);
    for (const id of held) expect((await admin.call('POST', `/api/v1/admin-changes/${id}/withdraw`)).statusCode).toBe(200);

    // Who may list and decide changes: the three administrators see them; only secadmin and auditor decide.
    const clients: Record<string, Client> = {
      sysadmin: admin,
      secadmin,
      auditor,
      data_officer: (await provisionUser(t, admin, 'm-officer', ['data_officer'], cityOrg)).client,
      consumer: (await provisionUser(t, admin, 'm-consumer', ['consumer'], cityOrg)).client,
    };
    const unknown = randomUUID();
    const endpoints: [string, string, unknown, string[], number][] = [
      ['GET', '/api/v1/admin-changes', undefined, ['sysadmin', 'secadmin', 'auditor'], 200],
      ['POST', `/api/v1/admin-changes/${unknown}/approve`, undefined, ['secadmin', 'auditor'], 404],
      ['POST', `/api/v1/admin-changes/${unknown}/reject`, { reason: '不同意' }, ['secadmin', 'auditor'], 404],
      ['POST', `/api/v1/admin-changes/${unknown}/withdraw`, undefined, ['sysadmin'], 404],
    ];
    for (const [method, url, body, allowed, status] of endpoints) {
      for (const [role, c] of Object.entries(clients)) {
        const res = await c.call(method, url, body);
        expect(res.statusCode, `${role} ${method} ${url}`).toBe(allowed.includes(role) ? status : 403);
        if (!allowed.includes(role)) expect(res.json()).toEqual({ error: { code: 'forbidden', message: '无权执行此操作' } });
      }
      expect((await t.anonymous.call(method, url, body)).statusCode).toBe(401);
    }
  });
});

describeEachBackend(
  'migration 0010 on an installation that already broke 三员分立',
  ({ use }) => {
    it('strips business roles from administrators, takes administrator roles from accounts outside the authority, and signs them out', async () => {
      const db = use().db;
      await migrate(
        db,
        listMigrations().filter((m) => m.version < 10),
      );
      const authority = randomUUID();
      const city = randomUUID();
      await db.query(
        `INSERT INTO organizations (id, name, type, level, region_code) VALUES ($1, '辽宁省大数据管理局', 'authority', 'province', '210000'), ($2, '朝阳市民政局', 'department', 'city', '211300')`,
        [authority, city],
      );
      const users = { sys: randomUUID(), sec: randomUUID(), cityBoth: randomUUID(), cityAdmin: randomUUID(), plain: randomUUID() };
      const insert = (id: string, org: string, name: string, roles: string[]) =>
        db.query(`INSERT INTO users (id, org_id, username, display_name, roles, password_hash) VALUES ($1, $2, $3, $3, $4, 'x')`, [id, org, name, roles]);
      await insert(users.sys, authority, 'sysadmin', ['sysadmin', 'consumer']);
      await insert(users.sec, authority, 'secadmin', ['secadmin', 'consumer', 'data_officer']);
      await insert(users.cityBoth, city, 'mz-consumer', ['consumer', 'secadmin']);
      await insert(users.cityAdmin, city, 'mz-admin', ['auditor']);
      await insert(users.plain, city, 'mz-plain', ['consumer']);
      for (const id of Object.values(users)) {
        await db.query(`INSERT INTO sessions (id_hash, user_id, csrf_hash, expires_at) VALUES ($1, $2, 'c', now() + interval '1 hour')`, [`h-${id}`, id]);
      }
      await migrate(db);
      const rows = await db.query<{ username: string; roles: string[]; disabled: boolean; live: boolean }>(
        `SELECT u.username, u.roles, u.disabled, EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id AND s.ended_at IS NULL) AS live FROM users u ORDER BY u.username`,
      );
      expect(rows).toEqual([
        { username: 'mz-admin', roles: [], disabled: true, live: false },
        { username: 'mz-consumer', roles: ['consumer'], disabled: false, live: false },
        { username: 'mz-plain', roles: ['consumer'], disabled: false, live: true },
        { username: 'secadmin', roles: ['secadmin'], disabled: false, live: false },
        { username: 'sysadmin', roles: ['sysadmin'], disabled: false, live: false },
      ]);
    });
  },
  { migrate: false },
);
