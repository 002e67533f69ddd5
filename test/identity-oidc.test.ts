/**
 * The ID token of 统一身份认证 at the API (issue 21): its signature checked against the provider's
 * JWKS (a rotated key accepted, an unpublished one refused), forged, expired, wrong-audience,
 * wrong-issuer, wrong-nonce tokens and a replayed code refused with no session, each in the audit log
 * with the factor and reason, feeding the password-guessing detector; and a person whose organisation
 * claim changes is not moved silently.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from './helpers/db.ts';
import { ADMIN_PASSWORDS, startTestApp, type Client, type TestApp } from './helpers/api.ts';
import { startSigningIdp, type SigningIdp } from './helpers/signing-idp.ts';
import { makeUscc } from '../src/modules/identity/codes.ts';

const USCC = makeUscc('1', '1', '210000', 'MB1G0001');
const OTHER_USCC = makeUscc('1', '1', '210000', 'MB1G0002');

describeEachBackend('identity: the ID token of 统一身份认证', ({ use }) => {
  let t: TestApp;
  let idp: SigningIdp;
  let admin: Client;

  /** A browser's round trip: pdx → provider (answers at once) → the callback URL, not yet visited. */
  async function authorize(): Promise<{ callback: string; cookie: string }> {
    const start = await t.anonymous.call('GET', '/api/v1/auth/sso/start');
    expect(start.statusCode, start.body).toBe(302);
    const cookie = start.cookies.find((c) => c.name === 'pdx_sso')!.value;
    const atIdp = await fetch(String(start.headers.location), { redirect: 'manual' });
    const back = new URL(atIdp.headers.get('location')!);
    return { callback: `${back.pathname}${back.search}`, cookie };
  }
  const visit = (flow: { callback: string; cookie: string }) => t.anonymous.call('GET', flow.callback, undefined, { cookie: `pdx_sso=${flow.cookie}` });
  /** Signs in through the provider; what pdx answered the browser. */
  const signIn = async () => visit(await authorize());
  const ssoError = (res: { headers: Record<string, unknown> }) => new URL(String(res.headers.location), 'http://x').searchParams.get('sso_error');
  const session = (res: { cookies: { name: string }[] }) => res.cookies.some((c) => c.name === 'pdx_session');
  const lastLogin = () => [...t.events].reverse().find((e) => e.action === 'auth.login' && e.details?.method === 'oidc');

  beforeAll(async () => {
    idp = await startSigningIdp();
    t = await startTestApp(use().db, {
      PDX_PUBLIC_URL: 'http://pdx.test',
      PDX_OIDC_ISSUER: idp.issuer,
      PDX_OIDC_CLIENT_ID: idp.clientId,
      PDX_OIDC_CLIENT_SECRET: idp.clientSecret,
      PDX_OIDC_CLAIMS: JSON.stringify({ roles: { shuju: ['data_officer'] }, autoApprove: true }),
    });
    admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    for (const [name, uscc] of [
      ['省公安厅', USCC],
      ['省民政厅', OTHER_USCC],
    ]) {
      const created = await admin.call('POST', '/api/v1/orgs', { name, type: 'department', level: 'province', regionCode: '210000', uscc });
      expect(created.statusCode, created.body).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });
  beforeEach(() => {
    idp.tamper = undefined;
    idp.person = { sub: 'wang', claims: { preferred_username: 'wang.shuju', name: '王数据', uscc: USCC, groups: ['shuju'] } };
  });

  it('accepts a token signed by the published key, and by a new key after the provider rotates', async () => {
    const first = await signIn();
    expect(ssoError(first)).toBeNull();
    expect(session(first)).toBe(true);
    expect(lastLogin()).toMatchObject({ result: 'success', actor: { username: 'wang.shuju' } });

    expect(idp.rotate()).toBe('k2');
    const rotated = await signIn();
    expect(ssoError(rotated), String(rotated.headers.location)).toBeNull();
    expect(session(rotated)).toBe(true);
  });

  const refusals: { name: string; tamper: SigningIdp['tamper']; reason: string }[] = [
    { name: 'a forged signature (a key the provider does not publish, under its kid)', tamper: { forge: true }, reason: 'signature' },
    { name: 'a token signed by an unknown key', tamper: { unknownKey: true }, reason: 'unknown_key' },
    { name: 'an expired token', tamper: { claims: (c) => Object.assign(c, { iat: Number(c.iat) - 7200, exp: Number(c.iat) - 3600 }) }, reason: 'expired' },
    { name: 'a token for another audience', tamper: { claims: (c) => Object.assign(c, { aud: 'another-client' }) }, reason: 'aud_mismatch' },
    { name: 'a token of another issuer', tamper: { claims: (c) => Object.assign(c, { iss: 'https://sso.elsewhere.example' }) }, reason: 'iss_mismatch' },
    { name: 'a token with another nonce', tamper: { claims: (c) => Object.assign(c, { nonce: 'not-the-one-pdx-sent' }) }, reason: 'nonce_mismatch' },
  ];
  for (const { name, tamper, reason } of refusals) {
    it(`refuses ${name}: a clear error, no session, audited with the factor and reason`, async () => {
      idp.tamper = tamper;
      const res = await signIn();
      expect(res.statusCode).toBe(302);
      expect(ssoError(res)).toBe('id_token_invalid');
      expect(session(res)).toBe(false);
      expect(lastLogin()).toMatchObject({ result: 'failure', details: { method: 'oidc', factor: 'oidc', step: 'callback', reason } });
    });
  }

  it('refuses a replayed code: the same callback again, and the code with a fresh request', async () => {
    const flow = await authorize();
    const once = await visit(flow);
    expect(session(once)).toBe(true);
    const again = await visit(flow);
    expect(ssoError(again)).toBe('state_invalid');
    expect(session(again)).toBe(false);
    expect(lastLogin()).toMatchObject({ result: 'failure', details: { factor: 'oidc', reason: 'state_unknown_or_used' } });

    // The used code under the state of a new request: the provider refuses to exchange it twice.
    const fresh = await authorize();
    const code = new URLSearchParams(flow.callback.split('?')[1]).get('code')!;
    const swapped = fresh.callback.replace(/code=[^&]+/, `code=${encodeURIComponent(code)}`);
    const replayed = await visit({ callback: swapped, cookie: fresh.cookie });
    expect(ssoError(replayed)).toBe('idp_error');
    expect(session(replayed)).toBe(false);
    expect(lastLogin()).toMatchObject({ result: 'failure', details: { factor: 'oidc', reason: 'token_endpoint_error' } });
  });

  it('does not move a person whose organisation claim changes: refused, the sysadmin told, signed in once the sysadmin moves the account', async () => {
    expect(session(await signIn())).toBe(true);
    const wang = (await t.db.query<{ id: string; org_id: string }>(`SELECT id, org_id FROM users WHERE username = 'wang.shuju'`))[0]!;
    const [minzheng] = await t.db.query<{ id: string }>(`SELECT id FROM organizations WHERE name = '省民政厅'`);

    idp.person.claims = { ...idp.person.claims, uscc: OTHER_USCC };
    for (let i = 0; i < 2; i++) {
      const moved = await signIn();
      expect(ssoError(moved)).toBe('org_changed');
      expect(session(moved)).toBe(false);
    }
    expect(lastLogin()).toMatchObject({
      result: 'denied',
      actor: { username: 'wang.shuju' },
      details: { factor: 'oidc', reason: 'org_changed', detail: '省公安厅 → 省民政厅' },
    });
    expect((await t.db.query<{ org_id: string }>('SELECT org_id FROM users WHERE id = $1', [wang.id]))[0]!.org_id).toBe(wang.org_id);
    // One notification to the sysadmin for the two attempts.
    const told = await t.db.query<{ body: { toOrg: string } }>(
      `SELECT n.body FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'sso_org_change' AND u.username = 'sysadmin'`,
    );
    expect(told.map((n) => n.body.toOrg)).toEqual(['省民政厅']);

    const patched = await admin.call('PATCH', `/api/v1/users/${wang.id}`, { orgId: minzheng!.id });
    expect(patched.statusCode, patched.body).toBe(200);
    const after = await signIn();
    expect(ssoError(after)).toBeNull();
    expect(session(after)).toBe(true);
  });

  it('feeds the password-guessing detector: the refused tokens from one address raise an alert', async () => {
    const secops = t.services.secops.service;
    while ((await secops.processBatch()) > 0);
    const alerts = await t.db.query<{ subject: string }>(`SELECT subject FROM secops_alerts WHERE detector = 'bruteForce'`);
    expect(alerts.map((a) => a.subject)).toContain('ip:127.0.0.1');
  });
});
