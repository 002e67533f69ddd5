/**
 * 申请时限 and 数据异议与纠错 in the console (issue 20 §1, §2, §7), in Chromium: the clock on every
 * request in the list and on its page, the provider's one extension with a reason; a reader raises an
 * objection with an evidence file, every reader of the dataset page sees the row flagged (标注), the
 * provider's officer downloads the evidence and corrects the row, and the flag goes away. Needs the
 * built console (web/dist).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peopleCsv } from '../fixtures/people.ts';
import { ADMIN_PASSWORDS, loginClient, provisionWithPassword, type Client } from '../helpers/api.ts';
import { type ConsoleWorld, screenshot, settled, signIn, startConsoleWorld, watchErrors } from '../helpers/browser.ts';
import type { TestServer } from '../helpers/server.ts';
import { publishCsv } from '../share-helpers.ts';

describe.sequential('console: request clocks and objections in Chromium', () => {
  let world: ConsoleWorld;
  let server: TestServer;
  let browser: Browser;
  let officer: Client;
  let consumer: Client;
  let code: string;
  let pendingId: string;
  let row: number;
  const password = 'Objections-Console-2026!';
  const pages: { page: Page; errors: string[] }[] = [];

  const open = async (username: string, path: string) => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    pages.push({ page, errors: watchErrors(page) });
    await signIn(page, server.url, username, password, path);
    return page;
  };

  beforeAll(async () => {
    world = await startConsoleWorld();
    ({ server, browser } = world);
    const { admin, org } = world;
    const police = await org('省公安厅', 'province', '210000');
    const civil = await org('朝阳市民政局', 'city', '211300');
    const jz = await org('锦州市民政局', 'city', '210700');
    officer = await provisionWithPassword(server.app, admin, { username: 'ga-officer', orgId: police, roles: ['data_officer'], password });
    consumer = await provisionWithPassword(server.app, admin, { username: 'mz-consumer', orgId: civil, roles: ['consumer'], password });
    const jzConsumer = await provisionWithPassword(server.app, admin, { username: 'jz-consumer', orgId: jz, roles: ['consumer'], password });
    code = await publishCsv(officer, '户籍人口信息', peopleCsv(30, 3));
    const ask = (c: Client) =>
      c.call('POST', '/api/v1/share/requests', {
        dataset: code,
        columns: ['姓名', '户籍地'],
        purpose: '低保资格核验',
        purposeCategory: 'social_assistance',
        legalBasis: '《社会救助暂行办法》第十一条',
        endDate: '2099-06-30',
      });
    const granted = await ask(consumer);
    expect(
      (
        await officer.call('POST', `/api/v1/share/requests/${granted.json().id}/approve`, {
          columns: [
            { name: '姓名', mode: 'masked' },
            { name: '户籍地', mode: 'clear' },
          ],
        })
      ).json().state,
    ).toBe('active');
    // 锦州市民政局's request waits for the provider: already shared to others, 5 working days.
    pendingId = (await ask(jzConsumer)).json().id;
    row = ((await consumer.call('GET', `/api/v1/datasets/${code}/records?rowid=true&limit=5`)).json().rows as { _row: number }[])[2]!._row;
  });
  afterAll(async () => {
    await world?.close();
  });

  it('every request shows its clock; the provider extends the one waiting for it, with a reason', async () => {
    const j = await open('jz-consumer', '/sharing');
    const tag = j.getByTestId(`clock-${pendingId}`);
    await expect.poll(() => tag.getAttribute('data-state')).toMatch(/running|due_soon/);
    expect(await tag.textContent()).toMatch(/剩余 \d 个工作日/);
    await settled(j);
    await screenshot(j, 'objections-00-request-clock');

    const o = await open('ga-officer', `/sharing/requests/${pendingId}`);
    const card = o.getByTestId('clock-card');
    await expect.poll(() => card.textContent()).toContain('5 个工作日');
    expect(await card.textContent()).toContain('有条件共享');
    // The dialog's maximum is the security administrator's setting (limits.maxExtension), not a fixed 15.
    const secadmin = await loginClient(server.app, 'secadmin', ADMIN_PASSWORDS.secadmin);
    const settings = (await secadmin.call('GET', '/api/v1/duties/settings')).json();
    expect((await secadmin.call('PUT', '/api/v1/duties/settings', { ...settings, limits: { ...settings.limits, maxExtension: 4 } })).statusCode).toBe(200);
    await o.reload();
    await expect.poll(() => card.textContent()).toContain('5 个工作日');
    await o.getByTestId('extend').click();
    const modal = o.getByRole('dialog');
    await expect.poll(() => modal.locator('input[role="spinbutton"]').getAttribute('aria-valuemax')).toBe('4');
    await modal.locator('input[role="spinbutton"]').fill('3');
    await modal.locator('textarea').fill('需会同户籍部门核实数据范围');
    await modal.getByRole('button', { name: /确\s*定|OK/ }).click();
    await expect.poll(() => card.textContent()).toContain('已延期 3 个工作日：需会同户籍部门核实数据范围');
    expect(await card.textContent()).toContain('8 个工作日');
    expect(await o.getByTestId('extend').count()).toBe(0);
    await settled(o);
    await screenshot(o, 'objections-01-extended');
  });

  it('a reader objects with an evidence file; every reader of the dataset page sees the row flagged', async () => {
    const c = await open('mz-consumer', '/duties/objections');
    const form = c.getByTestId('raise-form');
    await form.locator('#dataset').fill(code);
    await form.locator('#row').fill(String(row));
    await form.locator('#column').fill('户籍地');
    await form.locator('#proposed').fill('北票市');
    await form.locator('#evidence').fill('户籍迁移证明(2026年第118号)');
    await c
      .getByTestId('raise-files')
      .locator('input[type=file]')
      .setInputFiles({ name: '户籍迁移证明.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 户籍迁移证明 第118号') });
    await c.getByTestId('raise').click();
    const table = c.getByTestId('objections');
    await expect.poll(() => table.textContent()).toContain('户籍迁移证明.pdf');
    expect(await table.textContent()).toContain('待核实');
    // The deadline in the console's one time format (i18n time), not the browser's toLocaleString().
    expect(await table.textContent()).toMatch(/\d{4}[-/]\d{1,2}[-/]\d{1,2} \d{2}:\d{2}:\d{2}/);
    // The form is empty again, its file list too.
    await expect.poll(() => c.getByTestId('raise-files').textContent()).not.toContain('户籍迁移证明.pdf');
    await settled(c);
    await screenshot(c, 'objections-02-raised');

    // 锦州市民政局 holds no grant and did not object: it still sees which row is under objection.
    const j = pages[0]!.page;
    await j.goto(`${server.url}/catalog/${code}`);
    const flag = j.getByTestId('flagged-rows');
    await expect.poll(() => flag.textContent()).toContain('1 行正在核实中');
    expect(await j.getByTestId(`flagged-row-${row}`).textContent()).toContain(`第 ${row} 行：户籍地`);
    expect(await flag.textContent()).not.toContain('北票市');
    await settled(j);
    await screenshot(j, 'objections-03-flagged');
  });

  it("the provider's officer downloads the evidence and corrects the row; the flag goes away", async () => {
    const o = pages[1]!.page;
    await o.goto(`${server.url}/duties/objections`);
    const table = o.getByTestId('objections');
    await expect.poll(() => table.textContent()).toContain('户籍迁移证明.pdf');
    const link = table.locator('a', { hasText: '户籍迁移证明.pdf' });
    const file = await o.request.get(new URL((await link.getAttribute('href'))!, server.url).toString());
    expect(file.status()).toBe(200);
    expect((await file.body()).toString()).toBe('%PDF-1.4 户籍迁移证明 第118号');
    await table.getByRole('button', { name: '核实并更正' }).click();
    await expect.poll(() => table.textContent()).toContain('已更正');
    await settled(o);
    await screenshot(o, 'objections-04-corrected');

    const j = pages[0]!.page;
    await j.reload();
    await expect.poll(() => j.getByTestId('flagged-rows').count()).toBe(0);
    for (const { errors } of pages) expect(errors).toEqual([]);
  });
});
