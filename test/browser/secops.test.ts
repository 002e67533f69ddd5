/**
 * The security administrator's console in Chromium: a consumer's key pulls far more than usual at
 * night and someone guesses passwords; the dashboard shows the live alerts and the charts, the alert
 * drawer the evidence, the incident drawer the 4-hour clock, and the containment can be lifted.
 * Needs the built console (web/dist: `node scripts/build-web.mjs`).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { ADMIN_PASSWORDS } from '../helpers/api.ts';
import { animationsDone, confirmDialog, launchBrowser, screenshot, signIn, watchErrors } from '../helpers/browser.ts';
import { startSecopsWorld, type SecopsWorld } from '../helpers/secops-world.ts';

describe('console: security operations dashboard, alerts, incident clock and containment in Chromium', () => {
  let world: SecopsWorld;
  let db: Db;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    world = await startSecopsWorld();
    ({ db, url } = world);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('shows live alerts and charts, the evidence, the 4-hour clock, and lifts a suspension', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const errors = watchErrors(page);
    await signIn(page, url, 'secadmin', ADMIN_PASSWORDS.secadmin);
    await page.goto(`${url}/secops`);

    // Dashboard: the live list (over server-sent events) and the four charts drawn by ECharts.
    const live = page.getByTestId('live-alerts');
    await expect.poll(() => live.locator('.ant-list-item').count()).toBeGreaterThanOrEqual(2);
    await expect.poll(() => live.textContent()).toContain('访问量达到基线');
    await expect.poll(() => page.getByText('实时连接中').count()).toBe(1);
    for (const chart of ['chart-incidents', 'chart-hits', 'chart-consumers', 'chart-assets']) {
      await expect.poll(() => page.getByTestId(chart).locator('canvas').count()).toBeGreaterThan(0);
    }
    // ECharts draws its entry animation on the canvas, outside CSS: this only settles the page, and
    // the screenshot may show a chart mid-animation; no check depends on it.
    await animationsDone(page);
    await screenshot(page, 'secops-01-dashboard');

    // The alert drawer: 较大, the evidence (audit seqs), then its incident with the clock.
    await live.getByText('访问量达到基线').first().click();
    const drawer = page.getByRole('dialog').first();
    await expect.poll(() => drawer.getByTestId('severity-significant').count()).toBeGreaterThan(0);
    await expect.poll(() => drawer.textContent()).toMatch(/#\d+/);
    await animationsDone(page);
    await screenshot(page, 'secops-02-alert');
    await drawer.getByRole('button', { name: '查看事件' }).click();
    const incident = page.getByRole('dialog').last();
    await expect.poll(() => incident.getByTestId('clock-remaining').first().textContent()).toMatch(/剩余 3小时5\d分钟|剩余 4小时0分钟/);
    await expect.poll(() => incident.textContent()).toContain('首次报告');
    await animationsDone(page); // the drawers' slide animations
    await screenshot(page, 'secops-03-incident');
    await incident.getByRole('button', { name: /推进到「研判」/ }).click();
    await expect.poll(() => incident.locator('.ant-tag-processing').textContent()).toBe('研判');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');

    // Containment: the suspended key is listed and lifted with a reason.
    await page.getByRole('tab', { name: '处置措施' }).click();
    const table = page.getByTestId('containments-table');
    await expect.poll(() => table.textContent()).toContain('暂停密钥');
    await expect.poll(() => table.textContent()).toContain('锁定账号');
    await screenshot(page, 'secops-04-containment');
    const row = table.locator('tr', { hasText: '暂停密钥' });
    await row.getByRole('button', { name: /解\s*除/ }).click();
    await page.getByPlaceholder('解除原因').fill('已核实为夜间批处理');
    const lift = await confirmDialog(page, /确\s*定|OK/, { answer: /\/lift$/, within: page.locator('.ant-popconfirm') });
    expect(lift?.status()).toBe(200);
    await expect.poll(() => table.locator('tr', { hasText: '暂停密钥' }).count()).toBe(0);
    const lifted = await db.query<{ lift_reason: string }>(`SELECT lift_reason FROM secops_containments WHERE kind = 'suspend_key'`);
    expect(lifted[0]?.lift_reason).toBe('已核实为夜间批处理');

    // English console.
    await page.evaluate(() => localStorage.setItem('pdx.lang', 'en'));
    await page.goto(`${url}/secops?tab=alerts`);
    await expect.poll(() => page.getByTestId('alerts-table').textContent()).toContain('Volume');
    await screenshot(page, 'secops-05-alerts-en');
    expect(errors).toEqual([]);
  });

  it('sets up the monitoring as one form per detector, with labels, units and defaults, validated before it is saved', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = watchErrors(page);
    await signIn(page, url, 'secadmin', ADMIN_PASSWORDS.secadmin);
    await page.goto(`${url}/secops?tab=settings`);
    const volume = page.getByTestId('sset-card-volume');
    await expect.poll(() => volume.textContent()).toContain('访问量异常');
    const text = (await volume.textContent()) ?? '';
    for (const shown of ['超过基线的倍数', '默认：10 倍', '基线统计窗口', '默认：168 小时', '自动处置', '暂停密钥']) expect(text).toContain(shown);
    // No JSON to edit, no English keys or milliseconds.
    expect(await page.locator('textarea').count()).toBe(0);
    const all = (await page.locator('form').textContent()) ?? '';
    for (const code of ['windowMinutes', 'intervalMs', 'bruteForce', '毫秒', '"enabled"']) expect(all).not.toContain(code);
    await screenshot(page, 'secops-06-settings');

    // An emptied field is refused in the form, next to the field; nothing is sent. (A number outside
    // its limits cannot be entered: the field takes the nearest limit, from the server's schema.)
    const failures = page.getByTestId('sset-detectors-bruteForce-failures');
    await failures.fill('');
    let puts = 0;
    page.on('request', (r) => {
      if (r.method() === 'PUT' && r.url().endsWith('/api/v1/secops/settings')) puts++;
    });
    await page.getByTestId('sset-save').click();
    await expect.poll(() => page.getByTestId('sset-card-bruteForce').locator('.ant-form-item-explain-error').count()).toBeGreaterThan(0);
    expect(puts).toBe(0);

    // Fixed, and the quota detector switched off: saved, and the server keeps both.
    await failures.fill('7');
    await page.getByTestId('sset-quota-enabled').click();
    const saved = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith('/api/v1/secops/settings'));
    await page.getByTestId('sset-save').click();
    expect((await saved).status()).toBe(200);
    const stored = await db.query<{ value: { detectors: { bruteForce: { failures: number }; quota: { enabled: boolean } }; intervalMs: number } }>(
      `SELECT value FROM settings WHERE key = 'secops.settings'`,
    );
    expect(stored[0]?.value.detectors.bruteForce.failures).toBe(7);
    expect(stored[0]?.value.detectors.quota.enabled).toBe(false);
    expect(stored[0]?.value.intervalMs).toBeGreaterThan(0);

    await page.evaluate(() => localStorage.setItem('pdx.lang', 'en'));
    await page.goto(`${url}/secops?tab=settings`);
    await expect.poll(() => page.getByTestId('sset-card-volume').textContent()).toContain('Times above the baseline');
    await screenshot(page, 'secops-07-settings-en');
    await page.close();
    expect(errors).toEqual([]);
  });
});
