/**
 * The public journey of the open-data portal in Chromium, on a server with the demo world and a local
 * SMTP server: search → preview → download → register (verification link by e-mail) → apply for a
 * 有条件开放 dataset → the providing department approves in the console → an open-API call with the
 * society user's own key. Partly on a phone-sized screen. Screenshots in test-artifacts/open-*.png.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PETITION_PLAN } from '../../src/modules/demo/world-open.ts';
import { ADMIN_PASSWORDS } from '../helpers/api.ts';
import { launchBrowser, screenshot, signIn, watchErrors } from '../helpers/browser.ts';
import { startMailServer } from '../helpers/mail.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };
const EMAIL = 'wang.lei@example.cn';
const PASSWORD = 'Bohai-Bay-2026!';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('the open-data portal in the browser', () => {
  let server: TestServer;
  let browser: Browser;
  let smtp: Awaited<ReturnType<typeof startMailServer>>;

  beforeAll(async () => {
    smtp = await startMailServer();
    const port = await freePort();
    server = await startTestServer({
      PDX_PORT: String(port),
      PDX_PUBLIC_URL: `http://127.0.0.1:${port}`,
      PDX_DEMO: 'true',
      PDX_DEMO_PEOPLE: '1000',
      PDX_SMTP_HOST: '127.0.0.1',
      PDX_SMTP_PORT: String(smtp.port),
      PDX_ADMIN_PASSWORD: ADMIN_PASSWORDS.sysadmin,
      PDX_SECADMIN_PASSWORD: ADMIN_PASSWORDS.secadmin,
      PDX_AUDITOR_PASSWORD: ADMIN_PASSWORDS.auditor,
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
  });

  it('searches, previews, downloads, registers, applies, gets approved and calls the API', async () => {
    const url = server.url;
    const codeOf = async (q: string) =>
      ((await (await fetch(`${url}/api/v1/open/datasets?q=${encodeURIComponent(q)}`)).json()) as { items: { code: string }[] }).items[0]!.code;
    const tourism = await codeOf('锦州金秋');
    const enterprises = await codeOf('科技型企业');

    // 1. On a phone: the home page, then a search for 旅游.
    const phone = await browser.newPage({ viewport: PHONE, isMobile: true, hasTouch: true, acceptDownloads: true });
    const errors = watchErrors(phone);
    await phone.goto(`${url}/open`);
    await phone.getByTestId('portal-title').waitFor();
    await expect.poll(() => phone.getByTestId('home-newest').textContent()).toContain('锦州金秋文化旅游季活动');
    await screenshot(phone, 'open-01-home-phone');
    await phone.getByTestId('portal-search').locator('input').fill('旅游');
    await phone.getByTestId('portal-search').locator('input').press('Enter');
    await phone.getByTestId('result-count').waitFor();
    await phone.getByTestId(`dataset-card-${tourism}`).waitFor();
    await screenshot(phone, 'open-02-search-phone');

    // 2. The dataset page: metadata, the preview of the release's first rows.
    await phone.getByTestId(`dataset-link-${tourism}`).click();
    await expect.poll(() => phone.getByTestId('dataset-name').textContent()).toBe('锦州金秋文化旅游季活动');
    await expect.poll(() => phone.getByTestId('preview-table').locator('tbody tr').count()).toBeGreaterThan(5);
    expect(await phone.getByTestId('preview-table').textContent()).toContain('龙头礁风筝露营海洋文化节');
    await screenshot(phone, 'open-03-dataset-phone');

    // 3. Download the CSV: the release's 60 rows.
    const [download] = await Promise.all([phone.waitForEvent('download'), phone.getByTestId('download-csv').click()]);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    expect(csv.replace(/^\uFEFF/, '').split('\r\n')[0]).toContain('活动名称');
    expect(csv.trim().split('\r\n')).toHaveLength(61);

    // English one click away; Chinese first.
    await phone.getByTestId('portal-lang').click();
    await expect.poll(() => phone.getByTestId('portal-title').textContent()).toBe('Open Data Portal');
    expect(await phone.getByRole('tab', { name: 'Preview' }).count()).toBe(1);
    await screenshot(phone, 'open-03b-dataset-phone-en');

    // 4. Register; the verification link arrives by e-mail.
    const page = await browser.newPage({ viewport: DESKTOP });
    const pageErrors = watchErrors(page);
    await page.goto(`${url}/open/register`);
    await page.getByTestId('register-email').fill(EMAIL);
    await page.getByTestId('register-password').fill(PASSWORD);
    await page.getByTestId('register-name').fill('王磊');
    await page.getByTestId('register-submit').click();
    await page.getByTestId('mail-notice').waitFor();
    await screenshot(page, 'open-04-registered');
    await expect.poll(() => smtp.mails.filter((m) => m.to.includes(EMAIL)).length).toBe(1);
    const link = /(http:\/\/127\.0\.0\.1:\d+\/open\/verify\?token=[A-Za-z0-9_%-]+)/.exec(smtp.mails.find((m) => m.to.includes(EMAIL))!.text)![1]!;
    await page.goto(link);
    await expect.poll(() => page.getByTestId('verify-result').textContent()).toContain('邮箱已验证');

    // 5. Sign in and apply for the 有条件开放 enterprise list.
    await page.goto(`${url}/open/login`);
    await page.getByLabel('邮箱').fill(EMAIL);
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('portal-account').waitFor();
    await page.goto(`${url}/open/datasets/${enterprises}`);
    await page.getByTestId('apply').click();
    await page.getByTestId('apply-purpose').fill('辽宁科技型企业分布研究');
    await page.getByTestId('apply-intended-use').fill('按产业集群统计,结果用于学术论文,不再分发原始数据');
    await screenshot(page, 'open-05-apply');
    await page.getByTestId('apply-submit').click();
    await page.getByTestId('apply-done').waitFor();
    // The applicant is told when the department must answer: the time limit (15 days by default).
    const due = /\d{4}-\d{2}-\d{2}/.exec((await page.getByTestId('apply-done').textContent()) ?? '')?.[0];
    expect(due).toBeDefined();
    const [y, m, d] = due!.split('-').map(Number);
    expect(Math.round((Date.UTC(y!, m! - 1, d!) - Date.now()) / 86_400_000)).toBeGreaterThanOrEqual(14);
    expect(Math.round((Date.UTC(y!, m! - 1, d!) - Date.now()) / 86_400_000)).toBeLessThanOrEqual(16);

    // 6. 省科技厅's officer sees the application with its time limit and approves it with terms.
    const officer = await browser.newPage({ viewport: DESKTOP });
    const officerErrors = watchErrors(officer);
    await signIn(officer, url, 'kj-officer', server.demoAccounts!.find((a) => a.username === 'kj-officer')!.password);
    await officer.getByRole('menuitem', { name: '数据开放' }).click();
    await officer.getByRole('tab', { name: /申请审核/ }).click();
    const decide = officer.getByTestId(`decide-${enterprises}`);
    await expect.poll(() => decide.count()).toBe(2);
    // The officer sees the same answer date beside the application.
    expect(await officer.locator('tr.ant-table-row', { hasText: '辽宁科技型企业分布研究' }).textContent()).toContain(due!);
    await decide.last().click();
    await officer.getByTestId('decide-until').click();
    await officer.keyboard.type(`${new Date().getFullYear() + 1}-12-31`);
    await officer.keyboard.press('Enter');
    await officer.getByTestId('decide-conditions').fill('仅限学术研究,不得再分发');
    await screenshot(officer, 'open-06-approve');
    await officer.getByTestId('decide-submit').click();
    await expect.poll(() => decide.count()).toBe(1);

    // 7. The applicant sees the approval, creates an open-API key and calls the API with it.
    await page.goto(`${url}/open/account`);
    await expect.poll(() => page.getByTestId(`my-application-${enterprises}`).textContent()).toBe('已批准');
    expect(await page.locator('tr.ant-table-row', { has: page.getByTestId(`my-application-${enterprises}`) }).textContent()).toContain(due!);
    await page.getByRole('tab', { name: '接口密钥' }).click();
    await page.getByTestId('key-name').fill('企业分布研究');
    await page.getByTestId('new-key').click();
    const key = ((await page.getByTestId('key-value').textContent()) ?? '').trim();
    expect(key).toMatch(/^pdxo_/);
    await screenshot(page, 'open-07-key');
    const res = await fetch(`${url}/api/v1/open/datasets/${enterprises}/records?limit=5`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: Record<string, unknown>[] };
    expect(body.rows).toHaveLength(5);
    expect(Object.keys(body.rows[0]!)).not.toContain('法定代表人');
    // Without the approval's key the same call is refused.
    expect((await fetch(`${url}/api/v1/open/datasets/${enterprises}/records?limit=5`)).status).toBe(401);
    await page.goto(`${url}/open/datasets/${enterprises}`);
    await expect.poll(() => page.getByTestId('preview-table').locator('tbody tr').count()).toBeGreaterThan(0);
    await screenshot(page, 'open-08-approved-preview');

    // 8. A review with markup, shown after moderation, as text: nothing of it runs.
    const markup = '<img src=x onerror="window.__pdxXss=1"><b>很有用</b>';
    const societyCsrf = (await page.context().cookies()).find((c) => c.name === 'pdx_open_csrf')!.value;
    const posted = await page.request.post(`${url}/api/v1/open/datasets/${enterprises}/comments`, {
      data: { rating: 5, body: markup },
      headers: { 'x-csrf-token': societyCsrf },
    });
    expect(posted.status()).toBe(201);
    const commentId = ((await posted.json()) as { id: string }).id;
    const consoleCsrf = (await officer.context().cookies()).find((c) => c.name === 'pdx_csrf')!.value;
    const moderated = await officer.request.post(`${url}/api/v1/open/manage/comments/${commentId}/moderate`, {
      data: { approve: true },
      headers: { 'x-csrf-token': consoleCsrf },
    });
    expect(moderated.status()).toBe(204);
    await expect
      .poll(async () => {
        await page.goto(`${url}/open/datasets/${enterprises}`);
        await page.getByRole('tab', { name: /评价/ }).click();
        return page.getByText(markup, { exact: true }).count();
      })
      .toBe(1);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pdxXss?: number }).__pdxXss)).toBeUndefined();
    await screenshot(page, 'open-09-review-as-text');

    expect(errors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(officerErrors).toEqual([]);
  });

  it('refuses a person-level release that misses the thresholds, shows proposals with their loss, publishes one, exports the report and withdraws it', async () => {
    const url = server.url;
    const petitions = ((await (await fetch(`${url}/api/v1/open/datasets?q=${encodeURIComponent('信访事项')}`)).json()) as { items: { code: string }[] })
      .items[0]!.code;
    const officer = await browser.newPage({ viewport: DESKTOP, acceptDownloads: true });
    const errors = watchErrors(officer);
    await signIn(officer, url, 'xf-officer', server.demoAccounts!.find((a) => a.username === 'xf-officer')!.password);
    // A draft whose plan keeps the district and the exact day: far too identifying for k ≥ 5.
    const csrf = (await officer.context().cookies()).find((c) => c.name === 'pdx_csrf')!.value;
    const created = await officer.request.post(`${url}/api/v1/open/manage/releases`, { data: { dataset: petitions }, headers: { 'x-csrf-token': csrf } });
    expect(created.status()).toBe(201);
    const draft = (await created.json()) as { id: string; columns: { name: string; role: string; hierarchy: string; level: number }[] };
    // The demo's plan, but with the registration day kept as it is.
    const plan: typeof PETITION_PLAN = { ...PETITION_PLAN, 登记日期: { role: 'quasi', hierarchy: 'date', level: 0 } };
    const columns = draft.columns.map((c) => ({ ...c, ...plan[c.name] }));
    expect(
      (await officer.request.put(`${url}/api/v1/open/manage/releases/${draft.id}`, { data: { columns }, headers: { 'x-csrf-token': csrf } })).status(),
    ).toBe(200);

    await officer.goto(`${url}/opendata/releases/${draft.id}`);
    await officer.getByTestId('run-check').click();
    await expect.poll(() => officer.getByTestId('report-verdict').textContent()).toContain('未通过');
    expect(await officer.getByTestId('publish-release').isDisabled()).toBe(true);
    // Each proposal with its k, suppression and information loss.
    const proposals = officer.getByTestId('proposals');
    await expect.poll(() => proposals.locator('tbody tr.ant-table-row').count()).toBeGreaterThan(0);
    expect(await proposals.locator('thead').textContent()).toContain('信息损失');
    expect(await proposals.locator('tbody tr.ant-table-row').first().textContent()).toMatch(/\d+\.\d%/);
    await screenshot(officer, 'open-11-check-refused');
    await officer.getByTestId('apply-proposal-0').click();
    await officer.getByTestId('run-check').click();
    await expect.poll(() => officer.getByTestId('report-verdict').textContent()).toContain('通过：可以发布');
    await officer.getByTestId('publish-release').click();
    await expect.poll(() => officer.getByTestId('release-state').textContent()).toBe('已发布');
    await officer.getByTestId('snapshot-check').waitFor();

    // The report, exported as a file: the standards, the figures, the snapshot's own count.
    const [file] = await Promise.all([officer.waitForEvent('download'), officer.getByRole('button', { name: '导出报告' }).click()]);
    const report = JSON.parse(fs.readFileSync((await file.path())!, 'utf8')) as {
      standards: string[];
      passed: boolean;
      result: { k: number; risks: { prosecutor: unknown; journalist: unknown; marketer: unknown } };
      snapshot: { k: number };
    };
    expect(report.standards.join()).toContain('GB/T 42460');
    expect(report.passed).toBe(true);
    expect(report.result.k).toBeGreaterThanOrEqual(5);
    expect(report.snapshot.k).toBeGreaterThanOrEqual(5);
    expect(Object.keys(report.result.risks).sort()).toEqual(['journalist', 'marketer', 'prosecutor']);
    await screenshot(officer, 'open-12-published-report');
    expect((await fetch(`${url}/api/v1/open/datasets/${petitions}`)).status).toBe(200);

    // Withdrawn in the console: gone from the portal on the next request.
    await officer.getByTestId('withdraw-release').click();
    await officer.getByTestId('withdraw-reason').fill('发现登记日期未按月泛化');
    await officer
      .getByRole('dialog')
      .getByRole('button', { name: /确\s*定/ })
      .click();
    await expect.poll(() => officer.getByTestId('release-state').textContent()).not.toBe('已发布');
    expect((await fetch(`${url}/api/v1/open/datasets/${petitions}`)).status).toBe(404);
    expect((await fetch(`${url}/api/v1/open/datasets/${petitions}/download?format=csv`)).status).toBe(404);
    expect(errors).toEqual([]);
  });
});

describe('the portal without a mail server', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({});
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('says that the verification link went to the server log', async () => {
    const page = await browser.newPage({ viewport: PHONE, isMobile: true, hasTouch: true });
    const errors = watchErrors(page);
    await page.goto(`${server.url}/open/register`);
    await page.getByTestId('register-email').fill('zhao.min@example.cn');
    await page.getByTestId('register-password').fill(PASSWORD);
    await page.getByTestId('register-name').fill('赵敏');
    await page.getByTestId('register-submit').click();
    await expect.poll(() => page.getByTestId('mail-notice').textContent()).toContain('验证链接已写入服务器日志');
    await screenshot(page, 'open-10-registered-log');
    expect(errors).toEqual([]);
  });
});
