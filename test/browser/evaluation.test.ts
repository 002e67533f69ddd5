/**
 * 目录挂接与共享评价 and usage statistics in the console (issue 20 §5, §6), in Chromium: a consumer sees
 * an overdue catalogue entry flagged in the list and on its page and rates the dataset its organisation
 * holds a grant on; the provider's officer reads the rating's comment; the security administrator
 * sees the department scores on the overview and the evaluation page, the usage statistics, and
 * exports both. Needs the built console (web/dist).
 */
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peopleCsv } from '../fixtures/people.ts';
import { ADMIN_PASSWORDS, multipart, provisionWithPassword, waitForJob, type Client } from '../helpers/api.ts';
import { type ConsoleWorld, screenshot, settled, signIn, startConsoleWorld, watchErrors } from '../helpers/browser.ts';
import type { TestServer } from '../helpers/server.ts';
import { publishCsv } from '../share-helpers.ts';

describe.sequential('console: 目录挂接, 共享评价 and usage statistics in Chromium', () => {
  let world: ConsoleWorld;
  let server: TestServer;
  let browser: Browser;
  let officer: Client;
  let consumer: Client;
  let code: string;
  const password = 'Evaluation-Console-2026!';
  const pages: { page: Page; errors: string[] }[] = [];

  const open = async (username: string, secret: string, path: string) => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = watchErrors(page);
    pages.push({ page, errors });
    await signIn(page, server.url, username, secret, path);
    return page;
  };
  /** What an export button points at, fetched with the page's session. */
  const exported = async (page: Page, testId: string) => {
    const href = await page.getByTestId(testId).getAttribute('href');
    const res = await page.request.get(new URL(href!, server.url).toString());
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('spreadsheetml');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await res.body()) as unknown as ArrayBuffer);
    return book;
  };

  beforeAll(async () => {
    world = await startConsoleWorld();
    ({ server, browser } = world);
    const { admin, org } = world;
    const police = await org('省公安厅', 'province', '210000');
    const civil = await org('朝阳市民政局', 'city', '211300');
    officer = await provisionWithPassword(server.app, admin, { username: 'ga-officer', orgId: police, roles: ['data_officer'], password });
    consumer = await provisionWithPassword(server.app, admin, { username: 'mz-consumer', orgId: civil, roles: ['consumer'], password });
    code = await publishCsv(officer, '户籍人口信息', peopleCsv(30, 3));
    // A monthly register whose newest file was extracted 70 days ago: overdue.
    expect((await officer.call('PATCH', `/api/v1/datasets/${code}`, { update_cycle: 'monthly' })).statusCode).toBe(200);
    const { body, contentType } = multipart('people.csv', Buffer.from(peopleCsv(30, 3)));
    const asOf = new Date(Date.now() - 70 * 86_400_000).toISOString();
    const uploaded = await officer.call('POST', `/api/v1/datasets/${code}/versions?asOf=${encodeURIComponent(asOf)}`, body, { 'content-type': contentType });
    expect((await waitForJob(officer, uploaded.json().jobId)).state).toBe('succeeded');
    // 朝阳市民政局 holds a grant and reads twice.
    const request = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: code,
      columns: ['姓名', '户籍地'],
      purpose: '低保资格核验',
      purposeCategory: 'social_assistance',
      legalBasis: '《社会救助暂行办法》第十一条',
      endDate: '2099-06-30',
    });
    const approved = await officer.call('POST', `/api/v1/share/requests/${request.json().id}/approve`, {
      columns: [
        { name: '姓名', mode: 'masked' },
        { name: '户籍地', mode: 'clear' },
      ],
    });
    expect(approved.json().state).toBe('active');
    for (const limit of [5, 7]) expect((await consumer.call('GET', `/api/v1/datasets/${code}/records?limit=${limit}`)).statusCode).toBe(200);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('the consumer sees the overdue entry flagged in the catalogue and on its page, and rates the dataset', async () => {
    const c = await open('mz-consumer', password, '/catalog');
    const row = c.getByTestId('catalog-table').locator('tr', { hasText: '户籍人口信息' });
    await expect.poll(() => row.getByTestId('upkeep-tag').getAttribute('data-state')).toBe('overdue');
    expect(await row.getByTestId('upkeep-tag').textContent()).toBe('逾期未更新');
    await settled(c);
    await screenshot(c, 'evaluation-00-catalogue-overdue');

    await row.getByRole('link', { name: '户籍人口信息' }).click();
    await expect.poll(() => c.getByTestId('upkeep-overdue').textContent()).toContain('每月');
    await expect.poll(() => c.getByTestId('rating-form').count()).toBe(1);
    for (const [dimension, stars] of [
      ['quality', 4],
      ['timeliness', 3],
      ['usefulness', 5],
    ] as const) {
      await c
        .getByTestId(`rate-${dimension}`)
        .locator('li')
        .nth(stars - 1)
        .click();
    }
    await c.getByTestId('rate-comment').fill('字段齐全,但更新不够及时');
    await c.getByTestId('rate-submit').click();
    await expect.poll(() => c.getByTestId('rating-means').textContent()).toContain('1 条评价');
    expect(await c.getByTestId('rating-means').textContent()).toContain('4.0');
    // A consumer does not see other organisations' comments.
    expect(await c.getByTestId('rating-reviews').count()).toBe(0);
    await settled(c);
    await screenshot(c, 'evaluation-01-dataset-rated');
  });

  it("the provider's officer reads each rating with its comment", async () => {
    const o = await open('ga-officer', password, `/catalog/${code}`);
    const reviews = o.getByTestId('rating-reviews');
    await expect.poll(() => reviews.textContent()).toContain('字段齐全,但更新不够及时');
    expect(await reviews.textContent()).toContain('朝阳市民政局');
    // The provider cannot rate its own data.
    expect(await o.getByTestId('rating-form').count()).toBe(0);
    await settled(o);
    await screenshot(o, 'evaluation-02-provider-reviews');
  });

  it('the security administrator sees the department scores on the overview and the evaluation page, and exports them', async () => {
    const s = await open('secadmin', ADMIN_PASSWORDS.secadmin, '/');
    const card = s.getByTestId('overview-scores');
    await expect.poll(() => card.textContent()).toContain('省公安厅');
    await card.scrollIntoViewIfNeeded();
    await screenshot(s, 'evaluation-03-overview-scores');

    await s.goto(`${server.url}/duties/evaluation`);
    const table = s.getByTestId('scores-table');
    await expect.poll(() => table.textContent()).toContain('省公安厅');
    const police = table.locator('tr', { hasText: '省公安厅' });
    // One request answered on time (1), the entry overdue (0), mean rating 4 ((4 − 1) / 4): 100 × (30 + 0 + 25 × 0.75) / 80.
    expect(await police.getByTestId('score').textContent()).toBe('60.9');
    expect(await police.textContent()).toContain('0 / 1 条，逾期 1');
    expect(await s.getByTestId('score-formula').textContent()).toContain('权重');
    await settled(s);
    await screenshot(s, 'evaluation-04-scores');
    const book = await exported(s, 'export-scores');
    const sheet = book.getWorksheet('部门评价')!;
    const line = [...Array(sheet.rowCount).keys()].map((i) => sheet.getRow(i + 1)).find((r) => r.getCell(1).value === '省公安厅')!;
    expect(line.getCell(2).value).toBe(60.9);
  });

  it('the usage statistics by dataset, department and day, exported for the range shown; also in English', async () => {
    const s = pages.at(-1)!.page;
    await s.getByRole('tab', { name: '使用统计' }).click();
    await expect.poll(() => s.getByTestId('usage-totals').textContent()).toContain('调用 2 次，数据 12 行，使用方 1 个');
    await expect.poll(() => s.getByTestId('usage-datasets').textContent()).toContain('户籍人口信息');
    await settled(s);
    await screenshot(s, 'evaluation-05-usage');
    const book = await exported(s, 'export-usage');
    expect(book.getWorksheet('按资源')!.getRow(2).values).toEqual([undefined, code, '户籍人口信息', '省公安厅', 2, 12, 1]);

    await s.getByTestId('lang-switch').click();
    await expect.poll(() => s.getByTestId('usage-totals').textContent()).toContain('2 calls, 12 rows, 1 consumers');
    await s.getByRole('tab', { name: 'Department scores' }).click();
    await expect.poll(() => s.getByTestId('scores-table').textContent()).toContain('Requests on time');
    await settled(s);
    await screenshot(s, 'evaluation-06-scores-en');
    await s.getByTestId('lang-switch').click();
    for (const { errors } of pages) expect(errors).toEqual([]);
  });
});
