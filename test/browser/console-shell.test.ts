import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc } from '../../src/modules/identity/codes.ts';
import { ADMIN_PASSWORD_ENV, ADMIN_PASSWORDS } from '../helpers/api.ts';
import { animationsDone, answerSecondFactor, confirmDialog, launchBrowser, screenshot, signOut, submitSignIn, watchErrors } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe.sequential('console: sign-in, administration and API keys in Chromium', () => {
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

  // A sysadmin and a new consumer walk through the console, one step per test (each waits for its
  // own conditions; a step needs the ones before it).
  let page: Page;
  let errors: string[];
  let generated: string;

  it("signs in: Chinese by default, one neutral message for a wrong password, the sysadmin's menu", async () => {
    page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    errors = watchErrors(page);
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.getByTestId('app-title').textContent()).toBe('公共数据共享交换平台');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    expect((await submitSignIn(page, 'sysadmin', 'not-the-password')).status()).toBe(401);
    await expect.poll(() => page.getByTestId('login-error').textContent()).toContain('用户名或密码错误');
    await screenshot(page, 'identity-01-login-error');

    const answer = await submitSignIn(page, 'sysadmin', ADMIN_PASSWORDS.sysadmin);
    expect(answer.status()).toBe(200);
    await answerSecondFactor(page, server.url, 'sysadmin', answer);
    await expect.poll(() => page.getByTestId('user-menu').textContent()).toContain('系统管理员');
    for (const label of ['总览', '数据目录', '系统管理']) await expect.poll(() => page.getByRole('menuitem', { name: label }).count()).toBe(1);
    // sysadmin does not read shared data or audit: those entries are not offered.
    expect(await page.getByRole('menuitem', { name: '审计日志' }).count()).toBe(0);
    await expect.poll(() => page.getByTestId('status').textContent()).toContain('正常');
    await screenshot(page, 'identity-02-overview-sysadmin');
  });

  it('organisations: a wrong credit code is refused with its reason, a right one is added', async () => {
    await page.getByRole('menuitem', { name: '机构' }).click();
    await page.getByRole('button', { name: '新建机构' }).click();
    const orgDialog = page.getByRole('dialog');
    await orgDialog.getByLabel('机构名称').fill('朝阳市民政局');
    await orgDialog.getByLabel('行政区划代码').fill('211300');
    await orgDialog.getByLabel('统一社会信用代码').fill('91350100M000100Y44');
    expect((await confirmDialog(page, /创\s*建/, { answer: '/orgs' }))?.status()).toBeGreaterThanOrEqual(400);
    await expect.poll(() => page.getByTestId('org-error').textContent()).toContain('统一社会信用代码无效');
    await orgDialog.getByLabel('统一社会信用代码').fill(makeUscc('1', '1', '211300', 'MB2C0001'));
    expect((await confirmDialog(page, /创\s*建/, { answer: '/orgs' }))?.status()).toBe(201);
    await expect.poll(() => page.getByRole('cell', { name: '朝阳市民政局' }).count()).toBe(1);
    await screenshot(page, 'identity-03-orgs');
    // Edited in the same form, filled with what is stored.
    await page
      .getByRole('row', { name: /朝阳市民政局/ })
      .getByRole('button', { name: '编辑' })
      .click();
    await expect.poll(() => orgDialog.getByLabel('机构名称').inputValue()).toBe('朝阳市民政局');
    expect(await orgDialog.getByText('编辑机构：朝阳市民政局').count()).toBe(1);
    await orgDialog.getByLabel('行政区划代码').fill('211302');
    expect((await confirmDialog(page, /保\s*存/, { answer: /\/orgs\/[0-9a-f-]+$/ }))?.status()).toBe(200);
    await expect.poll(() => page.getByRole('row', { name: /朝阳市民政局/ }).textContent()).toContain('211302');

    // Disabled with a reason (the button waits for one), shown as such, and enabled again.
    await page.getByTestId('org-disable-朝阳市民政局').click();
    await expect.poll(() => page.getByTestId('org-disable-confirm').isDisabled()).toBe(true);
    await page.getByTestId('org-disable-reason').fill('机构改革，职能调整中');
    expect((await confirmDialog(page, /停\s*用/, { answer: /\/orgs\/[0-9a-f-]+\/state$/ }))?.status()).toBe(200);
    await expect.poll(() => page.getByTestId('org-state-朝阳市民政局').textContent()).toBe('已停用');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await animationsDone(page);
    await screenshot(page, 'identity-03b-org-disabled');
    await page.getByTestId('org-enable-朝阳市民政局').click();
    expect((await confirmDialog(page, /启\s*用/, { answer: /\/orgs\/[0-9a-f-]+\/state$/ }))?.status()).toBe(200);
    await expect.poll(() => page.getByTestId('org-state-朝阳市民政局').textContent()).toBe('正常');
  });

  it('users: 三员分立 is enforced, a consumer is created and its password shown once', async () => {
    await page.getByRole('menuitem', { name: '用户' }).click();
    await page.getByRole('button', { name: '新建用户' }).click();
    const userDialog = page.getByRole('dialog');
    await userDialog.getByLabel('用户名').fill('zy-minzheng');
    await userDialog.getByLabel('姓名').fill('李民政');
    await userDialog.getByLabel('所属机构').click();
    await page.getByTitle('朝阳市民政局').click();
    // An administrator role is held alone: ticking one disables every other role, and a business
    // role disables the administrator roles.
    await userDialog.getByLabel('系统管理员').check();
    for (const other of ['安全管理员', '审计管理员', '数据使用方']) await expect.poll(() => userDialog.getByLabel(other).isDisabled()).toBe(true);
    expect(await userDialog.getByLabel('系统管理员').isDisabled()).toBe(false);
    // Forced anyway for an organisation that is not the platform authority: the server refuses and says why.
    expect((await confirmDialog(page, /保\s*存/, { answer: '/users' }))?.status()).toBeGreaterThanOrEqual(400);
    await expect.poll(() => page.getByTestId('user-error').textContent()).toContain('三员分立');
    expect(await page.getByTestId('user-error').textContent()).toContain('不是平台管理机构');
    await screenshot(page, 'identity-04-separation-of-duties');
    await userDialog.getByLabel('系统管理员').uncheck();
    await userDialog.getByLabel('数据使用方').check();
    for (const admin of ['系统管理员', '安全管理员', '审计管理员']) await expect.poll(() => userDialog.getByLabel(admin).isDisabled()).toBe(true);
    expect((await confirmDialog(page, /保\s*存/, { answer: '/users' }))?.status()).toBe(201);
    const oneTime = page.getByTestId('one-time-password');
    await expect.poll(() => oneTime.count()).toBe(1);
    generated = (await oneTime.textContent())!.trim();
    expect(generated).toHaveLength(16);
    await screenshot(page, 'identity-05-password-once');
    await confirmDialog(page, /知道了|确\s*定|OK/);
  });

  it('the new user must change the generated password at the first sign-in', async () => {
    await signOut(page);
    expect((await submitSignIn(page, 'zy-minzheng', generated)).status()).toBe(200);
    await expect.poll(() => page.getByText('首次登录或密码被重置后').count()).toBe(1);
    // Before the console opens the page still says who is signed in and offers the way out.
    expect(await page.getByTestId('forced-who').textContent()).toContain('朝阳市民政局');
    expect(await page.getByTestId('forced-logout').textContent()).toMatch(/退出登录/);
    // The page fills the window: no white frame of the browser's default body margin.
    expect(await page.evaluate(() => getComputedStyle(document.body).margin)).toBe('0px');
    await screenshot(page, 'identity-05b-forced-password');
    await page.getByLabel('当前密码').fill(generated);
    await page.getByLabel('新密码', { exact: true }).fill('weak');
    await page.getByLabel('确认新密码').fill('weak');
    await page.getByRole('button', { name: '保存新密码' }).click();
    await expect.poll(() => page.getByTestId('password-error').textContent()).toContain('至少 10 个字符');
    await page.getByLabel('新密码', { exact: true }).fill('Dibao-Check-2027');
    await page.getByLabel('确认新密码').fill('Dibao-Check-2027');
    await page.getByRole('button', { name: '保存新密码' }).click();
    await expect.poll(() => page.getByTestId('user-menu').textContent()).toContain('数据使用方');
    expect(await page.getByRole('menuitem', { name: '系统管理' }).count()).toBe(0);
  });

  it('API keys: created and shown once, then revoked', async () => {
    await page.getByRole('menuitem', { name: 'API 密钥' }).click();
    await page.getByRole('button', { name: '新建 API 密钥' }).click();
    await page.getByRole('dialog').getByLabel('名称').fill('低保资格核验系统');
    expect((await confirmDialog(page, /创\s*建/, { answer: '/api-keys' }))?.status()).toBe(201);
    const keyText = page.getByTestId('new-api-key');
    await expect.poll(() => keyText.count()).toBe(1);
    const key = (await keyText.textContent())!.trim();
    expect(key).toMatch(/^pdx_[a-z0-9]{10}_/);
    await screenshot(page, 'identity-06-api-key-once');
    await confirmDialog(page, /知道了|确\s*定|OK/);
    const me = await fetch(`${server.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(me.status).toBe(200);
    await page.getByRole('button', { name: '吊销' }).click();
    expect((await confirmDialog(page, /确\s*定|OK/, { answer: /\/api-keys\/[^/]+$/ }))?.status()).toBeLessThan(300);
    await expect.poll(() => page.getByText('已吊销').count()).toBe(1);
    expect((await fetch(`${server.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
  });

  it('English is one click away and remembered; no script error on the way', async () => {
    await page.getByTestId('lang-switch').click();
    await expect.poll(() => page.getByTestId('app-title').textContent()).toBe('Public Data Exchange');
    await expect.poll(() => page.getByText('Revoked').count()).toBe(1);
    await screenshot(page, 'identity-07-api-keys-en');
    await page.reload();
    await expect.poll(() => page.getByTestId('app-title').textContent()).toBe('Public Data Exchange');
    expect(errors).toEqual([]);
  });

  it("follows the person's motion preference: no animation when less motion is asked for, and back when it is not", async () => {
    const fresh = await browser.newPage({ viewport: { width: 1360, height: 860 }, reducedMotion: 'no-preference' });
    await fresh.goto(`${server.url}/`);
    const duration = (p: Page) => p.evaluate(() => getComputedStyle(document.querySelector('.ant-btn')!).getPropertyValue('--ant-motion-duration-mid').trim());
    await fresh.locator('.ant-btn').first().waitFor();
    expect(await duration(fresh)).toBe('0.2s');
    // The setting changed while the page is open: followed at once.
    await fresh.emulateMedia({ reducedMotion: 'reduce' });
    await expect.poll(() => duration(fresh)).toBe('0s');
    await fresh.emulateMedia({ reducedMotion: 'no-preference' });
    await expect.poll(() => duration(fresh)).toBe('0.2s');
    await fresh.close();
    // The suite's contexts ask for reduced motion (helpers/browser.ts).
    expect(await duration(page)).toBe('0s');
  });
});
