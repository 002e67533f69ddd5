/**
 * Interface sharing in the console (issue 17 point 8), on the demo world's 企业信息查询 of
 * 省市场监督管理局, granted to 朝阳市民政局 with the legal representative masked and the phone hidden:
 * the consumer's 我的接口 lists the granted operation with its parameters, the response fields in
 * their granted forms (in words) and an example call; the registry shows statuses in words; the
 * provider's officer edits the interface; a phone shows 我的接口 without sideways scroll.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, signIn, watchErrors } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe.sequential('interface services in the console', () => {
  let server: TestServer;
  let browser: Browser;
  const password = (username: string) => server.demoAccounts!.find((a) => a.username === username)!.password;

  beforeAll(async () => {
    server = await startTestServer({ PDX_DEMO: 'true', PDX_DEMO_PEOPLE: '200', PDX_DEMO_GATEWAY: 'true' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function myServices(page: Page) {
    await signIn(page, server.url, 'zy-minzheng', password('zy-minzheng'), '/services');
    // The registry first: the published service with its status in words, not a code.
    const row = page.getByRole('row').filter({ hasText: '企业信息查询' });
    await expect.poll(() => row.getByTestId('status-tag').textContent()).toBe('已发布');
    await page.getByTestId('gw-tab-mine').click();
    return page.getByTestId('gw-mine-grant').filter({ hasText: '企业信息查询' });
  }

  it('the consumer sees 我的接口: the granted operation, the fields in their forms and an example call', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = watchErrors(page);
    const grant = await myServices(page);
    await grant.waitFor();
    const fields = (await grant.getByTestId('gw-mine-fields').textContent())!;
    expect(fields).toMatch(/脱敏/);
    expect(fields).not.toMatch(/\bmasked\b|\bhidden\b/);
    const curl = (await grant.getByTestId('gw-curl').first().textContent())!;
    expect(curl).toMatch(/^curl -X GET -H "Authorization: Bearer \$PDX_KEY" "http:\/\/[^"]+\/api\/v1\/services\/[^/]+\/companies\/<[^>]+>"$/);
    expect(await grant.textContent()).toContain('查看授权');
    await screenshot(page, 'gateway-01-my-services');
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the provider's officer edits the interface: a new timeout is saved, the credential is never shown", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = watchErrors(page);
    await signIn(page, server.url, 'sj-officer', password('sj-officer'), '/services');
    const row = page.getByRole('row').filter({ hasText: '企业信息查询' });
    await row.locator('.ant-table-row-expand-icon').click();
    await page.getByTestId('gw-edit').click();
    const timeout = page.getByTestId('gw-edit-timeout');
    await timeout.fill('8000');
    await screenshot(page, 'gateway-03-edit');
    const saved = page.waitForResponse((r) => r.request().method() === 'PUT' && /\/api\/v1\/gateway\/services\//.test(r.url()));
    await page.getByTestId('gw-edit-save').click();
    expect((await saved).status()).toBe(200);
    await expect.poll(() => page.getByText('已保存接口设置').count()).toBe(1);
    // The detail shows the new timeout; the stored secret appears nowhere on the page.
    await expect.poll(() => page.getByTestId('gw-detail').textContent()).toContain('8000');
    // The detected types of the response fields read as words (身份证号), not codes.
    const fields = (await page.getByTestId('gw-fields').textContent())!;
    expect(fields).toContain('身份证号');
    expect(fields).not.toContain('cn_resident_id');
    expect(await page.locator('input[type=password]').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('on a phone, 我的接口 fits the screen (tables scroll inside their cards)', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const grant = await myServices(page);
    await grant.waitFor();
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth <= window.screen.width)).toBe(true);
    await screenshot(page, 'gateway-02-my-services-phone');
    await page.close();
  });
});
