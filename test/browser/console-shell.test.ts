import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('console shell in Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('opens in Chinese, shows live platform status, and switches to English', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

    await page.goto(`${server.url}/`);
    await expect.poll(() => page.getByTestId('app-title').textContent()).toBe('公共数据共享交换平台');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    for (const label of ['总览', '数据目录', '数据汇聚', '分类分级', '数据共享', '数据开放', '审计日志', '安全运营', '系统管理']) {
      await expect.poll(() => page.getByRole('menuitem', { name: label }).count()).toBe(1);
    }
    const status = page.getByTestId('status');
    await expect.poll(() => status.textContent()).toContain('内嵌 PostgreSQL(PGlite)');
    await expect.poll(() => status.textContent()).toContain('正常');
    await screenshot(page, 'shell-overview-zh');

    await page.getByTestId('lang-switch').click();
    await expect.poll(() => page.getByTestId('app-title').textContent()).toBe('Public Data Exchange');
    await expect.poll(() => status.textContent()).toContain('Healthy');
    await page.getByRole('menuitem', { name: 'Catalogue' }).click();
    expect(new URL(page.url()).pathname).toBe('/catalog');
    await screenshot(page, 'shell-catalog-en');

    // A deep link is served by the console, not a 404 from the API.
    await page.goto(`${server.url}/audit`);
    await expect.poll(() => page.getByTestId('app-title').textContent()).toBe('Public Data Exchange');
    expect(errors).toEqual([]);
  });
});
