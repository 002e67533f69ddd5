/**
 * The console pages a provincial official works in all day (issue 22), in Chromium: security and
 * audit pages speak in sentences (names, not ids; no action codes or JSON in what a person reads),
 * alerts offer their actions, charts name their series in the console language.
 * Needs the built console (web/dist: `node scripts/build-web.mjs`).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORDS } from '../helpers/api.ts';
import { animationsDone, asciiInChinese, confirmDialog, launchBrowser, screenshot, settled, signIn, watchErrors } from '../helpers/browser.ts';
import { startSecopsWorld, type SecopsWorld } from '../helpers/secops-world.ts';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const JSON_TEXT = /\{\s*"/;
/** An audit action code (auth.login, data.quota_exceeded, secops.contain …). */
const ACTION_CODE =
  /\b(auth|access|data|dataset|classification|share|grant|secops|user|org|apikey|audit|duties|open|telemetry|gateway|exchange|admin_change)\.[a-z_]+\b/;

/** What a person reads in `scope` (hidden text, tooltips and collapsed panels excluded). */
async function readable(page: Page, scope = page.locator('body')): Promise<string> {
  await settled(page);
  return scope.innerText();
}

/** A moment or a day in another format than the console's one (2026-12-04 14:51:20): 2026/12/4, 12/4/2026, 4 Dec 2026, AM/PM. */
const OTHER_DATE =
  /\b\d{4}\/\d{1,2}\/\d{1,2}\b|\b\d{1,2}\/\d{1,2}\/\d{4}\b|\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4}\b|\d:\d\d(:\d\d)? ?[AP]M\b/;

function speaksInSentences(text: string, where: string, lang: 'zh' | 'en' = 'zh'): void {
  expect(text, `${where}: an id`).not.toMatch(UUID);
  expect(text, `${where}: JSON`).not.toMatch(JSON_TEXT);
  expect(text, `${where}: an action code`).not.toMatch(ACTION_CODE);
  expect(text, `${where}: a date in another format`).not.toMatch(OTHER_DATE);
  if (lang === 'zh') expect(asciiInChinese(text), `${where}: ASCII punctuation in Chinese text`).toBeUndefined();
}

/**
 * Opens the audit page's time range picker: its weekdays and months are in the console language
 * (一 二 三 … and 1月 … in Chinese; Mo Tu … and Jan … in English), then closes it.
 */
async function pickerSpeaks(page: Page, lang: 'zh' | 'en', shot: string): Promise<void> {
  await page.getByPlaceholder(lang === 'zh' ? '开始日期' : 'Start date').click();
  const panel = page.locator('.ant-picker-dropdown:not(.ant-picker-dropdown-hidden)');
  await panel.locator('.ant-picker-content thead').first().waitFor();
  const weekdays = (await panel.locator('.ant-picker-content thead').first().innerText()).replace(/\s+/g, ' ').trim();
  if (lang === 'zh') expect(weekdays).toBe('一 二 三 四 五 六 日');
  else expect(weekdays).toMatch(/^Su Mo Tu We Th Fr Sa$/);
  await animationsDone(page);
  await screenshot(page, shot, { fullPage: false });
  // The month panel names the months.
  await panel.locator('.ant-picker-month-btn').first().click();
  const months = (await panel.locator('.ant-picker-month-panel .ant-picker-cell-inner').allInnerTexts()).join(' ');
  if (lang === 'zh') expect(months).toBe('1月 2月 3月 4月 5月 6月 7月 8月 9月 10月 11月 12月');
  else expect(months).toBe('Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec');
  await page.keyboard.press('Escape');
  await expect.poll(() => panel.count()).toBe(0);
}

