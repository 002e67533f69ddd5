import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD_ENV, ADMIN_PASSWORDS } from '../helpers/api.ts';
import { launchBrowser, screenshot, signIn, watchErrors } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { httpLogin, sessionHeaders } from '../helpers/http.ts';

const DATASET = '210000-000001';

describe('auditor console in Chromium: chain status, search, proofs, export, access history', () => {
  let server: TestServer;
  let browser: Browser;
  let orgId: string;
  let signedSize: number;

  beforeAll(async () => {
    server = await startTestServer(ADMIN_PASSWORD_ENV);
    browser = await launchBrowser();

    // Events to audit: two failed sign-ins, a sysadmin sign-in, and that sysadmin denied the audit log.
    expect((await httpLogin(server.url, 'ghost', 'Whatever-2026')).status).toBe(401);
    expect((await httpLogin(server.url, 'sysadmin', 'not-the-password')).status).toBe(401);
    const sysadmin = await sessionHeaders(server.url, 'sysadmin', ADMIN_PASSWORDS.sysadmin);
    const orgs = (await (await fetch(`${server.url}/api/v1/orgs`, { headers: { cookie: sysadmin.cookie } })).json()) as { items: { id: string }[] };
    orgId = orgs.items[0]!.id;
    // A sysadmin gets nothing from the audit API (三员分立), and each refusal is itself recorded.
    for (const path of ['/audit/records', '/audit/verify', `/audit/access-history?dataset=${DATASET}`, '/audit/export?format=json', '/audit/proof/1']) {
      const res = await fetch(`${server.url}/api/v1${path}`, { headers: { cookie: sysadmin.cookie } });
      expect(res.status, path).toBe(403);
      expect(await res.text()).not.toContain('"seq"');
    }

    // Data responses, as the share module records them.
    const { audit } = server.platform.services;
    const actor = { username: 'zy-minzheng', orgId, roles: ['consumer'] };
    await audit.record({
      action: 'data.read',
      result: 'success',
      actor,
      dataset: DATASET,
      details: {
        columns: [
          { name: '身份证号', mode: 'pseudonym' },
          { name: '姓名', mode: 'masked' },
        ],
        rowCount: 10,
        purpose: '低保资格核验',
      },
      requestId: 'req-dibao-1',
      ip: '10.2.3.4',
    });
    await audit.record({
      action: 'data.read',
      result: 'success',
      actor,
      dataset: DATASET,
      details: { columns: [{ name: '姓名', mode: 'masked' }], rowCount: 3, purpose: '人口统计' },
    });
    // A signed head now, rather than waiting for the checkpoint interval.
    signedSize = (await audit.checkpoint())!.treeSize;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('lets the auditor check the chain, find failed sign-ins with proofs, export them and trace reads of 身份证号', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const errors = watchErrors(page);
    await signIn(page, server.url, 'auditor', ADMIN_PASSWORDS.auditor);
    await expect.poll(() => page.getByTestId('user-menu').textContent()).toContain('审计管理员');
    await page.getByRole('menuitem', { name: '审计日志' }).click();

    // Chain status: the server recomputed the chain and the signed heads.
    await expect.poll(() => page.getByTestId('chain-verdict').textContent()).toBe('审计链完整');
    expect(Number(await page.getByTestId('head-tree-size').textContent())).toBeGreaterThanOrEqual(signedSize);
    await expect.poll(() => page.locator('[data-testid="audit-records"] tbody tr.ant-table-row').count()).toBeGreaterThan(5);
    await screenshot(page, 'audit-01-search');

    // The witness to keep outside pdx: the button downloads a head signed now.
    const witnessDownload = page.waitForEvent('download');
    await page.getByTestId('chain-witness').click();
    const witness = JSON.parse(fs.readFileSync((await (await witnessDownload).path())!, 'utf8')) as { format: string; head: { treeSize: number } };
    expect(witness.format).toBe('pdx-audit-witness/v1');
    expect(witness.head.treeSize).toBeGreaterThanOrEqual(signedSize);

    // Search: failed sign-ins.
    await page.getByTestId('audit-filters').getByRole('combobox', { name: /^操作/ }).click();
    // Options read as words; the recorded code is the tooltip and can still be typed.
    await page.keyboard.type('auth.login');
    const loginOption = page.getByTitle('auth.login', { exact: true });
    expect(await loginOption.textContent()).toBe('登录');
    await loginOption.click();
    await page.getByTestId('audit-filters').getByRole('combobox', { name: /^结果/ }).click();
    await page.getByTitle('失败').click();
    await page.getByTestId('audit-search').click();
    const rows = page.locator('[data-testid="audit-records"] tbody tr.ant-table-row');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.allTextContents()).toEqual([expect.stringContaining('sysadmin'), expect.stringContaining('ghost')]);
    for (const text of await rows.allTextContents()) expect(text).toContain('失败');
    await screenshot(page, 'audit-02-failed-logins');

    // A record with every field and its inclusion proof, checked in the browser.
    await rows.filter({ hasText: 'ghost' }).click();
    const drawer = page.getByRole('dialog');
    await expect.poll(() => drawer.getByTestId('record-details').textContent()).toContain('unknown_user');
    for (const check of ['audit.check.recordHash', 'audit.check.inclusion', 'audit.check.signature']) {
      await expect.poll(() => drawer.getByTestId(`check-${check}`).getAttribute('data-check')).toBe('ok');
    }
    expect(await drawer.getByTestId('record-hash').textContent()).toMatch(/^[0-9a-f]{64}$/);
    await screenshot(page, 'audit-03-record-proof');
    await page.keyboard.press('Escape');

    // The browser's checks fail on evidence altered in transit: a changed record, a changed head.
    await page.route('**/api/v1/audit/proof/*', async (route) => {
      const proof = (await (await route.fetch()).json()) as { record: { details: Record<string, unknown> }; head: { timestamp: string } };
      if (proof.record.details.reason === 'unknown_user') proof.record.details.reason = 'bad_password';
      else proof.head.timestamp = '2020-01-01T00:00:00.000Z';
      await route.fulfill({ json: proof });
    });
    await rows.filter({ hasText: 'ghost' }).click();
    await expect.poll(() => drawer.getByTestId('check-audit.check.recordHash').getAttribute('data-check')).toBe('bad');
    expect(await drawer.getByTestId('check-audit.check.inclusion').getAttribute('data-check')).toBe('bad');
    await expect.poll(() => drawer.getByTestId('proof-verdict').textContent()).toContain('未通过');
    await screenshot(page, 'audit-03b-record-tampered');
    await page.keyboard.press('Escape');
    await rows.filter({ hasText: 'sysadmin' }).click();
    await expect.poll(() => drawer.getByTestId('check-audit.check.signature').getAttribute('data-check')).toBe('bad');
    expect(await drawer.getByTestId('check-audit.check.recordHash').getAttribute('data-check')).toBe('ok');
    await page.keyboard.press('Escape');
    await page.unroute('**/api/v1/audit/proof/*');

    // JSON export of the selection, with one proof per record under one signed head.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    expect(download.suggestedFilename()).toMatch(/^pdx-audit-.*\.json$/);
    const exported = JSON.parse(fs.readFileSync((await download.path())!, 'utf8')) as {
      format: string;
      head: { treeSize: number };
      records: { record: { action: string; result: string; actorUsername: string }; proof: { auditPath: string[] } }[];
    };
    expect(exported.format).toBe('pdx-audit-export/v1');
    expect(exported.records.map((r) => [r.record.action, r.record.result, r.record.actorUsername])).toEqual([
      ['auth.login', 'failure', 'ghost'],
      ['auth.login', 'failure', 'sysadmin'],
    ]);
    for (const r of exported.records) expect(r.proof.auditPath.length).toBeGreaterThan(0);
    // The same selection as CSV for a spreadsheet: BOM, header, one line per record.
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    expect(csv.suggestedFilename()).toMatch(/^pdx-audit-.*\.csv$/);
    const lines = fs
      .readFileSync((await csv.path())!, 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]!.startsWith('\uFEFFseq,')).toBe(true);
    expect(lines.slice(1).map((l) => (l.includes('ghost') ? 'ghost' : l.includes('sysadmin') ? 'sysadmin' : l))).toEqual(['ghost', 'sysadmin']);

    // Access history: who read the 身份证号 column of the dataset this month.
    await page.getByRole('tab', { name: '数据访问追溯' }).click();
    await page.getByTestId('access-form').getByLabel('数据资源').fill(DATASET);
    await page.getByTestId('access-form').getByLabel('信息项').fill('身份证号');
    await page.getByTestId('access-search').click();
    const entries = page.locator('[data-testid="access-entries"] tbody tr.ant-table-row');
    await expect.poll(() => entries.count()).toBe(1);
    const entry = (await entries.textContent()) ?? '';
    for (const text of ['zy-minzheng', '身份证号 · 假名化', '低保资格核验', '10.2.3.4']) expect(entry).toContain(text);
    expect(entry).not.toContain('姓名');
    const summary = page.locator('[data-testid="access-summary"] tbody tr.ant-table-row');
    expect(await summary.count()).toBe(1);
    expect(await summary.textContent()).toContain('zy-minzheng');
    await expect.poll(() => page.locator('[data-testid="access-entries"] .ant-spin-blur').count()).toBe(0);
    await screenshot(page, 'audit-04-access-history');
    // Without a column: both reads of the dataset.
    await page.getByTestId('access-form').getByLabel('信息项').fill('');
    await page.getByTestId('access-search').click();
    await expect.poll(() => entries.count()).toBe(2);

    // English.
    await page.getByTestId('lang-switch').click();
    await page.getByRole('tab', { name: 'Audit search' }).click();
    await expect.poll(() => page.getByTestId('chain-verdict').textContent()).toBe('Chain intact');
    await screenshot(page, 'audit-05-search-en');
    await page.getByTestId('lang-switch').click();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('offers a sysadmin no audit log, in the menu or at its address', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page, server.url, 'sysadmin', ADMIN_PASSWORDS.sysadmin);
    await expect.poll(() => page.getByTestId('user-menu').textContent()).toContain('系统管理员');
    expect(await page.getByRole('menuitem', { name: '审计日志' }).count()).toBe(0);
    await page.goto(`${server.url}/audit`);
    await expect.poll(() => page.getByText('页面不存在').count()).toBe(1);
    expect(await page.getByTestId('chain-status').count()).toBe(0);
    expect(await page.evaluate(() => fetch('/api/v1/audit/records').then((r) => r.status))).toBe(403);
    await screenshot(page, 'audit-06-sysadmin-no-audit');
    await page.close();
  });
});
