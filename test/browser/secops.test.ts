/**
 * The security administrator's console in Chromium: a consumer's key pulls far more than usual at
 * night and someone guesses passwords; the dashboard shows the live alerts and the charts, the alert
 * drawer the evidence, the incident drawer the 4-hour clock, and the containment can be lifted.
 * Needs the built console (web/dist: `node scripts/build-web.mjs`).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { migrate, openDatabase, type Db } from '../../src/db/index.ts';
import type { App } from '../../src/http/app.ts';
import { createPlatform, type Platform } from '../../src/main.ts';
import type { AuditRecord } from '../../src/modules/audit/record.ts';
import { bootstrapIdentity } from '../../src/modules/identity/bootstrap.ts';
import type { SecopsModule } from '../../src/modules/secops/secops.module.ts';
import { ADMIN_PASSWORDS, loginClient, type Client } from '../helpers/api.ts';
import { createAuthenticator, registerAuthenticator } from '../helpers/authenticator.ts';
import { animationsDone, confirmDialog, launchBrowser, screenshot, signIn, watchErrors } from '../helpers/browser.ts';
import { seedPgliteDir } from '../helpers/db.ts';
import { grantJourney, shareWorld, type ShareTestApp } from '../share-helpers.ts';
import { TEST_ENV } from '../helpers/env.ts';

function injectClient(app: App, headers: Record<string, string>): Client {
  return {
    headers,
    call: (method, url, body, extra = {}) => app.inject({ method: method as 'GET', url, headers: { ...headers, ...extra }, ...(body === undefined ? {} : { payload: body as object }) }),
  };
}

async function apiLogin(app: App, username: string, password: string): Promise<Client> {
  return loginClient(app, username, password);
}

describe('console: security operations dashboard, alerts, incident clock and containment in Chromium', () => {
  let db: Db;
  let platform: Platform;
  let secops: SecopsModule;
  let browser: Browser;
  let url: string;
  let dataDir: string;
  const segments: { real: number; virtual: number }[] = [];
  const setVirtual = (iso: string) => segments.push({ real: Date.now(), virtual: Date.parse(iso) });
  const eventTime = (r: AuditRecord) => {
    const real = Date.parse(r.time);
    const seg = segments.filter((s) => s.real <= real).at(-1);
    return new Date(seg ? seg.virtual + (real - seg.real) : real);
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-sec-'));
    const config = loadConfig({ ...TEST_ENV, PDX_PORT: '0', PDX_DATA_DIR: dataDir, PDX_LOG_LEVEL: 'warn', PDX_RATE_LIMIT: '100000', PDX_MASTER_KEY: randomBytes(32).toString('base64') });
    seedPgliteDir(path.join(dataDir, 'pglite'));
    db = await openDatabase(config);
    await migrate(db);
    const authenticator = createAuthenticator();
    platform = await createPlatform(config, db, { jobPollMs: 50, secops: { eventTime }, now: authenticator.now });
    const { app, services } = platform;
    secops = services.secops;
    await bootstrapIdentity(db, services.identity, ADMIN_PASSWORDS);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    registerAuthenticator(authenticator, { url, app });
    services.jobs.start();

    const t = { login: (u: string, p: string) => apiLogin(app, u, p), withKey: (key: string) => injectClient(app, { authorization: `Bearer ${key}` }) };
    const w = await shareWorld(t as unknown as ShareTestApp, 1500);
    await w.secadmin.call('PUT', '/api/v1/secops/settings', { intervalMs: 200, detectors: { volume: { minRows: 200 } } });
    secops.start();
    await grantJourney(w, { columns: [{ name: '姓名', mode: 'clear' }, { name: '身份证号', mode: 'clear' }, { name: '户籍地', mode: 'clear' }], impactAssessment: '低保核验须比对身份证号与姓名,已评估并采取最小必要措施' }, { columns: ['姓名', '身份证号', '户籍地'] });
    // Yesterday's working hours (UTC+8), then 03:00 today: recent enough for the 30-day ranking.
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const yesterday = new Date(Date.parse(today) - 86_400_000).toISOString().slice(0, 10);
    for (const hour of ['09', '10', '15']) {
      setVirtual(`${yesterday}T${hour}:00:00+08:00`);
      await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?limit=4`);
    }
    setVirtual(`${today}T03:00:00+08:00`);
    for (let i = 0; i < 6; i++) if ((await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?limit=1000`)).statusCode !== 200) break;
    for (let i = 0; i < 6; i++) await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'mz-officer', password: `wrong-${i}` } });
    for (let i = 0; i < 150 && (await w.secadmin.call('GET', '/api/v1/secops/alerts')).json().items.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await secops?.stop();
    await platform?.services.jobs.stop();
    await platform?.app.close();
    await platform?.services.audit.close();
    await db?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
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