describe('console pages in Chromium: sentences, not codes', () => {
  let world: SecopsWorld;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    world = await startSecopsWorld();
    url = world.url;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('names the key, organisation and dataset of an alert, offers 暂停密钥 / 暂停授权 / 关闭告警, and keeps codes in the technical details', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = watchErrors(page);
    await signIn(page, url, 'secadmin', ADMIN_PASSWORDS.secadmin);

    // 工作台 first: the secadmin's queues with their counts, each a link into the queue.
    const open = await world.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM secops_alerts WHERE state = 'open'`);
    const alerts = page.getByTestId('todo-openAlerts');
    await expect.poll(() => alerts.textContent()).toContain('未处理告警');
    expect(await alerts.textContent()).toContain(String(open[0]!.n));
    await expect.poll(() => page.getByTestId('todo-securityReviews').textContent()).toContain('待安全审核');
    await animationsDone(page);
    await screenshot(page, 'pages-00-workbench-secadmin');
    await alerts.click();
    await page.waitForURL(/\/secops\?tab=alerts/);
    const table = page.getByTestId('alerts-table');
    await expect.poll(() => table.textContent()).toContain('访问量达到基线');
    speaksInSentences(await readable(page), 'alerts');

    await table.getByText('访问量达到基线').first().click();
    const drawer = page.getByRole('dialog').first();
    await expect.poll(() => drawer.getByTestId('alert-summary').textContent()).toContain('朝阳市民政局的密钥「app」');
    const text = await readable(page, drawer);
    speaksInSentences(text, 'alert drawer');
    expect(text).not.toMatch(/API key [0-9a-f]{8}/);
    expect(text).toContain('户籍人口信息');
    expect(text).toContain('读取行数');
    for (const action of ['暂停密钥', '暂停授权', '关闭告警']) await expect.poll(() => drawer.getByRole('button', { name: action }).count()).toBe(1);
    // The codes are there for whoever opens the technical details.
    await drawer.getByText('技术信息').click();
    await expect.poll(() => drawer.getByTestId('alert-raw').textContent()).toMatch(/"subject": "key:/);
    await animationsDone(page);
    await screenshot(page, 'pages-01-alert-zh');

    // 暂停授权 from the alert: asked once, then listed under 处置措施.
    await drawer.getByRole('button', { name: '暂停授权' }).click();
    const suspended = await confirmDialog(page, /确\s*定|OK/, { answer: '/secops/containments', within: page.locator('.ant-popconfirm') });
    expect(suspended?.status()).toBe(201);
    const [grant] = await world.db.query<{ kind: string }>(
      `SELECT kind FROM secops_containments WHERE kind = 'suspend_grant' AND target_id = $1 AND lifted_at IS NULL`,
      [world.grant.grantId],
    );
    expect(grant?.kind).toBe('suspend_grant');

    // The incident opened from the alert: its timeline in words.
    await drawer.getByRole('button', { name: '查看事件' }).click();
    const incident = page.getByRole('dialog').last();
    await expect.poll(() => incident.textContent()).toContain('立案');
    const incidentText = await readable(page, incident);
    speaksInSentences(incidentText, 'incident');
    expect(incidentText).not.toMatch(/\bopened\b|\baction\b/);
    expect(incidentText).toContain('平台自动');
    // The containment in its timeline names the key after a full-width colon.
    expect(incidentText).toContain('暂停 API 密钥：app');
    await animationsDone(page);
    await screenshot(page, 'pages-02-incident-zh');

    // English: the same alert in English words.
    await page.evaluate(() => localStorage.setItem('pdx.lang', 'en'));
    await page.goto(`${url}/secops?tab=alerts`);
    await page.getByTestId('alerts-table').getByText('Volume').first().click();
    const en = page.getByRole('dialog').first();
    await expect.poll(() => en.getByTestId('alert-summary').textContent()).toContain('the key “app” of 朝阳市民政局');
    speaksInSentences(await readable(page, en), 'alert drawer (en)', 'en');
    for (const action of ['Suspend key', 'Suspend grant', 'Close alert']) await expect.poll(() => en.getByRole('button', { name: action }).count()).toBe(1);
    await animationsDone(page);
    await screenshot(page, 'pages-03-alert-en');
    // Its incident's timeline: the platform's entries in English too, not the Chinese they were once stored as.
    await en.getByRole('button', { name: 'View incident' }).click();
    const enIncident = page.getByRole('dialog').last();
    await expect.poll(() => enIncident.textContent()).toContain('Opened automatically from an alert');
    // Opened by the platform: its title is the alert's, in English (stored in Chinese for the reports).
    expect(await enIncident.locator('.ant-drawer-title').textContent()).toContain('Volume');
    expect(await enIncident.locator('.ant-drawer-title').textContent()).not.toMatch(/[\u4e00-\u9fff]/);
    const timeline = await readable(page, enIncident.locator('.ant-timeline'));
    expect(timeline).toContain('Suspend API key: app');
    expect(timeline).toContain('Suspend grant: ');
    // Names (the grant's dataset and organisation) are data; the sentences around them are English.
    expect(timeline).not.toMatch(/由告警自动创建|暂停 API 密钥|暂停共享授权|平台自动/);
    await animationsDone(page);
    await screenshot(page, 'pages-03b-incident-en');
    expect(errors).toEqual([]);
  });

  it('shows the auditor actions, actors and roles by name, and the overview names its chart series', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = watchErrors(page);
    await signIn(page, url, 'auditor', ADMIN_PASSWORDS.auditor);

    // Overview: the security chart's series are sign-ins and refusals in words, over 30 days.
    await page.goto(`${url}/`);
    const security = page.getByTestId('chart-security');
    await expect.poll(() => security.getAttribute('aria-label')).toContain('登录');
    expect(await security.getAttribute('aria-label')).not.toMatch(ACTION_CODE);
    speaksInSentences(await readable(page), 'overview');
    await screenshot(page, 'pages-04-overview-zh');

    await page.goto(`${url}/audit`);
    const rows = page.locator('[data-testid="audit-records"] tbody tr.ant-table-row');
    await expect.poll(() => rows.count()).toBeGreaterThan(5);
    speaksInSentences(await readable(page, page.getByTestId('audit-records')), 'audit records');
    // Every moment in one format, China time.
    expect(await rows.first().locator('td').nth(1).textContent()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    await screenshot(page, 'pages-05-audit-zh');
    await pickerSpeaks(page, 'zh', 'pages-05b-date-picker-zh');

    // A data read by the consumer's key: roles in Chinese, details as labelled fields, ids and JSON folded away.
    await page.getByPlaceholder('资源代码').fill(world.world.code);
    await page.getByTestId('audit-search').click();
    await expect.poll(() => rows.filter({ hasText: '读取数据' }).count()).toBeGreaterThan(0);
    await rows.filter({ hasText: '读取数据' }).first().click();
    const drawer = page.getByRole('dialog');
    await expect.poll(() => drawer.getByTestId('record-details-list').textContent()).toContain('行数');
    const text = await readable(page, drawer);
    speaksInSentences(text, 'audit record');
    expect(text).toContain('数据使用方');
    // The row filter of the read in words, as the sharing pages say it, not its parsed fields.
    expect(await drawer.getByTestId('record-details-list').textContent()).toContain('户籍地 等于 朝阳市');
    expect(text).not.toMatch(/\bop:|\band:|\bvalue:/);
    // The role code itself (not the account mz-consumer).
    expect(text).not.toMatch(/(?<![\w-])consumer(?![\w-])/);
    await animationsDone(page);
    await screenshot(page, 'pages-06-audit-record-zh');

    // The same pages in English: words of that language, no codes.
    await page.keyboard.press('Escape');
    await page.evaluate(() => localStorage.setItem('pdx.lang', 'en'));
    await page.goto(`${url}/`);
    await expect.poll(() => security.getAttribute('aria-label')).toContain('Sign-in');
    expect(await security.getAttribute('aria-label')).not.toMatch(ACTION_CODE);
    speaksInSentences(await readable(page), 'overview (en)', 'en');
    await screenshot(page, 'pages-07-overview-en');
    await page.goto(`${url}/audit`);
    await expect.poll(() => rows.count()).toBeGreaterThan(5);
    speaksInSentences(await readable(page, page.getByTestId('audit-records')), 'audit records (en)', 'en');
    await screenshot(page, 'pages-08-audit-en');
    await pickerSpeaks(page, 'en', 'pages-08b-date-picker-en');
    expect(errors).toEqual([]);
  });
});
