/**
 * 数据回流 and 供需对接 in the console (issue 20 §3, §4), in Chromium: the provider's officer sets up a
 * return flow with its column modes, the security administrator approves it and reads per city what
 * was delivered, the officer pauses it; a department publishes a data need, the authority assigns it,
 * the department answers with a dataset, the owner accepts. Needs the built console (web/dist).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORDS, provisionWithPassword, type Client } from '../helpers/api.ts';
import { choose, confirmDialog, type ConsoleWorld, screenshot, settled, signIn, startConsoleWorld, watchErrors } from '../helpers/browser.ts';
import type { TestServer } from '../helpers/server.ts';
import { publishCsv } from '../share-helpers.ts';

const CSV = ['姓名,区划代码,人数', '张明华,211300,3', '李建国,211302,2', '赵德胜,210700,5'].join('\n');

describe.sequential('console: 数据回流 and 供需对接 in Chromium', () => {
  let world: ConsoleWorld;
  let server: TestServer;
  let browser: Browser;
  let officer: Client;
  let consumer: Client;
  let code: string;
  let police: string;
  const password = 'Duties-Console-2026!';

  beforeAll(async () => {
    world = await startConsoleWorld();
    ({ server, browser } = world);
    const { admin, org } = world;
    police = await org('省公安厅', 'province', '210000');
    const civil = await org('朝阳市民政局', 'city', '211300');
    await org('双塔区民政局', 'county', '211302');
    officer = await provisionWithPassword(server.app, admin, { username: 'ga-officer', orgId: police, roles: ['data_officer'], password });
    consumer = await provisionWithPassword(server.app, admin, { username: 'mz-consumer', orgId: civil, roles: ['consumer'], password });
    code = await publishCsv(officer, '户籍人口(回流)', CSV);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('the officer sets up a return flow, the secadmin approves and sees each city, the officer pauses it', async () => {
    const o = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = watchErrors(o);
    await signIn(o, server.url, 'ga-officer', password, '/duties/return-flows');
    await o.getByTestId('rf-dataset').fill(code);
    await o.getByTestId('rf-dataset').blur();
    await expect.poll(() => o.getByTestId('return-flow-form').getByText('人数').count()).toBeGreaterThan(0);
    await choose(o, 'rf-region-column', '区划代码');
    await screenshot(o, 'duties-00-return-flow-setup');
    await o.getByTestId('rf-submit').click();
    await expect.poll(() => o.getByTestId('return-flows').textContent()).toContain('待审批');

    const s = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const secErrors = watchErrors(s);
    await signIn(s, server.url, 'secadmin', ADMIN_PASSWORDS.secadmin, '/duties/return-flows');
    const approve = s.locator('[data-testid^="rf-approve-"]');
    await expect.poll(() => approve.count()).toBe(1);
    await approve.click();
    await expect.poll(() => s.getByTestId('return-flows').textContent()).toContain('回流中');
    await s.locator('[data-testid^="rf-view-"]').click();
    const deliveries = s.getByTestId('rf-deliveries');
    await expect.poll(() => deliveries.textContent()).toContain('双塔区民政局');
    expect(await deliveries.textContent()).toContain('朝阳市民政局');
    expect(await deliveries.textContent()).toContain('211302');
    await settled(s);
    await screenshot(s, 'duties-01-return-flow-deliveries');

    // The consumer of 朝阳 reads its region's rows under the flow's grant.
    const rows = await consumer.call('GET', `/api/v1/datasets/${code}/records`);
    expect((rows.json().rows as { 区划代码: unknown }[]).map((r) => String(r.区划代码)).sort()).toEqual(['211300', '211302']);

    await o.reload();
    await o.locator('[data-testid^="rf-pause-"]').click();
    await o.getByRole('dialog').getByRole('textbox').fill('数据核查中');
    await confirmDialog(o, /OK|确\s*定/, { answer: '/pause' });
    await expect.poll(() => o.getByTestId('return-flows').textContent()).toContain('已暂停');
    expect((await consumer.call('GET', `/api/v1/datasets/${code}/records`)).statusCode).toBe(403);
    expect(errors).toEqual([]);
    expect(secErrors).toEqual([]);
  });

  it('a need is published, assigned, answered with a dataset and accepted', async () => {
    const c = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = watchErrors(c);
    await signIn(c, server.url, 'mz-consumer', password, '/duties/demands');
    await c.getByTestId('dm-title').fill('低保对象户籍核验数据');
    await c.getByTestId('dm-purpose').fill('低保资格核验');
    await c.getByTestId('dm-fields').fill('姓名,区划代码');
    await c.getByTestId('dm-description').fill('核验低保申请人的户籍所在地');
    await c.getByTestId('dm-publish').click();
    await expect.poll(() => c.getByTestId('demands').textContent()).toContain('待分派');

    const s = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(s, server.url, 'secadmin', ADMIN_PASSWORDS.secadmin, '/duties/demands');
    await s.locator('[data-testid^="dm-assign-"]').click();
    await choose(s, 'dm-assign-org', '省公安厅');
    await confirmDialog(s, /OK|确\s*定/, { answer: '/assign' });
    await expect.poll(() => s.getByTestId('demands').textContent()).toContain('待答复');

    const id = ((await officer.call('GET', '/api/v1/duties/demands')).json().items as { id: string }[])[0]!.id;
    expect((await officer.call('POST', `/api/v1/duties/demands/${id}/answer`, { kind: 'linked', dataset: code, text: '可申请共享' })).statusCode).toBe(200);

    await c.reload();
    await expect.poll(() => c.getByTestId('demands').textContent()).toContain('关联已有资源');
    await settled(c);
    await screenshot(c, 'duties-02-demand-answered');
    await c.getByTestId(`dm-accept-${id}`).click();
    await expect.poll(() => c.getByTestId(`dm-state-${id}`).textContent()).toContain('已确认');
    expect(errors).toEqual([]);
  });
});
