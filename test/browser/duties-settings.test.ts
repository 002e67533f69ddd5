/**
 * 时限与工作日历 and 部门履职统计 in the console (issue 20 §1, §7), in Chromium, on the demo world: the
 * security administrator changes a time limit and adds a holiday through the form (a date given twice
 * is refused by the server, its message beside the field), confirms, and a request made afterwards
 * runs on the new limit and around the holiday; the department tab counts the demo world's overdue
 * request against 省公安厅, in Chinese and English, at 1440×900 and on a 390×844 phone; a data officer
 * and a consumer see neither entry they may not use and get the console's 404 at its address.
 * Needs the built console (web/dist).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaDate, WorkCalendar } from '../../src/modules/duties/calendar.ts';
import { ADMIN_PASSWORD_ENV, ADMIN_PASSWORDS, loginClient, type Client } from '../helpers/api.ts';
import { animationsDone, confirmDialog, launchBrowser, screenshot, settled, signIn, watchErrors } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

interface Settings {
  limits: { unconditional: number };
  calendar: { date: string; kind: 'holiday' | 'workday'; name: string }[];
}
interface Department {
  orgName: string;
  overdueOpen: number;
  escalated: number;
  requests: number;
}

describe.sequential('console: 时限与日历 and 部门履职统计 in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let secadmin: Client;
  const password = (username: string) => server.demoAccounts!.find((a) => a.username === username)!.password;
  const pages: { page: Page; errors: string[] }[] = [];

  const open = async (username: string, secret: string, path: string, viewport = { width: 1440, height: 900 }) => {
    const page = await browser.newPage({ viewport });
    const errors = watchErrors(page);
    pages.push({ page, errors });
    await signIn(page, server.url, username, secret, path);
    return page;
  };
  /** No sideways scroll of the whole page (a table scrolls inside its own box). */
  const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  const menuItem = (page: Page, name: string) => page.getByRole('menuitem', { name });

  beforeAll(async () => {
    server = await startTestServer({ PDX_DEMO: 'true', PDX_DEMO_PEOPLE: '200', PDX_RATE_LIMIT: '100000', ...ADMIN_PASSWORD_ENV });
    browser = await launchBrowser();
    secadmin = await loginClient(server.app, 'secadmin', ADMIN_PASSWORDS.secadmin);
  });
  afterAll(async () => {
    for (const { errors } of pages) expect(errors).toEqual([]);
    await browser?.close();
    await server?.close();
  });

  it('the secadmin changes a limit and adds a holiday through the form; a new request runs on both', async () => {
    const before = (await secadmin.call('GET', '/api/v1/duties/settings')).json() as Settings;
    expect(before.limits.unconditional).toBe(2);
    // The second working day from today: inside the 3 working days of a request made now (or tomorrow).
    const holiday = new WorkCalendar(before.calendar).addWorkingDays(chinaDate(new Date()), 2);

    const s = await open('secadmin', ADMIN_PASSWORDS.secadmin, '/');
    await menuItem(s, '时限与日历').click();
    const limit = s.getByTestId('dset-limits-unconditional');
    await limit.waitFor();
    expect(await s.getByTestId('dset-limits-unconditional-state').textContent()).toBe('默认');
    expect(await s.getByTestId('dset-section-requests').textContent()).toContain('默认：2 个工作日');
    expect(await s.getByTestId('dset-section-security').textContent()).toContain('同安全审批通用时限（5 个工作日）');
    await settled(s);
    await screenshot(s, 'duties-settings-01-form');

    await limit.fill('3');
    await expect.poll(() => s.getByTestId('dset-limits-unconditional-state').textContent()).toBe('已调整');
    // A holiday, and the same date again by mistake.
    for (const [i, name] of ['防汛应急放假', '重复录入'].entries()) {
      await s.getByTestId('dset-cal-add').click();
      await s.getByTestId(`dset-cal-date-${i}`).click();
      await s.keyboard.type(holiday);
      await s.keyboard.press('Enter');
      await s.getByTestId(`dset-cal-name-${i}`).fill(name);
    }
    await s.getByTestId('dset-save').click();
    const refused = await confirmDialog(s, /保\s*存/, { answer: '/api/v1/duties/settings' });
    expect(refused!.status()).toBe(400);
    // The server's message beside the second date, and said at the top.
    const beside = s.getByTestId('dset-cal-row-1').locator('.ant-form-item-explain-error');
    await expect.poll(() => beside.textContent()).toBe(`与第 1 项日期相同（${holiday}）`);
    expect(await s.getByTestId('dset-refused').textContent()).toContain('calendar.1.date');
    expect(((await secadmin.call('GET', '/api/v1/duties/settings')).json() as Settings).limits.unconditional).toBe(2);
    await animationsDone(s);
    await screenshot(s, 'duties-settings-02-refused-by-server');

    await s.getByTestId('dset-cal-remove-1').click();
    await s.getByTestId('dset-save').click();
    const changes = s.getByTestId('dset-changes');
    await expect.poll(() => changes.textContent()).toContain('无条件共享：2 个工作日 → 3 个工作日');
    expect(await changes.textContent()).toContain(`新增放假：${holiday} 防汛应急放假`);
    expect(await changes.textContent()).not.toContain('重复录入');
    await animationsDone(s);
    await screenshot(s, 'duties-settings-03-confirm', { fullPage: false });
    const saved = await confirmDialog(s, /保\s*存/, { answer: '/api/v1/duties/settings' });
    expect(saved!.status()).toBe(200);
    await expect.poll(() => s.getByText('时限与日历设置已保存').count()).toBe(1);
    expect(await s.getByTestId('dset-refused').count()).toBe(0);

    // Through the API: the settings changed…
    const after = (await secadmin.call('GET', '/api/v1/duties/settings')).json() as Settings;
    expect(after.limits.unconditional).toBe(3);
    expect(after.calendar).toEqual([...before.calendar, { date: holiday, kind: 'holiday', name: '防汛应急放假' }]);
    // …and a request for 无条件共享 data made now gets 3 working days, the holiday not counted.
    const consumer = await loginClient(server.app, 'zy-minzheng', password('zy-minzheng'));
    const farmland = (
      (await consumer.call('GET', `/api/v1/datasets?q=${encodeURIComponent('耕地保护任务分解')}`)).json().items as { code: string; name: string }[]
    ).find((d) => d.name === '耕地保护任务分解')!;
    const made = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: farmland.code,
      columns: ['城市', '耕地保护任务（万亩）'],
      purpose: '耕地保护责任目标考核',
      purposeCategory: 'administrative_duty',
      legalBasis: '《中华人民共和国土地管理法》',
      endDate: '2099-06-30',
    });
    expect(made.statusCode, made.body).toBe(201);
    const request = made.json() as { createdAt: string; clock: { basis: string; current: { stage: string; limitDays: number; dueAt: string } } };
    expect(request.clock).toMatchObject({ basis: 'unconditional', current: { stage: 'provider', limitDays: 3 } });
    const start = new Date(request.createdAt);
    const due = new WorkCalendar(after.calendar).dueAt(start, 3);
    expect(new Date(request.clock.current.dueAt).toISOString()).toBe(due.toISOString());
    expect(due.getTime()).toBeGreaterThan(new WorkCalendar(before.calendar).dueAt(start, 3).getTime());

    // The form shows what was saved: the limit no longer the default, the year's list with the change.
    await expect.poll(() => s.getByTestId('dset-limits-unconditional-state').textContent()).toBe('已调整');
    if (holiday.startsWith(chinaDate(new Date()).slice(0, 4))) await expect.poll(() => s.getByTestId('dset-year-days').textContent()).toContain('防汛应急放假');
    await settled(s);
    await screenshot(s, 'duties-settings-04-saved');
  });

  it('the department tab counts the overdue demo request against 省公安厅, sortable, in English too', async () => {
    const counts = (await secadmin.call('GET', '/api/v1/duties/departments')).json().items as Department[];
    const police = counts.find((d) => d.orgName === '省公安厅')!;
    expect(police.overdueOpen).toBeGreaterThanOrEqual(1);
    expect(police.escalated).toBeGreaterThanOrEqual(1);

    const s = await open('secadmin', ADMIN_PASSWORDS.secadmin, '/duties/evaluation');
    await s.getByRole('tab', { name: '部门履职统计' }).click();
    const table = s.getByTestId('dept-table');
    const row = table.locator('tr.ant-table-row', { hasText: '省公安厅' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getByTestId('dept-overdueOpen').textContent()).toBe(String(police.overdueOpen));
    expect(await row.getByTestId('dept-escalated').textContent()).toBe(String(police.escalated));
    expect(await row.getByTestId('dept-requests').textContent()).toBe(String(police.requests));
    expect(await table.getByTestId('dept-org').count()).toBe(counts.length);
    // Sorted by overdue, most first: 省公安厅 leads (no department has more overdue requests in the demo world).
    await table.getByRole('columnheader', { name: '逾期未答复' }).click();
    await table.getByRole('columnheader', { name: '逾期未答复' }).click();
    await expect.poll(() => table.getByTestId('dept-org').first().textContent()).toBe(counts.reduce((a, b) => (b.overdueOpen > a.overdueOpen ? b : a)).orgName);
    await settled(s);
    await screenshot(s, 'duties-settings-05-departments');

    await s.getByTestId('lang-switch').click();
    await expect.poll(() => s.getByRole('tab', { name: 'Department performance' }).count()).toBe(1);
    const heads = await table.locator('thead').textContent();
    for (const head of ['Department', 'Requests', 'On time', 'Late', 'Overdue', 'Escalated', 'Extended']) expect(heads).toContain(head);
    expect(await s.getByText('Share requests per providing department').count()).toBe(1);
    expect(await menuItem(s, 'Time limits').count()).toBe(1);
    await screenshot(s, 'duties-settings-06-departments-en');
    await menuItem(s, 'Time limits').click();
    await expect.poll(() => s.getByTestId('dset-section-requests').textContent()).toContain('Default: 2 working days');
    expect(await s.getByRole('heading', { name: 'Time limits and working-day calendar' }).count()).toBe(1);
    await settled(s);
    await screenshot(s, 'duties-settings-07-form-en');
  });

  it('reads on a 390-px phone', async () => {
    const phone = { width: 390, height: 844 };
    const s = await open('secadmin', ADMIN_PASSWORDS.secadmin, '/duties/evaluation?tab=departments', phone);
    // One card per department, every count in it, the most overdue first.
    const cards = s.getByTestId('dept-card');
    await expect.poll(() => cards.count()).toBeGreaterThan(1);
    expect(await cards.first().getByTestId('dept-org').textContent()).toBe('省公安厅');
    const police = ((await secadmin.call('GET', '/api/v1/duties/departments')).json().items as Department[]).find((d) => d.orgName === '省公安厅')!;
    expect(await cards.first().getByTestId('dept-overdueOpen').textContent()).toBe(String(police.overdueOpen));
    expect(await cards.first().textContent()).toContain('逾期未答复');
    await settled(s);
    expect(await fitsWidth(s)).toBe(true);
    await screenshot(s, 'duties-settings-08-departments-phone');
    await s.goto(`${server.url}/duties/settings`);
    await s.getByTestId('dset-limits-unconditional').waitFor();
    await settled(s);
    expect(await fitsWidth(s)).toBe(true);
    await screenshot(s, 'duties-settings-09-form-phone');
  });

  it('a data officer and a consumer get no entry they may not use, and the console refuses the address', async () => {
    const officer = await open('ga-officer', password('ga-officer'), '/');
    expect(await menuItem(officer, '共享评价').count()).toBe(1);
    expect(await menuItem(officer, '时限与日历').count()).toBe(0);
    // A department's officer reads its own line only.
    await officer.goto(`${server.url}/duties/evaluation?tab=departments`);
    await expect.poll(() => officer.getByTestId('dept-org').allTextContents()).toEqual(['省公安厅']);
    expect(await officer.getByText('这是本部门的统计').count()).toBe(1);
    await officer.goto(`${server.url}/duties/settings`);
    await expect.poll(() => officer.getByText('页面不存在').count()).toBe(1);
    expect(await officer.getByTestId('dset-form').count()).toBe(0);
    expect(await officer.evaluate(() => fetch('/api/v1/duties/settings').then((r) => r.status))).toBe(403);
    await screenshot(officer, 'duties-settings-10-officer-refused');

    const consumer = await open('zy-minzheng', password('zy-minzheng'), '/');
    expect(await menuItem(consumer, '共享评价').count()).toBe(0);
    expect(await menuItem(consumer, '时限与日历').count()).toBe(0);
    for (const path of ['/duties/settings', '/duties/evaluation?tab=departments']) {
      await consumer.goto(`${server.url}${path}`);
      await expect.poll(() => consumer.getByText('页面不存在').count(), { message: path }).toBe(1);
    }
    expect(await consumer.getByTestId('dept-table').count()).toBe(0);
    expect(await consumer.evaluate(() => fetch('/api/v1/duties/departments').then((r) => r.status))).toBe(403);
  });
});
