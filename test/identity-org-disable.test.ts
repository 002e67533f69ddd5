/**
 * Disabling an organisation (停用机构, issue 22 point 14): while disabled, none of its accounts signs
 * in, their open sessions end, their API keys are refused, and no account is created in or moved into
 * it; enabling it restores all of that. Only the system administrator may do it, never to the
 * platform authority, and each step is in the audit log.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_PASSWORDS, createOrg, provisionUser, startTestApp, type Client, type TestApp } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';

describeEachBackend('disabling an organisation', ({ use }) => {
  let t: TestApp;
  let admin: Client;
  let orgId: string;
  let otherOrg: string;
  let officer: { client: Client; id: string; password: string };
  let key: string;
  const signIn = (username: string, password: string) => t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  const withKey = (k: string) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${k}` } });

  beforeAll(async () => {
    t = await startTestApp(use().db);
    admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    orgId = await createOrg(admin, '朝阳市民政局', 'city', '211300');
    otherOrg = await createOrg(admin, '锦州市民政局', 'city', '210700');
    officer = await provisionUser(t, admin, 'mz-officer', ['data_officer'], orgId);
    const created = await officer.client.call('POST', '/api/v1/api-keys', { name: '低保核验系统' });
    expect(created.statusCode, created.body).toBe(201);
    key = created.json().key;
  });
  afterAll(() => t?.close());

  it('only the system administrator may, with a reason, and never the platform authority', async () => {
    const secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    expect((await secadmin.call('POST', `/api/v1/orgs/${orgId}/state`, { disabled: true, reason: '机构改革' })).statusCode).toBe(403);
    expect((await officer.client.call('POST', `/api/v1/orgs/${orgId}/state`, { disabled: true, reason: '机构改革' })).statusCode).toBe(403);
    expect((await t.anonymous.call('POST', `/api/v1/orgs/${orgId}/state`, { disabled: true, reason: '机构改革' })).statusCode).toBe(401);
    const noReason = await admin.call('POST', `/api/v1/orgs/${orgId}/state`, { disabled: true });
    expect(noReason.json().error).toMatchObject({ code: 'reason_required', details: { field: 'reason' } });
    const authority = (await admin.call('GET', '/api/v1/orgs')).json().items.find((o: { type: string }) => o.type === 'authority');
    const refused = await admin.call('POST', `/api/v1/orgs/${authority.id}/state`, { disabled: true, reason: '试图停用平台管理机构' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('org_authority');
    // Nothing changed on the way.
    expect((await officer.client.call('GET', '/api/v1/auth/me')).statusCode).toBe(200);
  });

  it('while disabled: no sign-in, sessions ended, API keys refused, no account created or moved in', async () => {
    const disabled = await admin.call('POST', `/api/v1/orgs/${orgId}/state`, { disabled: true, reason: '机构改革，职能并入市数据局' });
    expect(disabled.statusCode, disabled.body).toBe(200);
    expect(disabled.json()).toMatchObject({ disabledReason: '机构改革，职能并入市数据局' });
    expect(disabled.json().disabledAt).not.toBeNull();

    expect((await officer.client.call('GET', '/api/v1/auth/me')).statusCode).toBe(401);
    const login = await signIn('mz-officer', officer.password);
    expect(login.statusCode).toBe(401);
    // The same answer as a wrong password: the sign-in page tells nobody which accounts exist.
    expect(login.json().error.code).toBe('invalid_credentials');
    const refusedKey = await withKey(key);
    expect(refusedKey.statusCode).toBe(401);
    expect(refusedKey.json().error.message).toContain('机构已停用');

    const create = await admin.call('POST', '/api/v1/users', { username: 'mz-new', displayName: '新人', orgId, roles: ['consumer'] });
    expect(create.json().error).toMatchObject({ code: 'org_disabled', details: { field: 'orgId' } });
    const other = await provisionUser(t, admin, 'jz-officer', ['consumer'], otherOrg);
    const move = await admin.call('PATCH', `/api/v1/users/${other.id}`, { orgId });
    expect(move.json().error.code).toBe('org_disabled');

    const events = t.events.filter((e) => e.target?.id === orgId || e.actor?.username === 'mz-officer' || e.actor?.apiKeyId);
    expect(events.some((e) => e.action === 'org.disable' && e.details?.reason === '机构改革，职能并入市数据局')).toBe(true);
    expect(events.some((e) => e.action === 'auth.login' && e.result === 'failure' && e.details?.reason === 'org_disabled')).toBe(true);
    expect(events.some((e) => e.action === 'auth.apikey' && e.result === 'denied' && e.details?.reason === 'org_disabled')).toBe(true);
  });

  it('enabled again: the accounts sign in and the keys work as before', async () => {
    const enabled = await admin.call('POST', `/api/v1/orgs/${orgId}/state`, { disabled: false });
    expect(enabled.statusCode, enabled.body).toBe(200);
    expect(enabled.json()).toMatchObject({ disabledAt: null, disabledReason: null });
    expect((await signIn('mz-officer', officer.password)).statusCode).toBe(200);
    expect((await withKey(key)).statusCode).toBe(200);
    expect(t.events.some((e) => e.action === 'org.enable' && e.target?.id === orgId)).toBe(true);
  });
});
