/**
 * The data officer's 数据源 page in Chromium: 省公安厅 registers a real PostgreSQL database (a
 * throwaway database on the harness's cluster) as a source, tests it (version, privileges, the
 * warning for a user that can write), binds a dataset to a table through the wizard (preview
 * classified as an upload would be, cron schedule), runs it now and sees the run in the history;
 * a CDC binding of a wal_level=logical source shows its lag in the history.
 * Needs the built console (web/dist).
 */
import type { Browser, Page } from 'playwright-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD_ENV, ADMIN_PASSWORDS, loginClient, provisionWithPassword } from '../helpers/api.ts';
import { animationsDone, choose, confirmDialog, selectedText, launchBrowser, screenshot, settled, signIn, watchErrors } from '../helpers/browser.ts';
import { createServerDatabase } from '../helpers/db.ts';
import { startPgCluster } from '../helpers/pg-cluster.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { peopleRows } from '../fixtures/people.ts';

describe.sequential('console: 数据源 in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let source: { url: string; drop(): Promise<void> };
  let page: Page;
  let errors: string[];
  let code: string;
  const password = 'Hunnan-Officer-2026!';

  beforeAll(async () => {
    server = await startTestServer({ ...ADMIN_PASSWORD_ENV, PDX_UPSTREAM_ALLOW: '127.0.0.1/32', PDX_RATE_LIMIT: '100000' });
    browser = await launchBrowser();
    source = await createServerDatabase();
    const db = new pg.Client(source.url);
    await db.connect();
    // 变更号 moves on every change (the cursor); 已注销 marks a soft-deleted row.
    await db.query(
      `CREATE TABLE people (id integer PRIMARY KEY, "姓名" text, "身份证号" text, "手机号" text, "出生日期" date, "变更号" integer NOT NULL, "已注销" boolean NOT NULL DEFAULT false)`,
    );
    let id = 0;
    for (const [name, rid, phone, , , birth] of peopleRows(40, 5))
      await db.query('INSERT INTO people VALUES ($1, $2, $3, $4, $5, $1)', [++id, name, rid, phone, birth]);
    await db.end();
    const admin = await loginClient(server.app, 'sysadmin', ADMIN_PASSWORDS.sysadmin);
    const police = (await admin.call('POST', '/api/v1/orgs', { name: '省公安厅', type: 'department', level: 'province', regionCode: '210000' })).json()
      .id as string;
    const officer = await provisionWithPassword(server.app, admin, { username: 'ga-officer', orgId: police, roles: ['data_officer'], password });
    const made = await officer.call('POST', '/api/v1/datasets', {
      name: '户籍人口(库表)',
      summary: '部门库表汇聚',
      domain: '公共安全',
      category: '社会/人口/户籍',
      format: '库表',
      share_type: 'conditional',
      share_conditions: '法定职责',
      share_methods: ['api'],
      open_type: 'none',
      update_cycle: 'daily',
      on_invalid: 'quarantine',
    });
    expect(made.statusCode, made.body).toBe(201);
    code = made.json().code as string;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await source?.drop();
  });

  it('registers a PostgreSQL source and tests it: reachable, version, privileges, a warning for a user that can write', async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    errors = watchErrors(page);
    await signIn(page, server.url, 'ga-officer', password);
    await page.getByRole('menuitem', { name: '数据源' }).click();
    await page.waitForURL(/\/sources$/);
    await page.getByTestId('source-add').click();
    const u = new URL(source.url);
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('source-name').fill('户籍库');
    await dialog.getByTestId('source-host').fill(u.hostname);
    await dialog.getByTestId('source-port').fill(u.port);
    await dialog.getByTestId('source-database').fill(u.pathname.slice(1));
    await dialog.getByTestId('source-user').fill(decodeURIComponent(u.username));
    await dialog.getByTestId('source-password').fill('Source-Password-1');
    await dialog.getByLabel('off').check();
    const created = await confirmDialog(page, /创\s*建/, { answer: '/exchange/sources' });
    expect(created?.status()).toBe(201);
    expect(await created!.text()).not.toContain('Source-Password-1');
    await expect.poll(() => page.getByRole('cell', { name: '户籍库', exact: true }).count()).toBe(1);
    await settled(page);
    await screenshot(page, 'exchange-01-sources');

    await page.getByTestId('source-test-户籍库').click();
    const result = page.getByTestId('source-test-result');
    await expect.poll(() => result.textContent()).toContain('连接成功');
    expect(await result.textContent()).toMatch(/PostgreSQL/);
    expect(await result.textContent()).toContain('只读');
    await animationsDone(page);
    await screenshot(page, 'exchange-02-test');
    await page.keyboard.press('Escape');
    await result.waitFor({ state: 'hidden' });
  });

  it('binds a table through the wizard (preview with types and grades, incremental with a soft-delete column, cron schedule), runs it now and sees the run in the history', async () => {
    await page.getByTestId('source-bind-户籍库').click();
    const wizard = page.getByTestId('binding-wizard');
    await choose(page, 'wizard-dataset', '户籍人口');
    await choose(page, 'wizard-schema', 'public');
    await choose(page, 'wizard-table', 'people');
    await wizard.getByTestId('wizard-next').click();
    const columns = page.getByTestId('wizard-columns');
    // Recognised content and types in words, the codes only in a tooltip.
    await expect.poll(() => columns.textContent()).toContain('身份证号');
    expect(await columns.textContent()).not.toContain('cn_resident_id');
    expect(await columns.textContent()).toContain('整数');
    expect(await columns.textContent()).toContain('加密存储');
    expect(await columns.textContent()).toContain('4 级');
    await expect.poll(() => page.getByTestId('wizard-rows').locator('tbody tr.ant-table-row').count()).toBe(20);
    await settled(page);
    await animationsDone(page);
    await screenshot(page, 'exchange-03-preview');
    await wizard.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-mode').getByText('增量').click();
    await choose(page, 'wizard-cursor', '变更号');
    // The soft-delete column needs a key column first; it offers boolean and date/time columns only.
    const softDelete = page.getByTestId('wizard-soft-delete');
    const disabled = () => softDelete.evaluate((e) => !!e.closest('.ant-select')?.classList.contains('ant-select-disabled'));
    await expect.poll(disabled).toBe(true);
    await choose(page, 'wizard-key', 'id');
    await expect.poll(disabled).toBe(false);
    await softDelete.click();
    const options = page.locator('.ant-select-dropdown:visible .ant-select-item-option');
    await expect.poll(() => options.allTextContents()).toEqual(['出生日期（date）', '已注销（boolean）']);
    await options.filter({ hasText: '已注销' }).click();
    await expect.poll(() => selectedText(page, 'wizard-soft-delete')).toContain('已注销');
    await page.getByTestId('wizard-schedule').getByText('按 cron 表达式').click();
    await page.getByTestId('wizard-cron').fill('0 2 * * *');
    const [bound] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/datasets/${code}/binding`) && r.request().method() === 'PUT'),
      page.getByTestId('wizard-bind').click(),
    ]);
    expect(bound.status(), await bound.text()).toBe(201);
    expect(await bound.json()).toMatchObject({ cron: '0 2 * * *', mode: 'incremental', cursorColumn: '变更号', keyColumn: 'id', softDeleteColumn: '已注销' });
    await page.getByTestId('wizard-run').click();
    await wizard.waitFor({ state: 'hidden' });

    const row = page.getByTestId('bindings-table').getByRole('row', { name: new RegExp(code) });
    await expect.poll(() => row.textContent()).toContain('cron 0 2 * * *');
    await page.getByTestId(`binding-history-${code}`).click();
    const runs = page.getByTestId('binding-runs');
    await expect.poll(() => runs.textContent()).toContain('成功');
    const cells = await runs.locator('tbody tr.ant-table-row').first().locator('td').allTextContents();
    // Started, outcome, version, read, applied, quarantined, duration, error.
    expect(cells.slice(1, 6)).toEqual(['成功', '1', '40', '40', '0']);
    await settled(page);
    await animationsDone(page);
    await screenshot(page, 'exchange-04-history');
    await page.keyboard.press('Escape');
    await expect.poll(() => row.textContent()).toContain('第 1 版');
    expect(errors).toEqual([]);
  });

  it('the dataset page shows its binding (table, schedule, last version) and where each version came from', async () => {
    await page.goto(`${server.url}/catalog/${code}`);
    const binding = page.getByTestId('dataset-binding');
    await expect.poll(() => binding.textContent()).toContain('户籍库:public.people');
    expect(await binding.textContent()).toContain('cron 0 2 * * *');
    expect(await binding.textContent()).toContain('第 1 版');
    expect(await binding.getByRole('link').getAttribute('href')).toBe('/sources');
    await page.getByRole('tab', { name: /数据版本/ }).click();
    await expect.poll(() => page.getByTestId('version-source').first().textContent()).toContain('数据源 户籍库 · public.people');
    await screenshot(page, 'exchange-04b-dataset-binding');
    await page.goto(`${server.url}/sources`);
    expect(errors).toEqual([]);
  });

  it('a row soft-deleted at the source leaves the dataset in the next run: the history and the version say so', async () => {
    const db = new pg.Client(source.url);
    await db.connect();
    await db.query(`UPDATE people SET "已注销" = true, "变更号" = 41 WHERE id = 1`);
    await db.end();
    // 立即同步 queues the run and opens the history.
    await page.getByTestId(`binding-run-${code}`).click();
    const runs = page.getByTestId('binding-runs');
    const first = runs.locator('tbody tr.ant-table-row').first();
    await expect.poll(async () => (await first.locator('td').allTextContents()).slice(1, 7)).toEqual(['成功', '2', '1', '0', '0', '1']);
    await page.keyboard.press('Escape');
    await page.goto(`${server.url}/catalog/${code}`);
    await page.getByRole('tab', { name: /数据版本/ }).click();
    await expect.poll(() => page.getByTestId('version-source').first().textContent()).toContain('删除 1 行');
    await page.goto(`${server.url}/sources`);
    expect(errors).toEqual([]);
  });

  it('a CDC binding shows its lag (bytes, last change applied, stream running) above its batches', async () => {
    const cluster = await startPgCluster({ walLevel: 'logical' });
    let officer: Awaited<ReturnType<typeof loginClient>> | undefined;
    let cdcCode: string | undefined;
    try {
      const db = new pg.Client(cluster.url);
      // Stopping the cluster ends this connection too (when the test fails before it ends it).
      db.on('error', () => undefined);
      await db.connect();
      await db.query(`CREATE TABLE firms (id integer PRIMARY KEY, "名称" text NOT NULL)`);
      await db.query(`INSERT INTO firms VALUES (1, '沈阳甲公司'), (2, '大连乙公司')`);
      officer = await loginClient(server.app, 'ga-officer', password);
      const made = await officer.call('POST', '/api/v1/datasets', {
        name: '市场主体(CDC)',
        summary: '部门库表变更同步',
        domain: '市场监管',
        category: '经济/市场主体',
        format: '库表',
        share_type: 'conditional',
        share_conditions: '法定职责',
        share_methods: ['api'],
        open_type: 'none',
        update_cycle: 'realtime',
        on_invalid: 'quarantine',
      });
      const code = made.json().code as string;
      const added = await officer.call('POST', '/api/v1/exchange/sources', {
        name: '市场主体库',
        kind: 'postgresql',
        host: '127.0.0.1',
        port: cluster.port,
        database: 'postgres',
        user: 'postgres',
        password: 'trust',
        tls: 'off',
      });
      const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, {
        sourceId: added.json().id,
        schema: 'public',
        table: 'firms',
        mode: 'cdc',
        keyColumn: 'id',
      });
      expect(bound.statusCode, bound.body).toBe(201);
      cdcCode = code;

      await page.goto(`${server.url}/sources`);
      await expect.poll(() => page.getByTestId('bindings-table').textContent()).toContain('持续（CDC）');
      await page.getByTestId(`binding-history-${cdcCode}`).click();
      const lag = page.getByTestId('binding-lag');
      await expect.poll(() => lag.textContent()).toContain('运行中');
      expect(await lag.textContent()).toContain('复制延迟');
      await db.query(`INSERT INTO firms VALUES (3, '鞍山丙公司')`);
      await db.end();
      await expect.poll(() => lag.textContent()).toMatch(/上次应用变更\d+ 秒前/);
      // The applied LSN moves past the snapshot's 0/0 with the insert; the lag is never negative.
      await expect.poll(() => lag.locator('code').textContent()).toMatch(/^(?!0\/0$)[0-9A-F]+\/[0-9A-F]+$/);
      expect(await lag.textContent()).toMatch(/复制延迟\d/);
      await expect.poll(() => page.getByTestId('binding-runs').locator('tbody tr.ant-table-row').count()).toBeGreaterThanOrEqual(2);
      await animationsDone(page);
      await screenshot(page, 'exchange-04c-cdc-lag');
      await page.keyboard.press('Escape');
      expect(errors).toEqual([]);
    } finally {
      // Unbinding ends the stream and drops the slot before the source goes away.
      if (cdcCode) expect((await officer!.call('DELETE', `/api/v1/datasets/${cdcCode}/binding`)).statusCode).toBe(204);
      cluster.stop();
    }
  });

  it('fits a phone (390×844)', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const phoneErrors = watchErrors(phone);
    await signIn(phone, server.url, 'ga-officer', password, '/sources');
    await expect.poll(() => phone.getByRole('cell', { name: '户籍库', exact: true }).count()).toBe(1);
    await settled(phone);
    await screenshot(phone, 'exchange-05-phone');
    await phone.getByTestId(`binding-history-${code}`).click();
    await expect.poll(() => phone.getByTestId('binding-runs').textContent()).toContain('成功');
    await animationsDone(phone);
    await screenshot(phone, 'exchange-06-phone-history');
    expect(phoneErrors).toEqual([]);
    await phone.close();
  });
});
