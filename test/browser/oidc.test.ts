/**
 * 统一身份认证 against a real OpenID Connect provider (the certified `oidc-provider` package, started
 * in-process by the test with its own signing keys and test people) driven through Chromium (issue 21):
 * authorization code + PKCE, state and nonce, the ID token checked against the provider's JWKS, claims
 * mapped to an organisation and roles, a pending account for an unknown person, refusals on the sign-in
 * page, a replayed callback, an unreachable provider and RP-initiated logout.
 */
import http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Provider, { type FindAccount } from 'oidc-provider';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc } from '../../src/modules/identity/codes.ts';
import { ADMIN_PASSWORD_ENV, ADMIN_PASSWORDS } from '../helpers/api.ts';
import { launchBrowser, screenshot, signOut, watchErrors } from '../helpers/browser.ts';
import { httpLogin } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const USCC = makeUscc('1', '1', '210000', 'MB1G0001');
const CLIENT_SECRET = randomBytes(24).toString('base64url');

/** The province's staff at the provider: subject → claims. */
const PEOPLE: Record<string, Record<string, unknown>> = {
  wang: { preferred_username: 'wang.shuju', name: '王数据', uscc: USCC, groups: ['shuju'] },
  li: { preferred_username: 'li.yingyong', name: '李应用', uscc: USCC, groups: ['yingyong'] },
  zhao: { preferred_username: 'zhao', name: '赵外单位', uscc: makeUscc('1', '1', '210000', 'MB1M0002'), groups: ['shuju'] },
};

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('console: 统一身份认证 through a real OpenID Connect provider in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let idp: http.Server;
  let issuer: string;

  beforeAll(async () => {
    const idpPort = await freePort();
    const pdxPort = await freePort();
    issuer = `http://127.0.0.1:${idpPort}`;
    const pdxUrl = `http://127.0.0.1:${pdxPort}`;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'pdx',
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${pdxUrl}/api/v1/auth/sso/callback`],
          post_logout_redirect_uris: [`${pdxUrl}/`],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }] as never },
      claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'uscc', 'groups'] },
      cookies: { keys: [randomBytes(16).toString('hex')] },
      findAccount: ((_ctx, sub) => (PEOPLE[sub] ? { accountId: sub, claims: () => ({ sub, ...PEOPLE[sub] }) } : undefined)) as FindAccount,
      features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    });
    idp = http.createServer(provider.callback());
    await new Promise<void>((resolve) => idp.listen(idpPort, '127.0.0.1', resolve));

    server = await startTestServer({
      ...ADMIN_PASSWORD_ENV,
      PDX_PORT: String(pdxPort),
      PDX_HOST: '127.0.0.1',
      PDX_PUBLIC_URL: pdxUrl,
      PDX_OIDC_ISSUER: issuer,
      PDX_OIDC_CLIENT_ID: 'pdx',
      PDX_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      PDX_OIDC_CLAIMS: JSON.stringify({ roles: { shuju: ['data_officer'], yingyong: ['consumer'] }, autoApprove: ['shuju'] }),
    });
    const admin = (await httpLogin(server.url, 'sysadmin', ADMIN_PASSWORDS.sysadmin)).client!;
    const created = await admin.call('POST', '/api/v1/orgs', { name: '省公安厅', type: 'department', level: 'province', regionCode: '210000', uscc: USCC });
    expect(created.statusCode, created.body).toBe(201);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    idp?.closeAllConnections();
    await new Promise((resolve) => idp?.close(resolve));
  });

  /** Clicks 统一身份认证登录 and signs in at the provider's page (login, then consent); returns where pdx sent the browser. */
  async function ssoSignIn(page: Page, subject: string): Promise<URL> {
    await page.goto(server.url);
    await page.getByTestId('sso-button').click();
    await page.waitForURL((u) => u.href.startsWith(issuer), { waitUntil: 'commit' });
    await page.locator('input[name="login"]').fill(subject);
    await page.locator('input[name="password"]').fill('any');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((u) => u.href.startsWith(server.url) && !u.pathname.startsWith('/api/'), { waitUntil: 'commit' });
    return new URL(page.url());
  }

  const signedInAs = async (page: Page) => {
    const res = await page.request.get(`${server.url}/api/v1/auth/me`);
    return res.ok() ? ((await res.json()) as { username: string; roles: string[]; orgName: string }) : undefined;
  };

  it('signs a known organisation’s officer in: code + PKCE, ID token checked, claims mapped to organisation and role', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(server.url);
    await page.getByTestId('sso-button').waitFor();
    expect(await page.getByText('统一身份认证登录').count()).toBe(1);
    await screenshot(page, 'oidc-01-sign-in-page');
    const authorize = page.waitForRequest((r) => r.url().startsWith(`${issuer}/auth`));
    const landed = ssoSignIn(page, 'wang');
    const request = new URL((await authorize).url());
    expect(request.searchParams.get('code_challenge_method')).toBe('S256');
    expect(request.searchParams.get('state')).toBeTruthy();
    expect(request.searchParams.get('nonce')).toBeTruthy();
    expect((await landed).searchParams.get('sso_error')).toBeNull();
    await page.getByTestId('user-menu').waitFor();
    expect(await signedInAs(page)).toMatchObject({ username: 'wang.shuju', roles: ['data_officer'], orgName: '省公安厅' });
    // The provider's own (development) pages load web fonts from the internet, unreachable here.
    expect(errors.filter((e) => !e.includes('ERR_NAME_NOT_RESOLVED'))).toEqual([]);

    // RP-initiated logout: pdx's session ends and the browser visits the provider's end-session page.
    await signOut(page);
    await page.waitForURL((u) => u.href.startsWith(issuer), { waitUntil: 'commit' });
    expect(await signedInAs(page)).toBeUndefined();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL((u) => u.href.startsWith(server.url), { waitUntil: 'commit' });
    await page.getByLabel('密码').waitFor();
  });

  it('makes a pending account for an unknown person until the sysadmin approves it, and refuses an unknown organisation', async () => {
    const page = await browser.newPage();
    expect((await ssoSignIn(page, 'li')).searchParams.get('sso_error')).toBe('pending_approval');
    await expect.poll(() => page.getByTestId('sso-error').textContent()).toContain('等待系统管理员审核');
    expect(await signedInAs(page)).toBeUndefined();
    const admin = (await httpLogin(server.url, 'sysadmin', ADMIN_PASSWORDS.sysadmin)).client!;
    const li = ((await admin.call('GET', '/api/v1/users')).json().items as { id: string; username: string; pendingApproval: boolean; signOn: string }[]).find(
      (u) => u.username === 'li.yingyong',
    )!;
    expect(li).toMatchObject({ pendingApproval: true, signOn: 'sso' });
    expect((await admin.call('POST', `/api/v1/users/${li.id}/approve`)).statusCode).toBe(204);
    // A fresh browser: the first one still has a session at the provider, which would skip its sign-in form.
    const approved = await browser.newPage();
    await ssoSignIn(approved, 'li');
    await approved.getByTestId('user-menu').waitFor();
    expect(await signedInAs(approved)).toMatchObject({ username: 'li.yingyong', roles: ['consumer'] });

    const other = await browser.newPage();
    expect((await ssoSignIn(other, 'zhao')).searchParams.get('sso_error')).toBe('unknown_org');
    await expect.poll(() => other.getByTestId('sso-error').textContent()).toContain('所属单位未接入本平台');
    expect(await signedInAs(other)).toBeUndefined();
  });

  it('refuses a forged state, a replayed callback and an unreachable provider, opening no session', async () => {
    const page = await browser.newPage();
    // The callback the provider sent once, captured and replayed: its state is used up.
    let callback: string | undefined;
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/auth/sso/callback')) callback = r.url();
    });
    await ssoSignIn(page, 'wang');
    await page.getByTestId('user-menu').waitFor();
    const fresh = await browser.newPage();
    await fresh.goto(callback!);
    expect(new URL(fresh.url()).searchParams.get('sso_error')).toBe('state_invalid');
    expect(await signedInAs(fresh)).toBeUndefined();
    await fresh.goto(`${server.url}/api/v1/auth/sso/callback?state=forged&code=forged`);
    expect(new URL(fresh.url()).searchParams.get('sso_error')).toBe('state_invalid');
    await expect.poll(() => fresh.getByTestId('sso-error').textContent()).toContain('登录请求已失效');

    // The provider goes down between the redirect and the code exchange.
    const start = await fetch(`${server.url}/api/v1/auth/sso/start`, { redirect: 'manual' });
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const browserCookie = start.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    idp.closeAllConnections();
    await new Promise((resolve) => idp.close(resolve));
    const answer = await fetch(`${server.url}/api/v1/auth/sso/callback?state=${state}&code=whatever&iss=${encodeURIComponent(issuer)}`, {
      redirect: 'manual',
      headers: { cookie: browserCookie },
    });
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe('/?sso_error=idp_unavailable');
    expect(answer.headers.getSetCookie().some((c) => c.startsWith('pdx_session='))).toBe(false);
    const records = await server.db.query<{ details: { method?: string; reason?: string }; result: string }>(
      `SELECT details, result FROM audit_records WHERE action = 'auth.login'`,
    );
    expect(records.some((r) => r.result === 'success' && r.details.method === 'oidc')).toBe(true);
    expect(records.filter((r) => r.result === 'failure' && r.details.method === 'oidc').map((r) => r.details.reason)).toEqual(
      expect.arrayContaining(['state_unknown_or_used', 'unreachable']),
    );
  });
});
