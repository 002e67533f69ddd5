/**
 * The consumer's 推送订阅 page in Chromium: 朝阳市民政局 registers a database of its own (a throwaway
 * database on the harness's PostgreSQL cluster), subscribes a table to its grant of 户籍人口, delivers
 * now and reads the history; the rows are in the table. Needs the built console (web/dist).
 */
import type { Browser, Page } from 'playwright-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORDS, loginClient, provisionWithPassword } from '../helpers/api.ts';
import { JOB_WAIT_MS } from '../helpers/bounds.ts';
import { choose, confirmDialog, type ConsoleWorld, screenshot, settled, signIn, startConsoleWorld, watchErrors } from '../helpers/browser.ts';
import { createServerDatabase } from '../helpers/db.ts';
import type { TestServer } from '../helpers/server.ts';
import { publishPeople } from '../share-helpers.ts';

describe.sequential('console: 推送订阅 in Chromium', () => {
  let world: ConsoleWorld;
  let server: TestServer;
  let browser: Browser;
  let target: { url: string; drop(): Promise<void> };
  let targetDb: pg.Client;
  let page: Page;
  let errors: string[];
  let code: string;
  const consumerPassword = 'Chaoyang-Civil-2026!';

  beforeAll(async () => {
    world = await startConsoleWorld({ PDX_UPSTREAM_ALLOW: '127.0.0.1/32' });
    ({ server, browser } = world);
    const { admin, org } = world;
    target = await createServerDatabase();
    targetDb = new pg.Client(target.url);
    await targetDb.connect();
    const police = await org('省公安厅', 'province', '210000');
    const civil = await org('朝阳市民政局', 'city', '211300');
    const officer = await provisionWithPassword(server.app, admin, {
      username: 'ga-officer',
      orgId: police,
      roles: ['data_officer'],
      password: 'Hunnan-Officer-2026!',
    });
    const consumer = await provisionWithPassword(server.app, admin, { username: 'mz-consumer', orgId: civil, roles: ['consumer'], password: consumerPassword });
    code = await publishPeople(officer, { name: '户籍人口信息', rows: 200, seed: 7 });
    const request = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: code,
      columns: ['姓名', '身份证号', '户籍地', '人口数'],
      purpose: '低保资格核验',
      purposeCategory: 'social_assistance',
      legalBasis: '《社会救助暂行办法》第十一条',
      endDate: '2099-06-30',
      rowFilter: '户籍地=eq.朝阳市',
    });
    expect(request.statusCode, request.body).toBe(201);
    const id = request.json().id as string;
    const approved = await officer.call('POST', `/api/v1/share/requests/${id}/approve`, {
      columns: [
        { name: '姓名', mode: 'masked' },
        { name: '身份证号', mode: 'pseudonym' },
        { name: '户籍地', mode: 'clear' },
        { name: '人口数', mode: 'clear' },
      ],
    });
    expect(approved.statusCode, approved.body).toBe(200);
    if (approved.json().state === 'provider_approved') {
      const secadmin = await loginClient(server.app, 'secadmin', ADMIN_PASSWORDS.secadmin);
      expect((await secadmin.call('POST', `/api/v1/share/requests/${id}/security-approve`, { note: '同意' })).statusCode).toBe(200);
    }
  });
  afterAll(async () => {
    await world?.close();
    await targetDb?.end();
    await target?.drop();
  });

  it('registers the target database from the page', async () => {
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    errors = watchErrors(page);
    await signIn(page, server.url, 'mz-consumer', consumerPassword);
    await page.getByRole('menuitem', { name: '推送订阅' }).click();
    await page.waitForURL(/\/push$/);
    await page.getByTestId('push-add-target').click();
    const u = new URL(target.url);
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('target-name').fill('民政前置库');
    await dialog.getByTestId('target-host').fill(u.hostname);
    await dialog.getByTestId('target-port').fill(u.port);
    await dialog.getByTestId('target-database').fill(u.pathname.slice(1));
    await dialog.getByTestId('target-user').fill(decodeURIComponent(u.username));
    await dialog.getByTestId('target-password').fill('Target-Password-1');
    await dialog.getByLabel('off').check();
    expect((await confirmDialog(page, /创\s*建/, { answer: '/exchange/targets' }))?.status()).toBe(201);
    await expect.poll(() => page.getByRole('cell', { name: '民政前置库' }).count()).toBe(1);
    await settled(page);
    await screenshot(page, 'push-01-target');
  });

  it('subscribes a table to the grant, delivers now and shows the history; the rows are at the target', async () => {
    await page.getByTestId('push-subscribe').click();
    const dialog = page.getByRole('dialog');
    await choose(page, 'push-grant', '户籍人口');
    await choose(page, 'push-target', '民政前置库');
    await dialog.getByTestId('push-table').fill('hukou_dibao');
    expect((await confirmDialog(page, /创\s*建/, { answer: '/exchange/subscriptions' }))?.status()).toBe(201);
    await expect.poll(() => page.getByTestId('push-state-hukou_dibao').textContent()).toBe('运行中');

    await page.getByTestId('push-deliver-hukou_dibao').click();
    const history = page.getByTestId('push-history');
    await expect.poll(() => history.textContent(), { timeout: JOB_WAIT_MS }).toContain('已推送');
    const { rows } = await targetDb.query<{ n: string }>('SELECT count(*) AS n FROM public.hukou_dibao');
    expect(Number(rows[0]!.n)).toBeGreaterThan(0);
    expect(await history.textContent()).toContain(rows[0]!.n);
    await settled(page);
    await screenshot(page, 'push-02-history');
    expect(errors).toEqual([]);
  });
});
