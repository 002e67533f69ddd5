/**
 * Two-factor sign-in of an administrator in Chromium (issue 21): the first sign-in enrols an
 * authenticator from the QR code's secret and shows the recovery codes once; later sign-ins ask for a
 * code, or take a recovery code. Codes are computed from the secret the page shows, on the server's
 * controllable clock (helpers/authenticator.ts).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD_ENV, ADMIN_PASSWORDS, loginClient } from '../helpers/api.ts';
import { authenticatorFor } from '../helpers/authenticator.ts';
import { launchBrowser, screenshot, signOut, signIn, submitSecondFactor, submitSignIn, watchErrors } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('console: two-factor sign-in of administrators in Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer(ADMIN_PASSWORD_ENV);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('enrols the authenticator at the first sign-in, then signs in with a code and with a recovery code', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    const authenticator = authenticatorFor(server.url);
    await page.goto(server.url);
    // Local sign-in only here: no identity provider configured, no 统一身份认证 button.
    await page.getByLabel('密码').waitFor();
    expect(await page.getByTestId('sso-button').count()).toBe(0);

    expect((await submitSignIn(page, 'secadmin', ADMIN_PASSWORDS.secadmin)).status()).toBe(200);
    // First sign-in: the QR code and the key to type, and no session yet.
    await page.getByTestId('totp-enrol').waitFor();
    expect(await page.getByText('绑定动态验证码').count()).toBe(1);
    expect(await page.getByRole('img', { name: 'otpauth QR' }).getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const secret = (await page.getByTestId('totp-secret').first().textContent())!.trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(await page.getByTestId('user-menu').count()).toBe(0);
    await screenshot(page, 'signon-01-enrol');

    // A wrong code is refused with the lockout warning; the right one from the scanned secret enrols.
    const wrong = await submitSecondFactor(page, '12345');
    expect(wrong.status()).toBe(401);
    await expect.poll(() => page.getByTestId('login-error').textContent()).toContain('动态验证码或恢复码错误');
    const enrolled = await submitSecondFactor(page, await authenticator.code('secadmin', { ticket: '', enrol: { secret } }));
    expect(enrolled.status()).toBe(200);
    await page.getByTestId('recovery-codes').waitFor();
    const codes = ((await page.locator('[data-testid="recovery-codes"] pre').textContent()) ?? '').split('\n').filter(Boolean);
    expect(codes).toHaveLength(10);
    await screenshot(page, 'signon-02-recovery-codes');
    await page.getByRole('button', { name: '我已保存恢复码，进入平台' }).click();
    await page.getByTestId('user-menu').waitFor();

    // Signed out and in again: a code, no QR code this time.
    await signOut(page);
    expect((await submitSignIn(page, 'secadmin', ADMIN_PASSWORDS.secadmin)).status()).toBe(200);
    await page.getByLabel('动态验证码').waitFor();
    expect(await page.getByTestId('totp-enrol').count()).toBe(0);
    expect((await submitSecondFactor(page, await authenticator.code('secadmin', { ticket: '' }))).status()).toBe(200);
    await page.getByTestId('user-menu').waitFor();

    // The phone is lost: a recovery code signs in once, and the page says how many are left.
    await signOut(page);
    expect((await submitSignIn(page, 'secadmin', ADMIN_PASSWORDS.secadmin)).status()).toBe(200);
    await page.getByTestId('lang-switch').click();
    expect(await page.getByText('Enter the 6-digit code your authenticator app shows').count()).toBe(1);
    await page.getByTestId('lang-switch').click();
    expect((await submitSecondFactor(page, codes[0]!)).status()).toBe(200);
    await expect.poll(() => page.getByTestId('recovery-codes').textContent()).toContain('剩余 9 个');
    await screenshot(page, 'signon-03-recovery-used');
    await page.getByRole('button', { name: '我已保存恢复码，进入平台' }).click();
    await page.getByTestId('user-menu').waitFor();
    expect(errors).toEqual([]);
  });

  it('the security administrator requires codes of data officers in 登录安全策略; an officer sets up an authenticator at the next sign-in', async () => {
    const officerPassword = 'Minzheng-Officer-2026!';
    const admin = await loginClient(server.app, 'sysadmin', ADMIN_PASSWORDS.sysadmin);
    const org = await admin.call('POST', '/api/v1/orgs', { name: '省民政厅', type: 'department', level: 'province', regionCode: '210000' });
    const created = await admin.call('POST', '/api/v1/users', { username: 'mz-officer', displayName: '刘科长', orgId: org.json().id, roles: ['data_officer'] });
    const first = await loginClient(server.app, 'mz-officer', created.json().password);
    expect((await first.call('POST', '/api/v1/auth/password', { currentPassword: created.json().password, newPassword: officerPassword })).statusCode).toBe(
      204,
    );

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await signIn(page, server.url, 'secadmin', ADMIN_PASSWORDS.secadmin, '/secops?tab=signon');
    await page.getByTestId('sign-on-policy').waitFor();
    expect(await page.getByText('三员）始终以口令加动态验证码登录').count()).toBe(1);
    const toggle = page.getByRole('switch', { name: '数据管理员登录也须动态验证码' });
    expect(await toggle.getAttribute('aria-checked')).toBe('false');
    await toggle.click();
    const [saved] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/sign-on-policy' && r.request().method() === 'PUT'),
      page.getByRole('button', { name: /保\s*存/ }).click(),
    ]);
    expect(saved.status()).toBe(200);
    await page.getByText('登录安全策略已保存').waitFor();
    await screenshot(page, 'signon-04-policy');
    // Read back after a reload: the setting is the server's, not the form's.
    await page.reload();
    await expect.poll(() => page.getByRole('switch', { name: '数据管理员登录也须动态验证码' }).getAttribute('aria-checked')).toBe('true');
    expect(errors).toEqual([]);

    const officer = await browser.newPage();
    await officer.goto(server.url);
    expect((await submitSignIn(officer, 'mz-officer', officerPassword)).status()).toBe(200);
    await officer.getByTestId('totp-enrol').waitFor();
    expect(await officer.getByTestId('user-menu').count()).toBe(0);
  });
});
