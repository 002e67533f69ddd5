/**
 * Journey step 6 seen live (issue 22 point 7) in Chromium, on a server with the demo world: once
 * 省公安厅 and the secadmin have approved 朝阳市民政局's request (step 4), the secadmin presses
 * 演示:重放夜间突发访问; the dialog says in sentences what happened, the key list of 朝阳市民政局 says
 * 已暂停, and every person's notifications name the dataset, the consumer and the key, with a link,
 * and no id. Needs the built console (web/dist: `npm run build`).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/http/access.ts';
import { ADMIN_PASSWORD_ENV, ADMIN_PASSWORDS } from '../helpers/api.ts';
import { confirmDialog, launchBrowser, screenshot, settled, signIn, signOut, watchErrors } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const DATASET_CODE = /\b\d{6}-\d{6}\b/;

describe('console: the night burst of journey step 6, replayed by the secadmin and seen by everyone concerned', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const password = (username: string) => server.demoAccounts!.find((a) => a.username === username)!.password;

  beforeAll(async () => {
    server = await startTestServer({ ...ADMIN_PASSWORD_ENV, PDX_DEMO: 'true', PDX_DEMO_PEOPLE: '2000' });
    // Step 4, as the journey's people do it (the console's approval forms have their own tests).
    const { identity, share } = server.platform.services;
    const as = async (username: string) => {
      const u = (await identity.find.userByName(username))!;
      return { principal: { kind: 'user', userId: u.id, username, orgId: u.org_id, roles: u.roles } as Principal, requestId: 'test' };
    };
    const [request] = (await share.share.list((await as('zy-minzheng')).principal, { state: 'submitted' })).filter((r) => r.dataset_name === '户籍人口信息');
    await share.share.approve(await as('ga-officer'), request!.id, {
      columns: [
        { name: '姓名', mode: 'masked' },
        { name: '身份证号', mode: 'pseudonym' },
        { name: '住址', mode: 'generalized', generalize: { address: 'district' } },
      ],
      rowFilter: '户籍地=eq.朝阳市',
    });
    await share.share.securityApprove(await as('secadmin'), request!.id, '同意');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    errors = watchErrors(page);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the secadmin replays it: the dialog says what happened in sentences, the alert is live', async () => {
    await signIn(page, server.url, 'secadmin', ADMIN_PASSWORDS.secadmin, '/secops');
    const button = page.getByTestId('demo-burst');
    await button.waitFor();
    await button.click();
    await confirmDialog(page, '开始重放', { answer: '/api/v1/demo/burst', within: page.locator('.ant-popover') });
    const result = page.getByTestId('demo-burst-result');
    await result.waitFor();
    const text = (await result.textContent()) ?? '';
    expect(text).toContain('朝阳市民政局的密钥「低保核验系统');
    expect(text).toContain('户籍人口信息');
    expect(text).toContain('告警：【较大】访问量达到基线的');
    expect(text).toContain('密钥状态：已暂停，待安全管理员解除');
    expect(text).toContain('首次报告截止');
    expect(text).not.toMatch(UUID);
    expect(text).not.toMatch(DATASET_CODE);
    await screenshot(page, 'demo-burst-01-secadmin-result');
    await page.getByRole('button', { name: /知道了|OK/ }).click();
    await page.goto(`${server.url}/secops?tab=alerts`);
    await settled(page);
    await expect.poll(() => page.locator('.ant-table-row').filter({ hasText: '访问量达到基线' }).count()).toBeGreaterThan(0);
    await screenshot(page, 'demo-burst-02-secadmin-alerts');
    await signOut(page);
  });

  it('朝阳市民政局 sees its key 已暂停 and a notice naming the key, the dataset and the reason', async () => {
    await signIn(page, server.url, 'zy-minzheng', password('zy-minzheng'), '/api-keys');
    await settled(page);
    await expect.poll(() => page.locator('.ant-table-row').filter({ hasText: '低保核验系统' }).first().textContent()).toContain('已暂停');
    await screenshot(page, 'demo-burst-03-consumer-keys');
    await page.goto(`${server.url}/sharing?tab=notifications`);
    const notice = page.getByTestId('notification').filter({ hasText: 'API 密钥「低保核验系统' }).first();
    await notice.waitFor();
    const said = (await notice.textContent()) ?? '';
    for (const part of ['已暂停，待安全管理员解除', '自动处置：访问量达到基线的', '（夜间）', '（数据资源：户籍人口信息）']) expect(said).toContain(part);
    const list = (await page.getByTestId('notification').allTextContents()).join('\n');
    expect(list).not.toMatch(UUID);
    expect(list).not.toMatch(DATASET_CODE);
    await screenshot(page, 'demo-burst-04-consumer-notifications');
    await signOut(page);
  });

  it('省公安厅’s officer is told which dataset and which consumer, in sentences with a link to the dataset', async () => {
    await signIn(page, server.url, 'ga-officer', password('ga-officer'), '/sharing?tab=notifications');
    const notice = page.getByTestId('notification').filter({ hasText: '访问量达到基线' }).first();
    await notice.waitFor();
    expect(await notice.textContent()).toContain('（数据资源：户籍人口信息；使用方：朝阳市民政局）');
    const list = (await page.getByTestId('notification').allTextContents()).join('\n');
    expect(list).not.toMatch(UUID);
    expect(list).not.toMatch(DATASET_CODE);
    // Every notice reads as a sentence about something named: the approvals of step 4 name both sides.
    expect(list).toContain('朝阳市民政局申请共享「户籍人口信息」');
    await screenshot(page, 'demo-burst-05-officer-notifications');
    // In English the same notices name the same subjects; on a phone they still read as sentences.
    await page.getByTestId('lang-switch').click();
    const en = page.getByTestId('notification').filter({ hasText: 'Volume' }).first();
    await expect.poll(() => en.textContent()).toContain('(dataset: 户籍人口信息; consumer: 朝阳市民政局)');
    expect((await page.getByTestId('notification').allTextContents()).join('\n')).toContain('朝阳市民政局 requests “户籍人口信息”');
    await screenshot(page, 'demo-burst-06-officer-notifications-en');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'demo-burst-07-officer-notifications-phone-en');
    await page.getByTestId('lang-switch').click();
    await page.setViewportSize({ width: 1440, height: 900 });
    await notice.getByTestId('notification-link').click();
    await page.waitForURL(/\/catalog\/\d{6}-\d{6}/);
    await expect.poll(() => page.textContent('body')).toContain('户籍人口信息');
    expect(errors).toEqual([]);
  });
});
