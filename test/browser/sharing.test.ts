import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peopleRows } from '../fixtures/people.ts';
import { ADMIN_PASSWORDS, loginClient, provisionWithPassword, type Client } from '../helpers/api.ts';
import { choose, confirmDialog, launchBrowser, screenshot, settled, signIn, watchErrors } from '../helpers/browser.ts';
import { apiKey, publishPeople } from '../share-helpers.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const ROWS = 200;

/** A user with a known password (the generated one is changed on first sign-in, as the console requires). */
describe.sequential('console: share request → provider approval → security approval → API call, in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let officer: Client;
  let consumer: Client;
  let key: string;
  let code: string;
  const officerPassword = 'Hunnan-Officer-2026!';
  const consumerPassword = 'Chaoyang-Civil-2026!';

  beforeAll(async () => {
    server = await startTestServer({
      PDX_ADMIN_PASSWORD: ADMIN_PASSWORDS.sysadmin,
      PDX_SECADMIN_PASSWORD: ADMIN_PASSWORDS.secadmin,
      PDX_AUDITOR_PASSWORD: ADMIN_PASSWORDS.auditor,
      PDX_RATE_LIMIT: '100000',
    });
    browser = await launchBrowser();
    const admin = await loginClient(server.app, 'sysadmin', ADMIN_PASSWORDS.sysadmin);
    const police = (await admin.call('POST', '/api/v1/orgs', { name: '省公安厅', type: 'department', level: 'province', regionCode: '210000' })).json()
      .id as string;
    const civil = (await admin.call('POST', '/api/v1/orgs', { name: '朝阳市民政局', type: 'department', level: 'city', regionCode: '211300' })).json()
      .id as string;
    officer = await provisionWithPassword(server.app, admin, {
      username: 'ga-officer',
      displayName: '王科长',
      orgId: police,
      roles: ['data_officer'],
      password: officerPassword,
    });
    consumer = await provisionWithPassword(server.app, admin, {
      username: 'mz-consumer',
      displayName: '李干事',
      orgId: civil,
      roles: ['consumer'],
      password: consumerPassword,
    });
    code = await publishPeople(officer, { name: '户籍人口信息', rows: ROWS, seed: 7 });
    key = await apiKey(consumer, '低保资格核验系统');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  // A request walks through both approvals and the consumer calls the API with the granted forms:
  // one step per test, each waiting for its own conditions (a step needs the ones before it).
  let c: Page;
  let o: Page;
  let s: Page;
  let consumerErrors: string[];
  let officerErrors: string[];
  let secErrors: string[];

  it('the consumer asks for 姓名, 身份证号, 住址 from the dataset page', async () => {
    c = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    consumerErrors = watchErrors(c);
    await signIn(c, server.url, 'mz-consumer', consumerPassword);
    // The entry point: the dataset page of the catalogue.
    await c.goto(`${server.url}/catalog/${code}`);
    await settled(c);
    await screenshot(c, 'sharing-00-dataset-page');
    await c.getByTestId('request-access').click();
    await expect.poll(() => c.url()).toContain(`/sharing/request/${code}`);
    await expect.poll(() => c.getByTestId('request-title').textContent()).toContain('户籍人口信息');
    for (const name of ['姓名', '身份证号', '住址'])
      await c
        .getByRole('row')
        .filter({ has: c.getByTestId(`pick-${name}`) })
        .getByRole('checkbox')
        .check();
    await expect.poll(() => c.getByTestId('grade4-hint').count()).toBe(1);
    await c.getByTestId('purpose').fill('低保对象资格核验:核对申请人身份与户籍');
    await c.getByTestId('legal-basis').fill('《社会救助暂行办法》第十一条');
    await c.getByTestId('volume').fill('500');
    await settled(c);
    // The submit button stands under the fields at their left edge, not on a label's line beside them.
    const button = (await c.getByTestId('submit-request').boundingBox())!;
    const purpose = (await c.getByTestId('purpose').boundingBox())!;
    const volume = (await c.getByTestId('volume').boundingBox())!;
    expect(Math.abs(button.x - purpose.x)).toBeLessThan(2);
    expect(button.y).toBeGreaterThan(volume.y + volume.height);
    await screenshot(c, 'sharing-01-request-form');
    // Enter in the end date field sends nothing (a 4级 column is asked for): no summary, no request.
    let posted = 0;
    const onRequest = (r: { method(): string; url(): string }) =>
      void (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/share/requests' && posted++);
    c.on('request', onRequest);
    await c.getByTestId('end-date').click();
    await c.keyboard.press('Enter');
    await c.keyboard.press('Escape');
    await c.getByTestId('volume').press('Enter');
    expect(await c.getByTestId('request-summary').count()).toBe(0);
    expect(posted).toBe(0);
    c.off('request', onRequest);
    await c.getByTestId('submit-request').click();
    // A summary of the request, confirmed before anything is sent.
    await expect.poll(() => c.getByTestId('request-summary').textContent()).toContain('低保');
    await confirmDialog(c, '确认提交', { answer: '/share/requests' });
    await expect.poll(() => c.getByText('申请已提交').count()).toBe(1);
    await screenshot(c, 'sharing-02-request-submitted');
    await c.getByTestId('go-my-requests').click();
    await expect.poll(() => c.getByTestId('request-state').first().textContent()).toBe('待提供方审批');
    await settled(c);
    await screenshot(c, 'sharing-03-my-requests');
  });

  it("the provider's officer decides each column, the rows and the term", async () => {
    o = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    officerErrors = watchErrors(o);
    await signIn(o, server.url, 'ga-officer', officerPassword);
    await expect.poll(() => o.getByTestId('bell-count').textContent()).toContain('1');
    await o.getByRole('menuitem', { name: '数据共享' }).click();
    await expect.poll(() => o.getByTestId(`open-request-${code}`).count()).toBe(1);
    await settled(o);
    await screenshot(o, 'sharing-04-officer-inbox');
    await o.getByTestId(`open-request-${code}`).click();
    await expect.poll(() => o.getByTestId('approval-form').count()).toBe(1);
    // Opening the request reads its notification.
    await expect.poll(() => o.getByTestId('bell-count').textContent()).not.toContain('1');
    expect(await o.getByTestId('request-facts').textContent()).toContain('《社会救助暂行办法》第十一条');
    // Clear 4级 身份证号 asks for the impact assessment, highlighted; the console refuses without it.
    await o.getByTestId('mode-身份证号').getByText('明文').click();
    await o.getByTestId('approve').click();
    await expect.poll(() => o.getByTestId('approve-error').textContent()).toContain('影响评估');
    await screenshot(o, 'sharing-05-impact-required');
    await o.getByTestId('mode-姓名').getByText('脱敏').click();
    await o.getByTestId('mode-身份证号').getByText('假名化').click();
    await o.getByTestId('mode-住址').getByText('泛化').click();
    await o.getByTestId('add-condition').click();
    await choose(o, 'filter-column-0', '户籍地');
    await o.getByTestId('filter-value-0').fill('朝阳市');
    await expect.poll(() => o.getByTestId('filter-text').textContent()).toBe('户籍地 等于 朝阳市');
    // Chinese brackets after a name, and days in the console's one format (2026-12-18, not 2026/12/18).
    const pageText = await o.locator('.ant-layout-content').innerText();
    expect(pageText).toContain('李干事（mz-consumer）');
    expect(pageText).toContain('住址（地址）');
    expect(pageText).not.toMatch(/\d{4}\/\d{1,2}\/\d{1,2}/);
    await o.getByTestId('approve-note').fill('按最小必要原则提供,仅限朝阳市户籍');
    await screenshot(o, 'sharing-06-officer-decides');
    await o.getByTestId('approve').click();
    await expect.poll(() => o.getByTestId('approve-summary').textContent()).toContain('户籍地 等于 朝阳市');
    expect(await o.getByTestId('approve-summary').textContent()).toMatch(/身份证号\s*假名化/);
    expect((await confirmDialog(o, '批准并提交安全审核', { answer: '/approve' }))?.status()).toBe(200);
    await expect.poll(() => o.getByTestId('detail-state').textContent()).toBe('待安全审核');
    await settled(o);
    await screenshot(o, 'sharing-07-officer-approved');
  });

  it('the security administrator approves', async () => {
    s = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    secErrors = watchErrors(s);
    await signIn(s, server.url, 'secadmin', ADMIN_PASSWORDS.secadmin);
    await s.getByRole('menuitem', { name: '数据共享' }).click();
    await expect.poll(() => s.getByTestId(`open-request-${code}`).count()).toBe(1);
    await settled(s);
    await screenshot(s, 'sharing-08-security-inbox');
    await s.getByTestId(`open-request-${code}`).click();
    await expect.poll(() => s.getByTestId('security-form').count()).toBe(1);
    // The row filter reads as words; the query syntax is only in a tooltip.
    expect(await s.getByTestId('terms-filter').textContent()).toBe('户籍地 等于 朝阳市');
    expect(await s.getByTestId('terms').textContent()).not.toContain('=eq.');
    await s.getByTestId('security-note').fill('已核对共享方式与范围,同意');
    await screenshot(s, 'sharing-09-security-review');
    await s.getByTestId('security-approve').click();
    expect((await confirmDialog(s, '同意并生效', { answer: '/security-approve' }))?.status()).toBe(200);
    await expect.poll(() => s.getByTestId('detail-state').textContent()).toBe('已生效');
    await settled(s);
    await screenshot(s, 'sharing-10-security-approved');
  });

  it('the consumer is notified and sees the grant with its example calls, and exports the rows', async () => {
    await c.goto(`${server.url}/sharing?tab=notifications`);
    await expect.poll(() => c.getByTestId('notification').count()).toBeGreaterThanOrEqual(2);
    expect(await c.getByTestId('bell-count').textContent()).toMatch(/[1-9]/);
    await settled(c);
    await screenshot(c, 'sharing-11-consumer-notifications');
    await c.getByRole('tab', { name: '我的授权' }).click();
    await expect.poll(() => c.getByTestId(`open-grant-${code}`).count()).toBe(1);
    await settled(c);
    await screenshot(c, 'sharing-12-my-grants');
    await c.getByTestId(`open-grant-${code}`).click();
    await expect.poll(() => c.getByTestId('example-json').count()).toBe(1);
    const curl = (await c.getByTestId('example-json').textContent()) ?? '';
    expect(curl).toContain(`${server.url}/api/v1/datasets/${code}/records`);
    expect(curl).toContain("--data-urlencode 'select=姓名,身份证号,住址'");
    expect(curl).toContain('Authorization: Bearer <your key>');
    expect(await c.getByTestId('grant-filter').textContent()).toBe('户籍地 等于 朝阳市');
    await settled(c);
    await screenshot(c, 'sharing-13-grant-examples');
    // A CSV export of the granted rows, downloaded with the console session.
    await c.getByTestId('export').click();
    await expect.poll(() => c.getByTestId('export-ready').count()).toBe(1);
    await screenshot(c, 'sharing-13b-export-ready');
    const href = await c.getByTestId('export-download').getAttribute('href');
    const file = await c.request.get(`${server.url}${href}`);
    expect(file.status()).toBe(200);
    const csvLines = (await file.text()).trim().split(/\r?\n/);
    expect(csvLines[0]).toBe('姓名,身份证号,住址');
    expect(csvLines.length - 1).toBe([...peopleRows(ROWS, 7)].filter((r) => r[4] === '朝阳市').length);

    await c.getByTestId('lang-switch').click();
    await expect.poll(() => c.getByText('How to call').count()).toBeGreaterThan(0);
    await screenshot(c, 'sharing-14-grant-examples-en');
    await c.getByTestId('lang-switch').click();
  });

  it('a real call with the API key, as the curl example says, gets the granted forms; no script error on the way', async () => {
    const url = `${server.url}/api/v1/datasets/${code}/records?${new URLSearchParams({ select: '姓名,身份证号,住址', limit: '1000' })}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    const { rows } = (await response.json()) as { rows: Record<string, string>[] };
    const all = [...peopleRows(ROWS, 7)];
    const chaoyang = all.filter((r) => r[4] === '朝阳市');
    expect(chaoyang.length).toBeGreaterThan(0);
    expect(rows.length).toBe(chaoyang.length);
    const shape = (name: string) => `${name[0]}${name.length}`;
    expect(rows.map((r) => shape(r['姓名']!)).sort()).toEqual(chaoyang.map((r) => shape(r[0]!)).sort());
    const clearNames = new Set(all.map((r) => r[0]));
    const clearIds = new Set(all.map((r) => r[1]));
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['住址', '姓名', '身份证号'].sort());
      expect(row['姓名']).toMatch(/^[\u4e00-\u9fa5]{1,2}\*+$/);
      expect(clearNames.has(row['姓名'])).toBe(false);
      expect(clearIds.has(row['身份证号'])).toBe(false);
      // Generalised to the district: a prefix of one of the 朝阳市 people's addresses, never a whole one.
      expect(chaoyang.some((r) => r[3]!.startsWith(row['住址']!) && r[3] !== row['住址'])).toBe(true);
    }

    expect(consumerErrors).toEqual([]);
    expect(officerErrors).toEqual([]);
    expect(secErrors).toEqual([]);
    await Promise.all([c.close(), o.close(), s.close()]);
  });

  it('a request rejected in the console shows its reason to the consumer; a revoked grant says so', async () => {
    const submitted = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: code,
      columns: ['出生日期', '人口数'],
      purpose: '人口结构统计分析',
      purposeCategory: 'statistics',
      legalBasis: '《统计法》第七条',
      endDate: '2099-12-31',
    });
    expect(submitted.statusCode).toBe(201);
    const id = submitted.json().id as string;

    const o = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = watchErrors(o);
    await signIn(o, server.url, 'ga-officer', officerPassword);
    await o.goto(`${server.url}/sharing/requests/${id}`);
    await expect.poll(() => o.getByTestId('approval-form').count()).toBe(1);
    await o.getByTestId('reject').click();
    await o.getByTestId('reject-reason').fill('统计用途请使用已开放的汇总数据');
    expect((await confirmDialog(o, /驳\s*回/, { answer: '/reject' }))?.status()).toBe(200);
    await expect.poll(() => o.getByTestId('detail-state').textContent()).toBe('已驳回');

    // The earlier grant is revoked by the provider in the console.
    const grants = (await officer.call('GET', `/api/v1/share/grants?dataset=${code}`)).json().items as { id: string; state: string }[];
    const active = grants.find((g) => g.state === 'active')!;
    await o.goto(`${server.url}/sharing/grants/${active.id}`);
    await o.getByTestId('revoke').click();
    await o.getByTestId('revoke-reason').fill('核验工作已结束');
    // The confirm button is enabled only once the reason is in.
    expect((await confirmDialog(o, '撤销授权', { answer: '/revoke' }))?.status()).toBe(200);
    await expect.poll(() => o.getByTestId('grant-state').textContent()).toBe('已撤销');
    await settled(o);
    await screenshot(o, 'sharing-15-officer-revoked');

    const c = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const consumerErrors = watchErrors(c);
    await signIn(c, server.url, 'mz-consumer', consumerPassword);
    await c.goto(`${server.url}/sharing?tab=requests`);
    await expect.poll(() => c.getByTestId('request-state').allTextContents()).toEqual(expect.arrayContaining(['已驳回', '已撤销']));
    await settled(c);
    await screenshot(c, 'sharing-16-consumer-rejected-revoked');
    await c.goto(`${server.url}/sharing/requests/${id}`);
    await expect.poll(() => c.getByTestId('rejected-reason').textContent()).toContain('统计用途请使用已开放的汇总数据');
    await screenshot(c, 'sharing-17-rejected-reason');
    // The key no longer reads anything.
    const refused = await fetch(`${server.url}/api/v1/datasets/${code}/records?select=姓名`, { headers: { authorization: `Bearer ${key}` } });
    expect(refused.status).toBe(403);

    expect(errors).toEqual([]);
    expect(consumerErrors).toEqual([]);
    await Promise.all([c.close(), o.close()]);
  });
});
