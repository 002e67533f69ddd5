/**
 * The core journey of product.md, end to end through the console in Chromium, on a server that
 * started with the demo world: upload → classification review with an override → publish 有条件共享 →
 * search and request → provider and security approval → masked rows through the API → a burst
 * contained by security operations → the auditor verifies the chain and finds the access.
 * Every step leaves a screenshot in test-artifacts/journey-*.png.
 *
 * Each step is its own test that waits for its own conditions (a page element, the server's
 * answer), so the time bound applies to one step, not to the whole journey on a slow machine; a
 * step needs the ones before it, and after a failure the later steps fail on their first check.
 */
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peopleCsv, peopleRows } from '../fixtures/people.ts';
import { ADMIN_PASSWORDS } from '../helpers/api.ts';
import { JOB_WAIT_MS } from '../helpers/bounds.ts';
import { animationsDone, choose, confirmDialog, launchBrowser, screenshot, signIn, watchErrors } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { virtualClock } from '../helpers/virtual-clock.ts';

const ROWS = 3000;
const SEED = 17;

describe.sequential('the core journey in the console', () => {
  let server: TestServer;
  let browser: Browser;
  const password = (username: string) => server.demoAccounts!.find((a) => a.username === username)!.password;
  // The detectors judge "night" and the hourly baseline on this clock: the test cannot wait for 03:00.
  const { setVirtual, eventTime } = virtualClock();

  beforeAll(async () => {
    server = await startTestServer(
      {
        PDX_DEMO: 'true',
        PDX_DEMO_PEOPLE: '1000',
        PDX_ADMIN_PASSWORD: ADMIN_PASSWORDS.sysadmin,
        PDX_SECADMIN_PASSWORD: ADMIN_PASSWORDS.secadmin,
        PDX_AUDITOR_PASSWORD: ADMIN_PASSWORDS.auditor,
      },
      { secops: { eventTime } },
    );
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  // What the steps hand on to each other.
  let url: string;
  let officer: Page;
  let officerErrors: string[];
  let consumer: Page;
  let consumerErrors: string[];
  let secadmin: Page;
  let code: string;
  let key: string;
  const records = async (query: Record<string, string>) =>
    fetch(`${url}/api/v1/datasets/${code}/records?${new URLSearchParams(query)}`, { headers: { authorization: `Bearer ${key}` } });

  it('1. the 省公安厅 officer registers the dataset and uploads a GBK file; progress is shown', async () => {
    url = server.url;
    const file = path.join(server.dataDir, '户籍人口.csv');
    fs.writeFileSync(file, iconv.encode(peopleCsv(ROWS, SEED), 'gbk'));
    officer = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    officerErrors = watchErrors(officer);
    await signIn(officer, url, 'ga-officer', password('ga-officer'));
    await officer.goto(`${url}/ingest/new`);
    const form = officer.getByTestId('dataset-form');
    await form.getByLabel('资源名称').fill('户籍人口信息(朝阳核验)');
    await form.getByLabel('资源摘要').fill('户籍人口基本信息:姓名、身份证号、手机号、住址、户籍地。');
    await form.getByLabel('共享条件').fill('仅限履行法定职责,按最小必要原则');
    await officer.getByTestId('register-submit').click();
    await officer.locator('input[type=file]').setInputFiles(file);
    await officer.getByTestId('start-upload').click();
    await officer.getByTestId('load-progress').or(officer.getByTestId('upload-progress')).or(officer.getByTestId('load-result')).first().waitFor();
    await screenshot(officer, 'journey-01-upload-progress');
    await officer.getByTestId('load-result').waitFor({ timeout: JOB_WAIT_MS });
    expect(await officer.getByTestId('result-rows').textContent()).toContain('3,000');
    await screenshot(officer, 'journey-02-upload-done');
    await officer.getByTestId('open-dataset').click();
    await expect.poll(() => officer.getByTestId('dataset-name').textContent()).toBe('户籍人口信息(朝阳核验)');
    code = new URL(officer.url()).pathname.split('/').pop()!;
  });

  it('2. the officer reviews the classification: 身份证号 4级 (encrypted), one column overridden with a reason', async () => {
    await officer.goto(`${url}/classify/${code}`);
    await expect.poll(() => officer.getByTestId('effective-grade').textContent()).toBe('4级');
    await officer.getByTestId('grade-户籍地').getByText('3级').click();
    await officer.getByTestId('reason-户籍地').fill('户籍地与姓名结合可识别个人,按 3 级保护');
    await officer.getByTestId('confirm-review').click();
    await expect.poll(() => officer.getByTestId('review-state').textContent()).toBe('已确认');
    await screenshot(officer, 'journey-03-classification-review');
  });

  it('3. the officer publishes it as 有条件共享', async () => {
    await officer.goto(`${url}/catalog/${code}`);
    expect(await officer.getByTestId('metadata').textContent()).toContain('有条件共享');
    await officer.getByTestId('publish').click();
    // Publishing shows what it means first (sharing type, grade, version) and waits for the officer.
    await expect.poll(() => officer.getByTestId('publish-summary').textContent()).toContain('有条件共享');
    expect((await confirmDialog(officer, /发\s*布/, { answer: '/publish' }))?.status()).toBe(200);
    await expect.poll(() => officer.getByTestId('status-tag').first().textContent()).toBe('已发布');
    await screenshot(officer, 'journey-04-published');
  });

  it('4. a consumer at 朝阳市民政局 finds it by searching 人口 and requests three columns', async () => {
    consumer = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    consumerErrors = watchErrors(consumer);
    await signIn(consumer, url, 'zy-minzheng', password('zy-minzheng'));
    await consumer.goto(`${url}/catalog?q=${encodeURIComponent('人口')}`);
    await expect.poll(() => consumer.getByText('户籍人口信息(朝阳核验)').count()).toBeGreaterThan(0);
    await screenshot(consumer, 'journey-05-search');
    await consumer.goto(`${url}/catalog/${code}`);
    await consumer.getByTestId('request-access').click();
    for (const name of ['姓名', '身份证号', '住址'])
      await consumer
        .getByRole('row')
        .filter({ has: consumer.getByTestId(`pick-${name}`) })
        .getByRole('checkbox')
        .check();
    await consumer.getByTestId('purpose').fill('低保资格核验');
    await consumer.getByTestId('legal-basis').fill('《社会救助暂行办法》第十一条');
    await consumer.getByTestId('volume').fill('500');
    await screenshot(consumer, 'journey-06-request');
    await consumer.getByTestId('submit-request').click();
    // A summary of the request, confirmed before anything is sent.
    await expect.poll(() => consumer.getByTestId('request-summary').textContent()).toContain('低保');
    await confirmDialog(consumer, '确认提交', { answer: '/share/requests' });
    await expect.poll(() => consumer.getByText('申请已提交').count()).toBe(1);
  });

  it('5. the provider approves per column with a row filter; the secadmin approves as well (4级 involved)', async () => {
    await officer.goto(`${url}/sharing`);
    await officer.getByTestId(`open-request-${code}`).click();
    await expect.poll(() => officer.getByTestId('approval-form').count()).toBe(1);
    await officer.getByTestId('mode-姓名').getByText('脱敏').click();
    await officer.getByTestId('mode-身份证号').getByText('假名化').click();
    await officer.getByTestId('mode-住址').getByText('泛化').click();
    await officer.getByTestId('add-condition').click();
    await choose(officer, 'filter-column-0', '户籍地');
    await officer.getByTestId('filter-value-0').fill('朝阳市');
    await expect.poll(() => officer.getByTestId('filter-text').textContent()).toBe('户籍地 等于 朝阳市');
    await officer.getByTestId('rows-per-day').fill('50000');
    await screenshot(officer, 'journey-07-provider-approval');
    await officer.getByTestId('approve').click();
    // The terms are shown in words before they are granted.
    await expect.poll(() => officer.getByTestId('approve-summary').textContent()).toContain('户籍地 等于 朝阳市');
    await screenshot(officer, 'journey-07b-approve-confirm');
    expect((await confirmDialog(officer, '批准并提交安全审核', { answer: '/approve' }))?.status()).toBe(200);
    await expect.poll(() => officer.getByTestId('detail-state').textContent()).toBe('待安全审核');

    secadmin = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(secadmin, url, 'secadmin', ADMIN_PASSWORDS.secadmin);
    await secadmin.goto(`${url}/sharing`);
    await secadmin.getByTestId(`open-request-${code}`).click();
    await secadmin.getByTestId('security-note').fill('已核对共享方式与范围,同意');
    await secadmin.getByTestId('security-approve').click();
    expect((await confirmDialog(secadmin, '同意并生效', { answer: '/security-approve' }))?.status()).toBe(200);
    await expect.poll(() => secadmin.getByTestId('detail-state').textContent()).toBe('已生效');
    await screenshot(secadmin, 'journey-08-security-approval');
  });

  it('6. the consumer creates an API key and its application reads only 朝阳 rows, in the approved forms', async () => {
    await consumer.goto(`${url}/api-keys`);
    await consumer.getByRole('button', { name: '新建 API 密钥' }).click();
    await consumer.getByRole('dialog').getByLabel('名称').fill('低保资格核验系统');
    expect((await confirmDialog(consumer, /创\s*建/, { answer: '/api-keys' }))?.status()).toBe(201);
    key = ((await consumer.getByTestId('new-api-key').textContent()) ?? '').trim();
    expect(key).toMatch(/^pdx_/);
    await confirmDialog(consumer, /知道了|确\s*定/);
    const response = await records({ select: '姓名,身份证号,住址', limit: '1000' });
    expect(response.status).toBe(200);
    const { rows } = (await response.json()) as { rows: Record<string, string>[] };
    const all = [...peopleRows(ROWS, SEED)];
    const chaoyang = all.filter((r) => r[4] === '朝阳市');
    expect(rows.length).toBe(chaoyang.length);
    const clearIds = new Set(all.map((r) => r[1]));
    for (const row of rows) {
      expect(row['姓名']).toMatch(/^[\u4e00-\u9fa5]{1,2}\*+$/);
      expect(clearIds.has(row['身份证号'])).toBe(false);
    }
    // A hidden column or a filter on a masked one is a clear 400.
    const hidden = await records({ select: '手机号' });
    expect(hidden.status).toBe(400);
    expect(JSON.stringify(await hidden.json())).toContain('手机号');
    const maskedFilter = await records({ select: '姓名', 姓名: 'eq.张三' });
    expect(maskedFilter.status).toBe(400);
    await consumer.goto(`${url}/sharing`);
    await consumer.getByRole('tab', { name: '我的授权' }).click();
    await consumer.getByTestId(`open-grant-${code}`).click();
    await expect.poll(() => consumer.getByTestId('example-json').count()).toBe(1);
    await screenshot(consumer, 'journey-09-grant-and-call');
  });

  // The usual volume over three working hours, then at 03:00 the same key pulls 50× that.
  it('7. a burst at night: a 较大 alert, the key suspended, the officer and secadmin notified, an incident with its 4-hour clock', async () => {
    const secApi = async (method: string, path: string, body?: unknown) => {
      const cookies = (await secadmin.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
      const csrf = (await secadmin.context().cookies()).find((c) => c.name === 'pdx_csrf')?.value ?? '';
      return fetch(`${url}/api/v1${path}`, {
        method,
        headers: { cookie: cookies, 'x-csrf-token': csrf, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    };
    expect((await secApi('PUT', '/secops/settings', { intervalMs: 200 })).status).toBe(200);
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const yesterday = new Date(Date.parse(today) - 86_400_000).toISOString().slice(0, 10);
    for (const hour of ['09', '10', '15']) {
      setVirtual(`${yesterday}T${hour}:00:00+08:00`);
      expect((await records({ select: '姓名', limit: '4' })).status).toBe(200);
    }
    setVirtual(`${today}T03:00:00+08:00`);
    let burst = 0;
    for (let i = 0; i < 8; i++) {
      const res = await records({ select: '姓名,身份证号,住址', limit: '1000' });
      if (res.status !== 200) break;
      burst += ((await res.json()) as { rows: unknown[] }).rows.length;
    }
    expect(burst).toBeGreaterThan(200);
    await expect.poll(async () => (await records({ select: '姓名', limit: '1' })).status).toBe(401);
    const refused = await records({ select: '姓名', limit: '1' });
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('api_key_suspended');
    await secadmin.goto(`${url}/secops`);
    const live = secadmin.getByTestId('live-alerts');
    await expect.poll(() => live.textContent()).toContain('访问量达到基线');
    await live.getByText('访问量达到基线').first().click();
    await expect.poll(() => secadmin.getByRole('dialog').first().getByTestId('severity-significant').count()).toBeGreaterThan(0);
    await animationsDone(secadmin);
    await screenshot(secadmin, 'journey-10-alert-and-containment');
    await officer.goto(`${url}/sharing?tab=notifications`);
    await expect.poll(() => officer.getByTestId('notification').count()).toBeGreaterThan(0);
  });

  it('8. the auditor verifies the chain and finds who read 身份证号', async () => {
    const auditor = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(auditor, url, 'auditor', ADMIN_PASSWORDS.auditor);
    await auditor.getByRole('menuitem', { name: '审计日志' }).click();
    await expect.poll(() => auditor.getByTestId('chain-verdict').textContent()).toBe('审计链完整');
    await screenshot(auditor, 'journey-11-chain-verified');
    await auditor.getByRole('tab', { name: '数据访问追溯' }).click();
    await auditor.getByTestId('access-form').getByLabel('数据资源').fill(code);
    await auditor.getByTestId('access-form').getByLabel('信息项').fill('身份证号');
    await auditor.getByTestId('access-search').click();
    const entries = auditor.locator('[data-testid="access-entries"] tbody tr.ant-table-row');
    await expect.poll(() => entries.count()).toBeGreaterThan(0);
    expect(await entries.first().textContent()).toContain('zy-minzheng');
    await screenshot(auditor, 'journey-12-access-found');
  });

  it('9. 锦州市文旅局 opens the tourism events as 无条件开放; the portal lists them for download', async () => {
    // 锦州市文旅局 opens the tourism events as 无条件开放: the new release passes the de-identification
    // check, is published, and the public portal lists it for download.
    const jz = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(jz, url, 'jz-officer', password('jz-officer'));
    await jz.goto(`${url}/opendata`);
    await jz.locator('[data-testid^="new-release-"]').first().click();
    await jz.getByTestId('run-check').click();
    await expect.poll(() => jz.getByTestId('report-verdict').textContent()).toContain('通过');
    await jz.getByTestId('publish-release').click();
    await expect.poll(() => jz.getByTestId('release-state').textContent()).toBe('已发布');
    await screenshot(jz, 'journey-13-open-release');
    const portal = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await portal.goto(`${url}/open/datasets?q=${encodeURIComponent('锦州金秋')}`);
    await portal.locator('[data-testid^="dataset-link-"]').first().click();
    await expect.poll(() => portal.getByTestId('dataset-meta').textContent()).toContain('2（');
    const csv = await fetch(`${url}${await portal.getByTestId('download-csv').getAttribute('href')}`);
    expect(csv.status).toBe(200);
    expect((await csv.text()).split('\r\n')[0]).toContain('活动名称');
    await screenshot(portal, 'journey-14-open-portal');
  });

  it("leaves no script error on the officer's and the consumer's pages", () => {
    expect(officerErrors).toEqual([]);
    expect(consumerErrors).toEqual([]);
  });
});
