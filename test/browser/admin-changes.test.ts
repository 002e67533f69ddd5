import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD_ENV, ADMIN_PASSWORDS } from '../helpers/api.ts';
import { authenticatorFor } from '../helpers/authenticator.ts';
import { launchBrowser, screenshot, signOut, signIn, submitSecondFactor, submitSignIn, watchErrors } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('console: two-person control of administrator accounts in Chromium', () => {
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

  it('the sysadmin proposes an auditor account, the secadmin approves it from its to-do, each sees one half of the password', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = watchErrors(page);

    await signIn(page, server.url, 'sysadmin', ADMIN_PASSWORDS.sysadmin);
    await page.getByRole('menuitem', { name: '用户' }).click();
    await page.getByRole('button', { name: '新建用户' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('用户名').fill('auditor2');
    await dialog.getByLabel('姓名').fill('审计员二');
    await dialog.getByLabel('所属机构').click();
    await page.getByTitle('辽宁省大数据管理局').click();
    await dialog.getByLabel('审计管理员').check();
    await dialog.getByRole('button', { name: /保\s*存/ }).click();
    // Held, not created: the first half of the password, once.
    await expect.poll(() => page.getByTestId('change-held').textContent()).toContain('须经安全管理员批准后才生效');
    const first = (await page.getByTestId('password-half').textContent())!.trim();
    expect(first).toHaveLength(8);
    await screenshot(page, 'admin-changes-01-proposed');
    await page.getByRole('button', { name: /知道了|确\s*定|OK/ }).click();
    await expect.poll(() => page.getByTestId('change-auditor2').textContent()).toContain('待审批');
    expect(await page.getByRole('cell', { name: 'auditor2', exact: true }).count()).toBe(1);
    await screenshot(page, 'admin-changes-02-users-page');

    await signOut(page);

    // The secadmin's to-do: a count on the menu entry, the change in its list, and the second half.
    await signIn(page, server.url, 'secadmin', ADMIN_PASSWORDS.secadmin);
    await expect.poll(() => page.getByTestId('changes-todo').textContent()).toBe('1');
    expect(await page.getByRole('menuitem', { name: '用户' }).count()).toBe(0);
    await page.getByRole('menuitem', { name: /三员账号变更/ }).click();
    await page.getByTestId('change-auditor2').getByTestId('change-approve').click();
    await expect.poll(() => page.getByTestId('password-half').count()).toBe(1);
    const second = (await page.getByTestId('password-half').textContent())!.trim();
    expect(second).toHaveLength(8);
    await screenshot(page, 'admin-changes-03-approved');
    await page.getByRole('button', { name: /知道了|确\s*定|OK/ }).click();
    await expect.poll(() => page.getByTestId('change-auditor2').textContent()).toContain('已生效');
    await expect.poll(() => page.getByTestId('changes-todo').count()).toBe(0);
    await page.getByTestId('lang-switch').click();
    await expect.poll(() => page.getByTestId('change-auditor2').textContent()).toContain('Applied');
    await screenshot(page, 'admin-changes-04-list-en');
    await page.getByTestId('lang-switch').click();

    await signOut(page);

    // The holder signs in with both halves, sets up its authenticator (an administrator), and must set a password of its own.
    const answer = await submitSignIn(page, 'auditor2', `${first}${second}`);
    const { secondFactor } = (await answer.json()) as { secondFactor: { ticket: string; enrol?: { secret: string } } };
    expect(secondFactor.enrol).toBeDefined();
    expect((await submitSecondFactor(page, await authenticatorFor(server.url).code('auditor2', secondFactor))).status()).toBe(200);
    await page.getByRole('button', { name: '我已保存恢复码，进入平台' }).click();
    await expect.poll(() => page.getByText('首次登录或密码被重置后').count()).toBe(1);
    expect(errors).toEqual([]);
  });
});
