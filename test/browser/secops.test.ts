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
});
