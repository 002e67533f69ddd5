/**
 * What a user of a sharing platform expects besides the main journey (issue 22): the requester
 * withdraws a pending request (已撤回), the holder renews a grant (续期, through the same approvals),
 * in Chinese, at 1280×720 and on a 390-px phone.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORDS, loginClient, provisionWithPassword, type Client } from '../helpers/api.ts';
import { confirmDialog, type ConsoleWorld, screenshot, settled, signIn, startConsoleWorld, watchErrors } from '../helpers/browser.ts';
import { apiKey, publishPeople } from '../share-helpers.ts';
import type { TestServer } from '../helpers/server.ts';

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 720 },
  { name: 'phone', width: 390, height: 844 },
] as const;

describe.sequential('console: withdraw a request, renew a grant, in Chromium', () => {
  let world: ConsoleWorld;
  let server: TestServer;
  let browser: Browser;
  let officer: Client;
  let consumer: Client;
  let secadmin: Client;
  let code: string;
  let grantId: string;
  const pending: string[] = [];
  const consumerPassword = 'Chaoyang-Civil-2026!';

  const ask = async (columns: string[]) => {
    const r = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: code,
      columns,
      purpose: '低保资格核验',
      purposeCategory: 'social_assistance',
      legalBasis: '《社会救助暂行办法》第十一条',
      endDate: '2099-06-30',
      rowFilter: '户籍地=eq.朝阳市',
    });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().id as string;
  };

  beforeAll(async () => {
    world = await startConsoleWorld();
    ({ server, browser } = world);
    const { admin, org } = world;
    const police = await org('省公安厅', 'province', '210000');
    const civil = await org('朝阳市民政局', 'city', '211300');
    officer = await provisionWithPassword(server.app, admin, {
      username: 'ga-officer',
      displayName: '王科长',
      orgId: police,
      roles: ['data_officer'],
      password: 'Hunnan-Officer-2026!',
    });
    consumer = await provisionWithPassword(server.app, admin, {
      username: 'mz-consumer',
      displayName: '李干事',
      orgId: civil,
      roles: ['consumer'],
      password: consumerPassword,
    });
    secadmin = await loginClient(server.app, 'secadmin', ADMIN_PASSWORDS.secadmin);
    code = await publishPeople(officer, { name: '户籍人口信息', rows: 60, seed: 7 });
    const id = await ask(['姓名', '身份证号', '户籍地', '人口数']);
    const approved = await officer.call('POST', `/api/v1/share/requests/${id}/approve`, {
      columns: [
        { name: '姓名', mode: 'masked' },
        { name: '身份证号', mode: 'pseudonym' },
        { name: '户籍地', mode: 'clear' },
        { name: '人口数', mode: 'clear' },
      ],
      note: '同意，按最小必要原则脱敏',
    });
    expect(approved.json().state, approved.body).toBe('provider_approved');
    const sec = await secadmin.call('POST', `/api/v1/share/requests/${id}/security-approve`, { note: '同意' });
    grantId = sec.json().grantId as string;
    for (const _ of VIEWPORTS) pending.push(await ask(['姓名', '户籍地']));
  });
  afterAll(async () => {
    await world?.close();
  });

  for (const [i, vp] of VIEWPORTS.entries()) {
    it(`the requester withdraws a pending request (${vp.name})`, async () => {
      const page: Page = await browser.newPage({ viewport: { width: vp.width, height: vp.height } });
      const errors = watchErrors(page);
      await signIn(page, server.url, 'mz-consumer', consumerPassword, `/sharing/requests/${pending[i]}`);
      await expect.poll(() => page.getByTestId('detail-state').textContent()).toBe('待提供方审批');
      await page.getByTestId('withdraw').click();
      await page.getByTestId('withdraw-reason').fill('需求已变更，改用其他数据');
      await screenshot(page, `sharing-extras-${vp.name}-01-withdraw-dialog`);
      expect((await confirmDialog(page, '撤回申请', { answer: '/withdraw' }))?.status()).toBe(200);
      await expect.poll(() => page.getByTestId('detail-state').textContent()).toBe('已撤回');
      await expect.poll(() => page.getByTestId('withdrawn-note').textContent()).toContain('需求已变更');
      expect(await page.getByTestId('withdraw').count()).toBe(0);
      await settled(page);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await screenshot(page, `sharing-extras-${vp.name}-02-withdrawn`);
      expect(errors).toEqual([]);
      await page.close();
    });
  }

  it('the holder renews a grant; the provider and the secadmin approve; the new grant continues the old', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = watchErrors(page);
    await signIn(page, server.url, 'mz-consumer', consumerPassword, `/sharing/grants/${grantId}`);
    await page.getByTestId('renew').click();
    await expect.poll(() => page.getByTestId('renew-purpose').inputValue()).toBe('低保资格核验');
    await page.getByTestId('renew-purpose').fill('低保资格核验（2100 年度续期）');
    await screenshot(page, 'sharing-extras-desktop-03-renew-dialog');
    expect((await confirmDialog(page, '提交续期申请', { answer: '/renew' }))?.status()).toBe(201);
    await expect.poll(() => page.url()).toMatch(/\/sharing\/requests\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.getByTestId('detail-state').textContent()).toBe('待提供方审批');
    await expect.poll(() => page.getByTestId('renews-grant').count()).toBe(1);
    await settled(page);
    await screenshot(page, 'sharing-extras-desktop-04-renewal-request');
    const renewalId = page.url().split('/').pop()!;
    const approved = await officer.call('POST', `/api/v1/share/requests/${renewalId}/approve`, {
      columns: [
        { name: '姓名', mode: 'masked' },
        { name: '身份证号', mode: 'pseudonym' },
        { name: '户籍地', mode: 'clear' },
      ],
    });
    expect(approved.json().state).toBe('provider_approved');
    const sec = await secadmin.call('POST', `/api/v1/share/requests/${renewalId}/security-approve`, { note: '同意续期' });
    expect(sec.json().state).toBe('active');
    await page.goto(`${server.url}/sharing/grants/${grantId}`);
    await expect.poll(() => page.getByTestId('renewed-by').count()).toBe(1);
    // It ended because its renewal took effect: 已续期, not 已过期.
    expect(await page.getByTestId('grant-state').textContent()).toBe('已续期');
    expect(await page.getByTestId('renew').count()).toBe(0);
    await settled(page);
    await screenshot(page, 'sharing-extras-desktop-05-old-grant-renewed');
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the provider sees each grant's calls, rows and last use on the dataset page and the grant page", async () => {
    const key = await apiKey(consumer, '低保资格核验系统');
    const res = await fetch(`${server.url}/api/v1/datasets/${code}/records?limit=3`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const current = (await consumer.call('GET', `/api/v1/share/grants/${grantId}`)).json().supersededBy as string;
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = watchErrors(page);
    await signIn(page, server.url, 'ga-officer', 'Hunnan-Officer-2026!', `/catalog/${code}`);
    await expect.poll(() => page.getByTestId(`usage-calls-${current}`).textContent()).toBe('1');
    expect(await page.getByTestId(`usage-rows-${current}`).textContent()).toBe('3');
    await page.getByTestId('dataset-grants').scrollIntoViewIfNeeded();
    await settled(page);
    await screenshot(page, 'sharing-extras-desktop-06-dataset-grant-usage');
    await page.goto(`${server.url}/sharing/grants/${current}`);
    await expect.poll(() => page.getByTestId('grant-usage-rows').textContent()).toBe('3');
    await settled(page);
    await screenshot(page, 'sharing-extras-desktop-07-grant-usage');
    expect(errors).toEqual([]);
    await page.close();
  });

  for (const vp of VIEWPORTS) {
    it(`the 审批单 of a granted request prints requester, columns with grades and forms, rows in words and every decision (${vp.name})`, async () => {
      const page = await browser.newPage({ viewport: { width: vp.width, height: vp.height } });
      const errors = watchErrors(page);
      await signIn(page, server.url, 'ga-officer', 'Hunnan-Officer-2026!', `/sharing/grants/${grantId}`);
      await page.getByTestId('grant-print-form').click();
      await expect.poll(() => page.url()).toMatch(/\/sharing\/requests\/[0-9a-f-]{36}\/print$/);
      const sheet = page.getByTestId('print-sheet');
      await expect.poll(() => sheet.textContent()).toContain('政务数据共享申请审批单');
      const text = (await sheet.textContent()) ?? '';
      for (const part of [
        '朝阳市民政局',
        '李干事',
        '户籍人口信息',
        '低保资格核验',
        '《社会救助暂行办法》第十一条',
        '2099-06-30',
        '王科长',
        '同意，按最小必要原则脱敏',
        '安全管理员审核',
      ])
        expect(text).toContain(part);
      expect(await page.getByTestId('print-filter').textContent()).toBe('户籍地 等于 朝阳市');
      const columns = (await page.getByTestId('print-columns').textContent()) ?? '';
      expect(columns).toContain('身份证号4级假名化');
      expect(columns).toContain('姓名3级脱敏');
      expect(await page.getByTestId('print').textContent()).toContain('打印');
      await settled(page);
      if (vp.name === 'phone') expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await screenshot(page, `sharing-extras-${vp.name}-08-approval-form`);
      // On paper only the sheet: no menu, no header, no buttons.
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('.ant-layout-sider').isVisible()).toBe(false);
      expect(await page.getByTestId('print').isVisible()).toBe(false);
      expect(await sheet.isVisible()).toBe(true);
      await screenshot(page, `sharing-extras-${vp.name}-09-approval-form-print`);
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});
