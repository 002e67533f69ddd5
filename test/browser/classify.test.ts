import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peopleCsv } from '../fixtures/people.ts';
import { ADMIN_PASSWORDS, loginClient, multipart, waitForJob, type Client } from '../helpers/api.ts';
import { confirmDialog, type ConsoleWorld, screenshot, settled, signIn, startConsoleWorld, watchErrors } from '../helpers/browser.ts';
import type { TestServer } from '../helpers/server.ts';

describe('console: classification review and the 重要数据 queue in Chromium', () => {
  let world: ConsoleWorld;
  let server: TestServer;
  let browser: Browser;
  let officer: Client;
  let secadmin: Client;
  let code: string;
  const officerPassword = 'Hunnan-Officer-2026!';

  beforeAll(async () => {
    world = await startConsoleWorld();
    ({ server, browser } = world);
    const { admin, org } = world;
    const user = await admin.call('POST', '/api/v1/users', {
      username: 'ga-officer',
      displayName: '王科长',
      orgId: await org('省公安厅', 'province', '210000'),
      roles: ['data_officer'],
    });
    const first = await loginClient(server.app, 'ga-officer', user.json().password);
    await first.call('POST', '/api/v1/auth/password', { currentPassword: user.json().password, newPassword: officerPassword });
    officer = await loginClient(server.app, 'ga-officer', officerPassword);
    secadmin = await loginClient(server.app, 'secadmin', ADMIN_PASSWORDS.secadmin);

    code = (await officer.call('POST', '/api/v1/datasets', { name: '户籍人口信息', summary: '户籍人口基本信息', domain: '公共安全' })).json().code;
    const { body, contentType } = multipart('户籍人口.csv', Buffer.from(peopleCsv(200)));
    const upload = await officer.call('POST', `/api/v1/datasets/${code}/versions`, body, { 'content-type': contentType });
    expect((await waitForJob(officer, upload.json().jobId)).state).toBe('succeeded');
  });
  afterAll(async () => {
    await world?.close();
  });

  it('an officer reviews the classification, overrides one column with a reason, and can then publish', async () => {
    const refused = await officer.call('POST', `/api/v1/datasets/${code}/publish`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('classification_review_required');

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = watchErrors(page);
    await signIn(page, server.url, 'ga-officer', officerPassword);
    await page.getByRole('menuitem', { name: '分类分级' }).click();
    await expect.poll(() => page.getByRole('cell', { name: /户籍人口信息/ }).count()).toBe(1);
    expect(await page.getByTestId('review-state').first().textContent()).toBe('待复核');
    await settled(page);
    await screenshot(page, 'classify-01-officer-list');

    await page.getByTestId(`review-${code}`).click();
    await expect.poll(() => page.getByTestId('review-title').textContent()).toBe('户籍人口信息');
    await expect.poll(() => page.getByTestId('examples-身份证号').textContent()).toMatch(/\d{3}\*{11}\d{3}[\dX]/);
    expect(await page.getByTestId('evidence-身份证号').textContent()).toContain('匹配 100%');
    // A 2级 column's samples are shown as they are (city names), not as ***.
    expect(await page.getByTestId('examples-户籍地').textContent()).toMatch(/[\u4e00-\u9fff]{2,3}市/);
    expect(await page.getByTestId('examples-户籍地').textContent()).not.toContain('***');
    expect(await page.getByTestId('effective-grade').textContent()).toBe('4级');
    await screenshot(page, 'classify-02-review-unreviewed');

    // Override 户籍地 (nothing recognised, 2级) to 3级: without a reason the console refuses.
    await page.getByTestId('grade-户籍地').getByText('3级').click();
    await page.getByTestId('confirm-review').click();
    await expect.poll(() => page.getByText('请为修改的信息项填写理由').count()).toBeGreaterThan(0);
    await page.getByTestId('reason-户籍地').fill('户籍地与姓名结合可识别个人,按 3 级保护');
    await page.getByTestId('confirm-review').click();
    await expect.poll(() => page.getByTestId('review-state').textContent()).toBe('已确认');
    await expect.poll(() => page.getByText('已修改').count()).toBe(1);
    await screenshot(page, 'classify-03-review-confirmed');

    const view = (await officer.call('GET', `/api/v1/datasets/${code}/classification`)).json();
    expect(view.columns.find((c: { name: string }) => c.name === '户籍地')).toMatchObject({
      effectiveGrade: 3,
      overridden: true,
      review: { reason: '户籍地与姓名结合可识别个人,按 3 级保护' },
    });
    expect((await officer.call('POST', `/api/v1/datasets/${code}/publish`)).statusCode).toBe(200);

    // The same page in English.
    await page.getByTestId('lang-switch').click();
    await expect.poll(() => page.getByTestId('review-state').textContent()).toBe('Confirmed');
    await screenshot(page, 'classify-04-review-en');
    await page.getByTestId('lang-switch').click();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the secadmin sees the 重要数据 candidate under a lowered threshold and decides it', async () => {
    const policy = (await secadmin.call('GET', '/api/v1/classification/policy')).json();
    expect((await secadmin.call('PUT', '/api/v1/classification/policy', { ...policy, importantPersonThreshold: 100 })).statusCode).toBe(200);

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = watchErrors(page);
    await signIn(page, server.url, 'secadmin', ADMIN_PASSWORDS.secadmin);
    await page.getByRole('menuitem', { name: '分类分级' }).click();
    await expect.poll(() => page.getByTestId(`reasons-${code}`).textContent()).toContain('200');
    await settled(page);
    await screenshot(page, 'classify-05-candidates');

    await page.getByTestId(`decide-${code}`).click();
    await page.getByRole('dialog').getByTestId('decision-reason').fill('涉及全省户籍人口,认定为重要数据');
    expect((await confirmDialog(page, /确\s*定/, { answer: '/decision' }))?.status()).toBe(200);
    await expect.poll(() => page.getByTestId(`reasons-${code}`).count()).toBe(0);
    await page.getByTestId('show-decided').click();
    await expect.poll(() => page.getByTestId(`reasons-${code}`).count()).toBe(1);
    await expect.poll(() => page.getByText('涉及全省户籍人口,认定为重要数据').count()).toBe(1);
    await settled(page);
    await screenshot(page, 'classify-06-decided');

    await page.getByRole('tab', { name: '分类分级策略' }).click();
    await expect.poll(() => page.getByTestId('policy-threshold').inputValue()).toBe('100');
    // An extra 重要数据 rule added in the console is stored in the policy.
    await page.getByRole('button', { name: '添加规则' }).click();
    await page.getByPlaceholder('规则标识').fill('household');
    await page.getByPlaceholder('说明').fill('户籍类数据');
    await page.getByPlaceholder('列名匹配（正则）').fill('户籍');
    await page.getByTestId('policy-save').click();
    await expect.poll(() => page.getByText('策略已保存').count()).toBe(1);
    await screenshot(page, 'classify-07-policy');
    const saved = (await secadmin.call('GET', '/api/v1/classification/policy')).json();
    expect(saved).toMatchObject({ importantPersonThreshold: 100, extraRules: [{ id: 'household', description: '户籍类数据', headerPattern: '户籍' }] });

    const view = (await officer.call('GET', `/api/v1/datasets/${code}/classification`)).json();
    expect(view).toMatchObject({ level: 'important', protection: { grade: 4 } });
    expect(errors).toEqual([]);
    await page.close();
  });
});
