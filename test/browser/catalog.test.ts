import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc } from '../../src/modules/identity/codes.ts';
import { peopleCsv, peopleRows } from '../fixtures/people.ts';
import { ADMIN_PASSWORDS } from '../helpers/api.ts';
import { JOB_WAIT_MS } from '../helpers/bounds.ts';
import { confirmDialog, launchBrowser, screenshot, settled, signIn, watchErrors } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { sessionHeaders } from '../helpers/http.ts';

const ROWS = 20_000;

/** A fetch client holding a session (cookie + CSRF header), as the console would. */
async function session(base: string, username: string, password: string) {
  const headers = await sessionHeaders(base, username, password);
  return async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const r = await fetch(`${base}${url}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

describe.sequential('console: catalogue and aggregation in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let csvFile: string;
  let badFile: string;
  const officer = { username: 'gat-shuju', password: 'Gongan-Data-2026' };
  const consumer = { username: 'mz-shiyong', password: 'Minzheng-Use-2026' };

  beforeAll(async () => {
    server = await startTestServer({
      PDX_ADMIN_PASSWORD: ADMIN_PASSWORDS.sysadmin,
      PDX_SECADMIN_PASSWORD: ADMIN_PASSWORDS.secadmin,
      PDX_AUDITOR_PASSWORD: ADMIN_PASSWORDS.auditor,
    });
    // The sysadmin sets up two departments and their people through the API.
    const admin = await session(server.url, 'sysadmin', ADMIN_PASSWORDS.sysadmin);
    const gat = await admin<{ id: string }>('POST', '/api/v1/orgs', {
      name: '省公安厅',
      type: 'department',
      level: 'province',
      regionCode: '210000',
      uscc: makeUscc('1', '1', '210000', 'MB1G0001'),
    });
    const mz = await admin<{ id: string }>('POST', '/api/v1/orgs', {
      name: '省民政厅',
      type: 'department',
      level: 'province',
      regionCode: '210000',
      uscc: makeUscc('1', '1', '210000', 'MB1M0002'),
    });
    for (const [who, orgId, roles, name] of [
      [officer, gat.id, ['data_officer'], '王数据'],
      [consumer, mz.id, ['consumer'], '李民政'],
    ] as const) {
      const { password } = await admin<{ password: string }>('POST', '/api/v1/users', { username: who.username, displayName: name, orgId, roles });
      const user = await session(server.url, who.username, password);
      await user('POST', '/api/v1/auth/password', { currentPassword: password, newPassword: who.password });
    }
    // 20,000 户籍人口 rows in GBK, as provincial systems still export them.
    csvFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-catalog-')), '户籍人口.csv');
    fs.writeFileSync(csvFile, iconv.encode(peopleCsv(ROWS), 'gbk'));
    // Five more people, the second (file line 3) with a wrong check digit.
    const lines = peopleCsv(5, 99).trimEnd().split('\n');
    const cells = lines[2]!.split(',');
    cells[1] = cells[1]!.slice(0, 17) + (cells[1]!.endsWith('0') ? '1' : '0');
    lines[2] = cells.join(',');
    badFile = path.join(path.dirname(csvFile), '户籍人口-补充.csv');
    fs.writeFileSync(badFile, `${lines.join('\n')}\n`);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (csvFile) fs.rmSync(path.dirname(csvFile), { recursive: true, force: true });
  });

  // The officer registers, uploads, reviews and publishes a dataset that another department then
  // finds: one step per test, each waiting for its own conditions (a step needs the ones before it).
  let page: Page;
  let errors: string[];

  it('the data officer of 省公安厅 registers the dataset; the form asks for the sharing conditions', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    page = await context.newPage();
    errors = watchErrors(page);
    await signIn(page, server.url, officer.username, officer.password, '/catalog');
    await expect.poll(() => page.getByTestId('user-menu').textContent()).toContain('数据管理员');
    await expect.poll(() => page.getByText('目录中还没有数据资源').count()).toBe(1);
    await screenshot(page, 'catalog-01-empty');
    await page.getByRole('button', { name: '登记数据资源' }).click();
    const form = page.getByTestId('dataset-form');
    await form.getByLabel('资源名称').fill('户籍人口信息');
    await form.getByLabel('行业领域').fill('公共安全');
    await form.getByLabel('资源摘要').fill('全省常住户籍人口的姓名、身份证号、联系方式、住址和户籍地。');
    await form.getByLabel('资源分类').fill('基础信息/人口/户籍');
    // 有条件共享 is the default and needs its conditions: the form says so before the server is asked.
    await page.getByTestId('register-submit').click();
    await expect.poll(() => page.getByText('有条件共享须写明共享条件').count()).toBe(1);
    await form.getByLabel('共享条件').fill('仅限民政、人社部门用于资格核验,按最小必要原则脱敏使用');
    await screenshot(page, 'catalog-02-register');
    await page.getByTestId('register-submit').click();
  });

  it('the wizard uploads and loads the 20,000-row GBK file', async () => {
    await expect.poll(() => page.getByText(/已登记「户籍人口信息」/).count()).toBe(1);
    await page.locator('input[type=file]').setInputFiles(csvFile);
    await expect.poll(() => page.getByTestId('chosen-file').textContent()).toContain('户籍人口.csv');
    await screenshot(page, 'catalog-03-wizard');
    await page.getByTestId('start-upload').click();
    const progressOrResult = page.getByTestId('load-progress').or(page.getByTestId('upload-progress')).or(page.getByTestId('load-result'));
    await progressOrResult.first().waitFor();
    await screenshot(page, 'catalog-04-progress');
    await page.getByTestId('load-result').waitFor({ timeout: JOB_WAIT_MS });
    expect(await page.getByTestId('result-rows').textContent()).toContain('20,000');
    expect(await page.getByTestId('result-quarantined').textContent()).toContain('0');
    expect(await page.getByTestId('load-result').getByTestId('grade-tag').first().textContent()).toContain('4级');
    // What was detected in the file, each 信息项 with its type and grade; the form is put away so the
    // file cannot be loaded twice by accident; the next step is the classification review.
    await expect.poll(() => page.getByTestId('detected-source').textContent()).toMatch(/CSV.*GBK.*逗号/);
    const idRow = page.getByTestId('detected-columns').getByRole('row').filter({ hasText: '身份证号' });
    await expect.poll(() => idRow.textContent()).toContain('4级');
    expect(await page.getByTestId('upload-form').isVisible()).toBe(false);
    expect(await page.getByTestId('review-classification').textContent()).toContain('复核分类分级');
    await screenshot(page, 'catalog-05-loaded');
  });

  it('the dataset page: 身份证号 is 4级 and encrypted; the quality report counts every row', async () => {
    await page.getByTestId('open-dataset').click();
    await expect.poll(() => page.getByTestId('dataset-name').textContent()).toBe('户籍人口信息');
    const idRow = page.getByTestId('columns-table').getByRole('row').filter({ hasText: '身份证号' }).first();
    await expect.poll(() => idRow.getByTestId('grade-tag').textContent()).toContain('4级');
    expect(await idRow.getByTestId('encrypted-tag').count()).toBe(1);
    expect(await idRow.getByTestId('detected-type').textContent()).toBe('身份证号');
    expect(await page.getByTestId('metadata').textContent()).toContain('有条件共享');
    await screenshot(page, 'catalog-06-dataset');
    await page.getByRole('tab', { name: '质量报告' }).click();
    await expect.poll(() => page.getByTestId('quality-rows').textContent()).toContain('20,000');
    await screenshot(page, 'catalog-07-quality');
  });

  it('the dataset page previews the first rows masked: ID numbers and names masked, the city as it is', async () => {
    const [first] = [...peopleRows(1)];
    await page.getByRole('tab', { name: '数据预览' }).click();
    const preview = page.getByTestId('data-preview');
    await expect.poll(() => preview.getByRole('row').count()).toBe(11);
    const row = preview.getByRole('row').nth(1);
    const text = (await row.textContent())!;
    expect(text).toContain(first![4]!);
    expect(text).toContain(first![1]!.slice(-4));
    expect(text).not.toContain(first![1]!);
    expect(text).not.toContain(first![0]!);
    expect(await preview.textContent()).toContain('已记入审计日志');
    expect(await preview.getByRole('columnheader').filter({ hasText: '身份证号' }).textContent()).toContain('脱敏');
    await screenshot(page, 'catalog-07b-preview');
  });

  it('the officer edits the catalogue entry and a rule of one 信息项', async () => {
    await page.getByTestId('edit-metadata').click();
    await page.getByRole('dialog').getByLabel('联系电话').fill('024-86253000');
    await screenshot(page, 'catalog-07a-edit');
    expect((await confirmDialog(page, /保\s*存/, { answer: /\/datasets\/[^/]+$/ }))?.status()).toBe(200);
    await expect.poll(() => page.getByTestId('metadata').textContent()).toContain('024-86253000');
    await page.getByRole('tab', { name: /信息项/ }).click();
    await page.getByTestId('columns-table').getByRole('row').filter({ hasText: '人口数' }).getByRole('button', { name: '编辑' }).click();
    await page.getByRole('dialog').getByLabel('最小值').fill('1');
    await page.getByRole('dialog').getByLabel('最大值').fill('10');
    // A field description, shown under the 信息项 on the dataset page (and to requesters).
    await page.getByRole('dialog').getByLabel('说明').fill('同一户籍登记的人口数');
    await screenshot(page, 'catalog-07a-column');
    expect((await confirmDialog(page, /保\s*存/, { answer: '/columns' }))?.status()).toBe(200);
    await expect.poll(() => page.getByTestId('columns-table').getByRole('row').filter({ hasText: '人口数' }).textContent()).toContain('≤ 10');
    expect(await page.getByTestId('columns-table').getByRole('row').filter({ hasText: '人口数' }).textContent()).toContain('同一户籍登记的人口数');
  });

  it('a second file with a wrong check digit on line 3 is refused as a whole, naming line and column', async () => {
    // A second file with a wrong check digit on line 3 is refused as a whole; the message names line and column.
    await page.getByTestId('upload-version').click();
    await page.locator('input[type=file]').setInputFiles(badFile);
    await page
      .locator('label')
      .filter({ hasText: /^追加$/ })
      .click();
    await page.getByTestId('start-upload').click();
    await expect.poll(() => page.getByTestId('load-error').textContent()).toMatch(/第 3 行.*身份证号.*校验位/);
    await screenshot(page, 'catalog-07b-upload-refused');
    await page.getByTestId('load-failed').getByRole('button', { name: '查看数据资源' }).click();
    await page.getByRole('tab', { name: /数据版本/ }).click();
    await expect.poll(() => page.getByTestId('versions-table').textContent()).toContain('失败');
    expect(await page.getByTestId('versions-table').textContent()).toMatch(/第 3 行.*身份证号/);
    await screenshot(page, 'catalog-07c-versions');
  });

  it('the officer publishes it', async () => {
    // Publish. Where the classification review gate is installed, the officer confirms it first.
    await page.getByRole('tab', { name: /信息项/ }).click();
    await page.getByTestId('publish').click();
    await confirmDialog(page, /发\s*布/, { answer: '/publish' });
    const outcome = page.getByTestId('status-tag').filter({ hasText: '已发布' }).or(page.getByTestId('go-review'));
    await outcome.first().waitFor();
    if (await page.getByTestId('go-review').count()) {
      await screenshot(page, 'catalog-08-review-required');
      await page.getByTestId('go-review').click();
      await page.getByRole('button', { name: '确认复核结果' }).click();
      await expect.poll(() => page.getByText('分类分级已确认').count()).toBeGreaterThan(0);
      await page.goto(`${server.url}${new URL(page.url()).pathname.replace('/classify/', '/catalog/')}`);
      // The reloaded page has its dataset, columns and versions before the officer acts on it.
      await expect.poll(() => page.getByTestId('status-tag').first().textContent()).not.toBe('已发布');
      await settled(page);
      await page.getByTestId('publish').click();
      await confirmDialog(page, /发\s*布/, { answer: '/publish' });
    }
    await expect.poll(() => page.getByTestId('status-tag').first().textContent()).toBe('已发布');
    await expect.poll(() => page.getByTestId('withdraw').getAttribute('class')).not.toContain('loading');
    await screenshot(page, 'catalog-08-published');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a consumer of 省民政厅 searches 人口 and finds it, with facets and no management buttons', async () => {
    const other = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const page2 = await other.newPage();
    const errors2 = watchErrors(page2);
    await signIn(page2, server.url, consumer.username, consumer.password, '/catalog');
    await expect.poll(() => page2.getByTestId('user-menu').textContent()).toContain('数据使用方');
    const search = page2.getByPlaceholder(/输入关键词检索数据资源/);
    await search.fill('人口');
    await search.press('Enter');
    await expect.poll(() => new URL(page2.url()).searchParams.get('q')).toBe('人口');
    const link = page2.getByTestId('catalog-table').getByRole('link', { name: '户籍人口信息' });
    await expect.poll(() => link.count()).toBe(1);
    await expect.poll(() => page2.getByTestId('facets').textContent()).toContain('省公安厅 (1)');
    expect(await page2.getByTestId('facets').textContent()).toContain('有条件共享 (1)');
    await screenshot(page2, 'catalog-09-consumer-search');
    await search.fill('营业执照');
    await search.press('Enter');
    await expect.poll(() => page2.getByText('没有符合条件的数据资源').count()).toBe(1);
    await page2.goBack();
    await link.click();
    await expect.poll(() => page2.getByTestId('dataset-name').textContent()).toBe('户籍人口信息');
    expect(await page2.getByTestId('publish').count()).toBe(0);
    expect(await page2.getByTestId('withdraw').count()).toBe(0);
    expect(await page2.getByRole('tab', { name: '质量报告' }).count()).toBe(0);
    await screenshot(page2, 'catalog-10-consumer-dataset');
    await page2.getByTestId('lang-switch').click();
    await expect.poll(() => page2.getByTestId('metadata').textContent()).toContain('Conditional sharing');
    expect(await page2.getByTestId('columns-table').textContent()).toContain('Encrypted');
    await screenshot(page2, 'catalog-11-dataset-en');
    expect(errors2).toEqual([]);
    await other.close();
  });
});
