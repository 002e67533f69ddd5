/**
 * Free text in the console (issue 24 points 2 and 3), in Chromium: the review page shows a free-text
 * column's span types and masked example spans, never the text; the approval form starts a 3级 or 4级
 * text column as 文本去标识 (a 2级 one as 明文), and the approver grants it so.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSpans } from '../../src/modules/classify/text.ts';
import { generateDocuments } from '../corpus/documents.ts';
import { provisionWithPassword, type Client } from '../helpers/api.ts';
import { confirmDialog, type ConsoleWorld, screenshot, settled, signIn, startConsoleWorld, watchErrors } from '../helpers/browser.ts';
import type { TestServer } from '../helpers/server.ts';
import { uploadCsv } from '../share-helpers.ts';

/** 40 petitions: 事项内容 (IDs, names, phones, addresses: 4级), 回访记录 (names and phones only: 3级), 诉求说明 (no person: 2级). */
const petitions = generateDocuments(4242, 40)
  .text.split('\n\n')
  .filter((d) => d.trim())
  .map((d, i) => ({
    no: `XF2024${String(i + 1).padStart(6, '0')}`,
    content: d.replaceAll('\n', ' '),
    followUp: `经办人${['秦明辉', '冯秀云', '欧阳娜娜', '李建国'][i % 4]}已电话回访，联系电话1381234${String(5600 + i)}，群众表示满意。`,
    note: ['已转交属地街道办事处核实处理，要求7个工作日内回复。', '经调查，反映情况基本属实，已责令限期整改。'][i % 2]!,
  }));
const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
const csv =
  ['事项编号,事项内容,回访记录,诉求说明', ...petitions.map((p) => [p.no, quote(p.content), quote(p.followUp), quote(p.note)].join(','))].join('\n') + '\n';
/** Clear spans long enough that seeing one on a page can only mean it leaked. */
const leakable = [...new Set(petitions.flatMap((p) => [p.content, p.followUp].flatMap((t) => findSpans(t).map((s) => t.slice(s.start, s.end)))))].filter(
  (v) => v.length >= 6,
);

describe('console: free-text columns reviewed with masked spans and granted redacted, in Chromium', () => {
  let world: ConsoleWorld;
  let server: TestServer;
  let browser: Browser;
  let officer: Client;
  let consumer: Client;
  let code: string;
  let requestId: string;
  let page: Page;
  let errors: string[];
  const officerPassword = 'Xinfang-Officer-2026!';

  beforeAll(async () => {
    world = await startConsoleWorld();
    ({ server, browser } = world);
    const { admin, org } = world;
    const petitionsOrg = await org('省信访局', 'province', '210000');
    const civil = await org('朝阳市民政局', 'city', '211300');
    officer = await provisionWithPassword(server.app, admin, {
      username: 'xf-officer',
      displayName: '赵科长',
      orgId: petitionsOrg,
      roles: ['data_officer'],
      password: officerPassword,
    });
    consumer = await provisionWithPassword(server.app, admin, {
      username: 'zy-consumer',
      displayName: '李干事',
      orgId: civil,
      roles: ['consumer'],
      password: 'Chaoyang-Civil-2026!',
    });
    code = (await officer.call('POST', '/api/v1/datasets', { name: '信访事项登记', summary: '信访事项', share_type: 'conditional' })).json().code;
    await uploadCsv(officer, code, csv);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('the review page shows the span types and masked example spans of a free-text column, never its text', async () => {
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    errors = watchErrors(page);
    await signIn(page, server.url, 'xf-officer', officerPassword);
    await page.goto(`${server.url}/classify/${code}`);
    await expect.poll(() => page.getByTestId('review-title').textContent()).toBe('信访事项登记');
    await expect.poll(() => page.getByTestId('examples-事项内容').textContent()).toContain('*');
    const spanTypes = await page.getByTestId('text-事项内容').textContent();
    for (const type of ['身份证号', '姓名', '手机号']) expect(spanTypes).toContain(type);
    expect(await page.getByTestId('evidence-事项内容').textContent()).toContain('已扫描 40 条文本');
    await settled(page);
    await screenshot(page, 'redacted-01-review-free-text');
    const html = await page.content();
    expect(
      leakable.filter((v) => html.includes(v)),
      'clear spans on the review page',
    ).toEqual([]);
    expect(html).not.toContain(petitions[0]!.content.slice(0, 30));
    // Confirmed and published for the rest of the walk.
    expect((await officer.call('PUT', `/api/v1/datasets/${code}/classification`, { columns: [] })).statusCode).toBe(200);
    expect((await officer.call('POST', `/api/v1/datasets/${code}/publish`)).statusCode).toBe(200);
  });

  it('the approval form starts 3级 and 4级 text columns as 文本去标识, a 2级 one as 明文, and grants them so', async () => {
    const req = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: code,
      columns: ['事项编号', '事项内容', '回访记录', '诉求说明'],
      purpose: '信访事项督办',
      purposeCategory: 'administrative_duty',
      legalBasis: '《信访工作条例》',
      endDate: '2099-12-31',
    });
    expect(req.statusCode, req.body).toBe(201);
    requestId = req.json().id;
    const grades = Object.fromEntries(
      (await officer.call('GET', `/api/v1/share/requests/${requestId}`)).json().columnDetails.map((c: { name: string; grade: number }) => [c.name, c.grade]),
    );
    expect(grades).toMatchObject({ 事项内容: 4, 回访记录: 3, 诉求说明: 2 });

    await page.goto(`${server.url}/sharing/requests/${requestId}`);
    await expect.poll(() => page.getByTestId('approval-form').count()).toBe(1);
    const chosen = (column: string) => page.getByTestId(`mode-${column}`).locator('.ant-radio-button-wrapper-checked').textContent();
    await expect.poll(() => chosen('事项内容')).toBe('文本去标识');
    expect(await page.getByTestId('approval-form').textContent()).toContain('3 级、4 级自由文本去标识');
    expect(await chosen('回访记录')).toBe('文本去标识');
    expect(await chosen('诉求说明')).toBe('明文');
    await settled(page);
    await screenshot(page, 'redacted-02-approval-form-defaults');
    await page.getByTestId('approve').click();
    await expect.poll(() => page.getByTestId('approve-summary').textContent()).toMatch(/事项内容\s*文本去标识/);
    expect((await confirmDialog(page, '批准并提交安全审核', { answer: '/approve' }))?.status()).toBe(200);
    await expect.poll(() => page.getByTestId('detail-state').textContent()).toBe('待安全审核');
    const { terms } = (await officer.call('GET', `/api/v1/share/requests/${requestId}`)).json();
    const modes = Object.fromEntries(terms.columns.map((c: { name: string; mode: string }) => [c.name, c.mode]));
    expect(modes).toMatchObject({ 事项内容: 'redacted', 回访记录: 'redacted', 诉求说明: 'clear' });
    expect(errors).toEqual([]);
  });
});
