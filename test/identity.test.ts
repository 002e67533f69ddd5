import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from './helpers/db.ts';
import { ADMIN_PASSWORDS, startTestApp, type Client, type TestApp } from './helpers/api.ts';
import type { Role } from '../src/http/access.ts';
import { makeUscc } from '../src/modules/identity/codes.ts';

describeEachBackend('identity', ({ use }) => {
  let t: TestApp;
  let admin: Client;
  let cityOrg: string;
  let otherOrg: string;
  const users: Record<string, { id: string; password: string }> = {};

  /** Creates a user through the API and signs in once to replace the generated password. */
  async function provision(username: string, roles: Role[], orgId: string): Promise<Client> {
    const res = await admin.call('POST', '/api/v1/users', { username, displayName: username, orgId, roles });
    expect(res.statusCode).toBe(201);
    const generated = res.json().password as string;
    const first = await t.login(username, generated);
    const password = `Chaoyang-${Object.keys(users).length}-Steel!`;
    expect((await first.call('POST', '/api/v1/auth/password', { currentPassword: generated, newPassword: password })).statusCode).toBe(204);
    users[username] = { id: res.json().user.id, password };
    return t.login(username, password);
  }

  beforeAll(async () => {
    t = await startTestApp(use().db);
    admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    const province = (await admin.call('GET', '/api/v1/orgs')).json().items[0].id;
    const city = await admin.call('POST', '/api/v1/orgs', {
      name: '朝阳市民政局',
      type: 'department',
      level: 'city',
      uscc: makeUscc('1', '1', '211300', 'MB2C0001'),
      regionCode: '211300',
      parentId: province,
    });
    expect(city.statusCode).toBe(201);
    cityOrg = city.json().id;
    otherOrg = (
      await admin.call('POST', '/api/v1/orgs', {
        name: '省公安厅',
        type: 'department',
        level: 'province',
        uscc: null,
        regionCode: '210000',
        parentId: province,
      })
    ).json().id;
  });
  afterAll(() => t?.close());

  it('creates the platform organisation and the three administrators on first start', async () => {
    const list = (await admin.call('GET', '/api/v1/users')).json().items as { username: string; roles: string[] }[];
    expect(list.map((u) => [u.username, u.roles])).toEqual(
      expect.arrayContaining([
        ['sysadmin', ['sysadmin']],
        ['secadmin', ['secadmin']],
        ['auditor', ['auditor']],
      ]),
    );
    const orgs = (await admin.call('GET', '/api/v1/orgs')).json().items as { name: string }[];
    expect(orgs.map((o) => o.name)).toContain('辽宁省大数据管理局');
  });

  it('signs in with an HttpOnly, SameSite session cookie and answers the same for unknown users and wrong passwords', async () => {
    // The password alone opens no session for an administrator: the second step does.
    const first = await t.anonymous.call('POST', '/api/v1/auth/login', { username: 'auditor', password: ADMIN_PASSWORDS.auditor });
    expect(first.statusCode).toBe(200);
    expect(first.cookies.find((c) => c.name === 'pdx_session')).toBeUndefined();
    const { secondFactor } = first.json();
    const ok = await t.anonymous.call('POST', '/api/v1/auth/second-factor', {
      ticket: secondFactor.ticket,
      code: await t.authenticator.code('auditor', secondFactor),
    });
    expect(ok.statusCode).toBe(200);
    const session = ok.cookies.find((c) => c.name === 'pdx_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(ok.json().user).toMatchObject({ username: 'auditor', roles: ['auditor'], orgName: '辽宁省大数据管理局' });

    const wrong = await t.anonymous.call('POST', '/api/v1/auth/login', { username: 'auditor', password: 'nope-nope-nope' });
    const unknown = await t.anonymous.call('POST', '/api/v1/auth/login', { username: 'nobody-here', password: 'nope-nope-nope' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    expect(wrong.json().error.code).toBe('invalid_credentials');
  });

  it('locks an account after 5 failed sign-ins for 15 minutes, without revealing it, until unlocked', async () => {
    await provision('locktest', ['consumer'], cityOrg);
    for (let i = 0; i < 5; i++) {
      expect((await t.anonymous.call('POST', '/api/v1/auth/login', { username: 'locktest', password: `wrong-${i}` })).statusCode).toBe(401);
    }
    const blocked = await t.anonymous.call('POST', '/api/v1/auth/login', { username: 'locktest', password: users.locktest!.password });
    expect(blocked.statusCode).toBe(401);
    expect(blocked.json().error.code).toBe('invalid_credentials');
    const row = (await t.db.query<{ locked_until: Date }>('SELECT locked_until FROM users WHERE username = $1', ['locktest']))[0]!;
    const minutes = (row.locked_until.getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(14);
    expect(minutes).toBeLessThanOrEqual(15);
    expect(t.events.some((e) => e.action === 'auth.lockout' && e.actor?.username === 'locktest')).toBe(true);

    expect((await admin.call('POST', `/api/v1/users/${users.locktest!.id}/unlock`)).statusCode).toBe(204);
    expect((await t.anonymous.call('POST', '/api/v1/auth/login', { username: 'locktest', password: users.locktest!.password })).statusCode).toBe(200);
  });

  it('makes a generated password be changed at first sign-in, under the password policy', async () => {
    const res = await admin.call('POST', '/api/v1/users', { username: 'firsttime', displayName: '首次', orgId: cityOrg, roles: ['consumer'] });
    const generated = res.json().password as string;
    expect(generated).toHaveLength(16);
    const first = await t.login('firsttime', generated);
    const me = await first.call('GET', '/api/v1/auth/me');
    expect(me.json().mustChangePassword).toBe(true);
    const blocked = await first.call('GET', '/api/v1/orgs');
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().error.code).toBe('password_change_required');

    const weak = await first.call('POST', '/api/v1/auth/password', { currentPassword: generated, newPassword: 'short' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error).toMatchObject({ code: 'weak_password', details: { field: 'password' } });
    expect(weak.json().error.message).toContain('至少 10 个字符');
    const withName = await first.call('POST', '/api/v1/auth/password', { currentPassword: generated, newPassword: 'Firsttime-2026!' });
    expect(withName.json().error.code).toBe('weak_password');

    expect((await first.call('POST', '/api/v1/auth/password', { currentPassword: generated, newPassword: 'Chaoyang-Welfare-77' })).statusCode).toBe(204);
    expect((await first.call('GET', '/api/v1/orgs')).statusCode).toBe(200);
    expect(t.events.some((e) => e.action === 'auth.password_change' && e.result === 'success' && e.actor?.username === 'firsttime')).toBe(true);
  });

  it('refuses state changes without the CSRF token of the session', async () => {
    const session = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    const noToken = await session.call(
      'POST',
      '/api/v1/orgs',
      { name: '无令牌', type: 'department', level: 'province', regionCode: '210000' },
      { 'x-csrf-token': '' },
    );
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().error.code).toBe('csrf_failed');
    expect((await t.db.query('SELECT 1 FROM organizations WHERE name = $1', ['无令牌'])).length).toBe(0);
  });

  it('ends the session on the server at logout and after the idle timeout', async () => {
    const session = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    expect((await session.call('GET', '/api/v1/auth/me')).statusCode).toBe(200);
    expect((await session.call('POST', '/api/v1/auth/logout')).statusCode).toBe(204);
    const after = await session.call('GET', '/api/v1/auth/me');
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('session_expired');

    const idle = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    // Time passes: the session was last seen 31 minutes ago (idle limit 30).
    await t.db.query(
      `UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE ended_at IS NULL AND user_id = (SELECT id FROM users WHERE username = 'secadmin')`,
    );
    expect((await idle.call('GET', '/api/v1/auth/me')).json().error.code).toBe('session_expired');
  });

  it('keeps 三员分立: no account holds two of sysadmin, secadmin, auditor (API and database)', async () => {
    const both = await admin.call('POST', '/api/v1/users', { username: 'twohats', displayName: 'x', orgId: cityOrg, roles: ['sysadmin', 'auditor'] });
    expect(both.statusCode).toBe(400);
    expect(both.json().error.code).toBe('role_separation');
    expect(both.json().error.message).toContain('三员分立');
    const secadminId = (await admin.call('GET', '/api/v1/users')).json().items.find((u: { username: string }) => u.username === 'secadmin').id;
    const add = await admin.call('PATCH', `/api/v1/users/${secadminId}`, { roles: ['secadmin', 'auditor'] });
    expect(add.json().error.code).toBe('role_separation');
    await expect(t.db.query(`UPDATE users SET roles = ARRAY['secadmin','sysadmin'] WHERE username = 'secadmin'`)).rejects.toThrow();
    // A data officer may also consume: those roles are not exclusive.
    const ok = await admin.call('POST', '/api/v1/users', {
      username: 'officer-consumer',
      displayName: 'x',
      orgId: cityOrg,
      roles: ['data_officer', 'consumer'],
    });
    expect(ok.statusCode).toBe(201);
    const narrowed = await admin.call('PATCH', `/api/v1/users/${ok.json().user.id}`, { roles: ['consumer'] });
    expect(narrowed.json().roles).toEqual(['consumer']);
    expect(t.events.some((e) => e.action === 'user.roles_change' && e.target?.label === 'officer-consumer')).toBe(true);
  });

  it('validates organisations: credit code checksum, region, parent, duplicates', async () => {
    const province = (await admin.call('GET', '/api/v1/orgs')).json().items[0].id;
    const bad = await admin.call('POST', '/api/v1/orgs', {
      name: '坏代码局',
      type: 'department',
      level: 'city',
      uscc: '91350100M000100Y44',
      regionCode: '211300',
      parentId: province,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'invalid_uscc', details: { field: 'uscc' } });
    const region = await admin.call('POST', '/api/v1/orgs', { name: '坏区划局', type: 'department', level: 'city', regionCode: '991300' });
    expect(region.json().error.code).toBe('invalid_region_code');
    const parent = await admin.call('POST', '/api/v1/orgs', {
      name: '无上级局',
      type: 'department',
      level: 'city',
      regionCode: '211300',
      parentId: '00000000-0000-4000-8000-000000000000',
    });
    expect(parent.json().error.code).toBe('unknown_org');
    const dup = await admin.call('POST', '/api/v1/orgs', { name: '朝阳市民政局', type: 'department', level: 'city', regionCode: '211300' });
    expect(dup.statusCode).toBe(409);
    const notUuid = await admin.call('POST', '/api/v1/orgs', { name: 'x局', type: 'nope', level: 'city', regionCode: '211300' });
    expect(notUuid.statusCode).toBe(400);
    expect(notUuid.json().error.details[0].field).toBe('body.type');
  });

  it('refuses duplicate usernames and unknown organisations with clear errors', async () => {
    const dup = await admin.call('POST', '/api/v1/users', { username: 'auditor', displayName: 'x', orgId: cityOrg, roles: ['consumer'] });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('username_taken');
    const org = await admin.call('POST', '/api/v1/users', {
      username: 'noorg',
      displayName: 'x',
      orgId: '00000000-0000-4000-8000-000000000000',
      roles: ['consumer'],
    });
    expect(org.statusCode).toBe(400);
    expect(org.json().error).toMatchObject({ code: 'unknown_org', details: { field: 'orgId' } });
  });

  it('issues API keys shown once, stored hashed, refused at once when revoked or expired', async () => {
    const consumer = await provision('apiuser', ['consumer'], cityOrg);
    const created = await consumer.call('POST', '/api/v1/api-keys', { name: '低保核验系统' });
    expect(created.statusCode).toBe(201);
    const key = created.json().key as string;
    expect(key).toMatch(/^pdx_[a-z0-9]{10}_/);
    const stored = await t.db.query<{ key_hash: string }>('SELECT key_hash FROM api_keys WHERE id = $1', [created.json().apiKey.id]);
    expect(stored[0]!.key_hash).not.toContain(key.slice(15));
    expect(JSON.stringify((await consumer.call('GET', '/api/v1/api-keys')).json())).not.toContain(key);

    const app = t.withKey(key);
    const me = await app.call('GET', '/api/v1/auth/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ kind: 'apikey', orgId: cityOrg });
    // Last use is written in batches off the request path; the key list writes this process's waiting
    // times first, so it shows the use made a moment ago, and so does the database after it.
    const listed = (await consumer.call('GET', '/api/v1/api-keys')).json().items as { id: string; lastUsedAt: string | null }[];
    expect(listed.find((k) => k.id === created.json().apiKey.id)?.lastUsedAt).not.toBeNull();
    expect(
      (await t.db.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE id = $1', [created.json().apiKey.id]))[0]!.last_used_at,
    ).not.toBeNull();
    // Keys act for applications: console-only endpoints refuse them.
    expect((await app.call('GET', '/api/v1/api-keys')).statusCode).toBe(403);

    expect((await consumer.call('DELETE', `/api/v1/api-keys/${created.json().apiKey.id}`)).json().state).toBe('revoked');
    const revoked = await app.call('GET', '/api/v1/auth/me');
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().error.code).toBe('api_key_revoked');

    const second = (await consumer.call('POST', '/api/v1/api-keys', { name: '临时', expiresAt: new Date(Date.now() + 60_000).toISOString() })).json();
    await t.db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [second.apiKey.id]);
    expect((await t.withKey(second.key).call('GET', '/api/v1/auth/me')).json().error.code).toBe('api_key_expired');

    const malformed = await t.anonymous.call('GET', '/api/v1/auth/me', undefined, { authorization: 'Bearer not-a-key' });
    expect(malformed.statusCode).toBe(401);
    expect(malformed.json().error.code).toBe('invalid_token');
    expect(t.events.filter((e) => e.action.startsWith('apikey.')).map((e) => e.action)).toEqual(expect.arrayContaining(['apikey.create', 'apikey.revoke']));
  });

  it("hides another organisation's keys: not listed, not revocable", async () => {
    const mine = await provision('keyowner', ['consumer'], cityOrg);
    const theirs = await provision('outsider', ['data_officer'], otherOrg);
    const key = (await mine.call('POST', '/api/v1/api-keys', { name: 'mine' })).json();
    expect((await theirs.call('GET', '/api/v1/api-keys')).json().items.map((k: { id: string }) => k.id)).not.toContain(key.apiKey.id);
    const revoke = await theirs.call('DELETE', `/api/v1/api-keys/${key.apiKey.id}`);
    expect(revoke.statusCode).toBe(404);
    expect((await t.withKey(key.key).call('GET', '/api/v1/auth/me')).statusCode).toBe(200);
  });

  it('gives each endpoint to exactly the roles that may use it', async () => {
    const clients: Record<string, Client> = {
      sysadmin: admin,
      secadmin: await t.login('secadmin', ADMIN_PASSWORDS.secadmin),
      auditor: await t.login('auditor', ADMIN_PASSWORDS.auditor),
      data_officer: await provision('matrix-officer', ['data_officer'], cityOrg),
      consumer: await provision('matrix-consumer', ['consumer'], cityOrg),
    };
    const someUser = (await admin.call('POST', '/api/v1/users', { username: 'matrix-target', displayName: 'x', orgId: cityOrg, roles: ['consumer'] })).json()
      .user.id;
    const endpoints: [string, string, unknown, string[]][] = [
      ['GET', '/api/v1/orgs', undefined, ['sysadmin', 'secadmin', 'auditor', 'data_officer', 'consumer']],
      ['POST', '/api/v1/orgs', { name: '矩阵局', type: 'department', level: 'province', regionCode: '210000' }, ['sysadmin']],
      ['PUT', `/api/v1/orgs/${otherOrg}`, { name: '省公安厅', type: 'department', level: 'province', regionCode: '210000' }, ['sysadmin']],
      ['GET', '/api/v1/users', undefined, ['sysadmin']],
      ['POST', '/api/v1/users', { username: 'm-x', displayName: 'x', orgId: cityOrg, roles: ['consumer'] }, ['sysadmin']],
      ['PATCH', `/api/v1/users/${someUser}`, { displayName: 'renamed' }, ['sysadmin']],
      ['POST', `/api/v1/users/${someUser}/reset-password`, undefined, ['sysadmin']],
      ['POST', `/api/v1/users/${someUser}/unlock`, undefined, ['sysadmin']],
      ['GET', '/api/v1/api-keys', undefined, ['data_officer', 'consumer']],
      ['POST', '/api/v1/api-keys', { name: 'matrix' }, ['data_officer', 'consumer']],
    ];
    for (const [method, url, body, allowed] of endpoints) {
      for (const [role, c] of Object.entries(clients)) {
        const res = await c.call(method, url, body);
        if (allowed.includes(role)) expect(res.statusCode, `${role} ${method} ${url}`).toBeLessThan(300);
        else {
          expect(res.statusCode, `${role} ${method} ${url}`).toBe(403);
          expect(res.json()).toEqual({ error: { code: 'forbidden', message: '无权执行此操作' } });
        }
      }
      expect((await t.anonymous.call(method, url, body)).statusCode, `anonymous ${method} ${url}`).toBe(401);
    }
    expect(t.events.some((e) => e.action === 'access.denied' && e.result === 'denied')).toBe(true);
  });

  it('records every security-relevant action through the one event function', async () => {
    const actions = new Set(t.events.map((e) => e.action));
    for (const action of [
      'auth.login',
      'auth.lockout',
      'auth.logout',
      'auth.password_change',
      'user.create',
      'user.roles_change',
      'org.create',
      'apikey.create',
      'apikey.revoke',
      'access.denied',
    ]) {
      expect(actions, action).toContain(action);
    }
    const failure = t.events.find((e) => e.action === 'auth.login' && e.result === 'failure');
    expect(failure?.ip).toBeDefined();
    expect(JSON.stringify(t.events)).not.toContain(ADMIN_PASSWORDS.sysadmin);
  });
});
