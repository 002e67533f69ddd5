/**
 * Every page of the console each role can open, on the demo world, in Chromium (issue 22):
 *
 * - in Chinese at 1440×900: a walk over the role's menu and each page's tabs; no ASCII punctuation
 *   beside Chinese in what a person reads (full-width ，：；（）);
 * - in English at 390×844 (a phone): the role's pages and the share request, request and approval
 *   pages; no sideways scroll of the page, the page's key buttons on the screen, and no Chinese in
 *   the console's own words: Chinese left on the page must be data the server sent (names of
 *   organisations, people, datasets and columns), never a label, a button or a message;
 * - the security dashboard's consumers chart, readable on the phone and on a desktop.
 *
 * Needs the built console (web/dist: `node scripts/build-web.mjs`). Screenshots: test-artifacts/walk-*.png.
 *
 * The walk is split over three files, each on its own server with the demo world and its own Chromium
 * (test/browser/console-walk-zh.test.ts, console-walk-en-1.test.ts, console-walk-en-2.test.ts): as one
 * file it took 317 s alone, so it ran on one test worker while the other two had finished, and
 * started late it held up the end of the whole run (issue 25). Each part costs one more server start
 * with the demo world (200 people) and Chromium launch: 14-18 s and 1 s at a load average of 20-25.
 * Together the three parts walk every role of ROLES in both languages once.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD_ENV, ADMIN_PASSWORDS } from './api.ts';
import { animationsDone, asciiInChinese, launchBrowser, screenshot, settled, signIn, watchErrors } from './browser.ts';
import { httpLogin } from './http.ts';
import { startTestServer, type TestServer } from './server.ts';

export const ROLES = ['ga-officer', 'zy-minzheng', 'zy-brain', 'secadmin', 'auditor', 'sysadmin'] as const;
export type Username = (typeof ROLES)[number];

/** What one file of the walk covers: the roles walked in Chinese, in English on a phone, and the single pages. */
export interface WalkPart {
  chinese: readonly Username[];
  english: readonly Username[];
  /** The share request, request and approval pages on a phone in English, and the security dashboard's chart. */
  pages: boolean;
}

/** Chinese characters and the full-width punctuation written with them. */
const CJK_RUN = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+/gu;

/** The Chinese the server has sent a page so far (watchServerChinese). */
interface ServerChinese {
  runs(): Promise<string[]>;
}

/**
 * The Chinese the server sends the page: every run of Chinese in the strings of the JSON answers of
 * /api/, but for the `zh` half of a text the server gives in both languages (the console must show
 * its `en`). Chinese on an English page that is not part of one of these is the console's own.
 */
function watchServerChinese(page: Page): ServerChinese {
  const found = new Set<string>();
  const pending: Promise<void>[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === 'string') for (const run of v.match(CJK_RUN) ?? []) found.add(run);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const bilingual = typeof o.zh === 'string' && typeof o.en === 'string';
      for (const [k, x] of Object.entries(o)) if (!(bilingual && k === 'zh')) collect(x);
    }
  };
  page.on('response', (r) => {
    if (!new URL(r.url()).pathname.startsWith('/api/') || !/json/.test(r.headers()['content-type'] ?? '')) return;
    pending.push(r.json().then(collect, () => undefined));
  });
  return {
    async runs() {
      await Promise.all(pending);
      return [...found];
    },
  };
}

/** What a person reads on the page, without the language switch (which names the other language: 中文). */
async function readableText(page: Page): Promise<string> {
  await settled(page);
  return page.evaluate(() => {
    const text = document.body.innerText;
    const own = (document.querySelector('[data-testid="lang-switch"]') as HTMLElement | null)?.innerText ?? '';
    return own ? text.replace(own, '') : text;
  });
}

/** Runs of Chinese on the page that are no part of anything the server sent: the console's own words left untranslated. */
async function untranslated(page: Page, server: ServerChinese): Promise<string[]> {
  const data = await server.runs();
  const text = await readableText(page);
  return [...new Set(text.match(CJK_RUN) ?? [])].filter((run) => !data.some((d) => d.includes(run)));
}

/**
 * What a phone user sees go wrong with the layout: the page wider than the screen. Measured against
 * the screen, not window.innerWidth: a phone's browser widens its layout viewport to a page that
 * is too wide (innerWidth was 492 on a 390-px screen).
 */
async function sidewaysScroll(page: Page): Promise<string | undefined> {
  const width = page.viewportSize()!.width;
  const scroll = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
  return scroll > width ? `page ${scroll} px wide on a ${width} px screen` : undefined;
}

/**
 * Chooses each of the role's menu entries in turn (the side menu, or on a phone the drawer menu) and
 * `visit`s the page it leads to once it has drawn, each path once (its index among the paths); the
 * open-data portal, which opens in a tab of its own, is left out. Returns how many paths it visited.
 *
 * A menu click changes the address at once but keeps the previous page on screen while the next
 * page's code loads (checks right after the click saw the wrong page). The menu marks the chosen
 * entry in the same render that draws the new page, so the page has drawn once the entry is marked
 * and no spinner is left. (The walk once opened every path again by its address to be sure of that,
 * which loaded the whole console afresh for every page: a third of the walk's time.)
 */
async function walkMenu(page: Page, visit: (path: string, index: number) => Promise<void>): Promise<number> {
  const phone = (await page.getByTestId('nav-toggle').count()) > 0;
  const menu = phone ? page.getByTestId('nav-drawer') : page.locator('.ant-layout-sider');
  const items = menu.locator('.ant-menu-item:not(:has([data-testid="nav-portal"]))');
  const paths = new Set<string>();
  for (let i = 0; ; i++) {
    if (phone) await page.getByTestId('nav-toggle').click();
    await items.first().waitFor();
    if (i >= (await items.count())) break;
    await animationsDone(page);
    const before = page.url();
    await items.nth(i).click();
    if (i > 0 || new URL(before).pathname !== '/') await expect.poll(() => page.url()).not.toBe(before);
    if (phone) await expect.poll(() => menu.isVisible()).toBe(false);
    await expect.poll(() => items.nth(i).getAttribute('class')).toContain('ant-menu-item-selected');
    await settled(page);
    const path = new URL(page.url()).pathname;
    if (paths.has(path)) continue;
    paths.add(path);
    await visit(path, paths.size - 1);
  }
  if (phone) await page.keyboard.press('Escape');
  return paths.size;
}

/** Switches the console to English with the header's language button, as a person does. */
async function toEnglish(page: Page): Promise<void> {
  await page.getByTestId('lang-switch').click();
  await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('en');
}

/**
 * What is cut off on a phone: a button reaching past the screen's right edge (outside the boxes that
 * scroll sideways on purpose: tables, field lists, tab bars), and a card or page title ending in an
 * ellipsis.
 */
async function clipped(page: Page): Promise<string[]> {
  const width = page.viewportSize()!.width;
  return page.evaluate((screenWidth) => {
    const found: string[] = [];
    const scrolls = '.ant-table, .ant-descriptions-view, .ant-tabs-nav, .ant-select-dropdown, .ant-picker-dropdown, .ant-drawer, .ant-modal-wrap';
    for (const button of Array.from(document.querySelectorAll<HTMLElement>('.ant-layout-content .ant-btn'))) {
      const box = button.getBoundingClientRect();
      if (box.width === 0 || button.closest(scrolls)) continue;
      if (box.right > screenWidth + 1 || box.left < -1)
        found.push(`button "${button.innerText.trim()}" at ${Math.round(box.left)}–${Math.round(box.right)} px`);
    }
    for (const title of Array.from(
      document.querySelectorAll<HTMLElement>(
        '.ant-layout-content .ant-card-head-title, .ant-layout-content h1, .ant-layout-content h2, .ant-layout-content h3, .ant-layout-content h4',
      ),
    )) {
      if (title.scrollWidth > title.clientWidth + 1) found.push(`title "${title.innerText.trim()}" cut`);
    }
    return found;
  }, width);
}

/** A button a person needs: shown, not clipped by the screen's edges, with its label on one line. */
async function onScreen(page: Page, testId: string): Promise<void> {
  const button = page.getByTestId(testId);
  await button.scrollIntoViewIfNeeded();
  const box = await button.boundingBox();
  const width = page.viewportSize()!.width;
  expect(box, testId).not.toBeNull();
  expect(box!.x, testId).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, testId).toBeLessThanOrEqual(width);
  expect(box!.height, `${testId} on one line`).toBeLessThan(48);
}

export function describeConsoleWalk(part: WalkPart): void {
  describe.sequential('the console page by page, each role', () => {
    let server: TestServer;
    let browser: Browser;
    const passwordOf = (username: Username) =>
      (ADMIN_PASSWORDS as Record<string, string>)[username] ?? server.demoAccounts!.find((a) => a.username === username)!.password;
    /** The demo's request for 户籍人口信息, waiting for 省公安厅 (journey step 5), and that dataset's code. */
    let pending: { id: string; dataset: string };

    beforeAll(async () => {
      server = await startTestServer({ PDX_DEMO: 'true', PDX_DEMO_PEOPLE: '200', ...ADMIN_PASSWORD_ENV });
      browser = await launchBrowser();
      const { client } = await httpLogin(server.url, 'zy-minzheng', passwordOf('zy-minzheng'));
      const items = (await client!.call('GET', '/api/v1/share/requests')).json().items as {
        id: string;
        state: string;
        dataset: { code: string; name: string };
      }[];
      const waiting = items.find((r) => r.state === 'submitted' && r.dataset.name === '户籍人口信息')!;
      pending = { id: waiting.id, dataset: waiting.dataset.code };
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    for (const username of part.chinese) {
      it(`${username} in Chinese: every menu entry and tab speaks with full-width punctuation`, async () => {
        const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
        const errors = watchErrors(page);
        await signIn(page, server.url, username, passwordOf(username));
        const found: string[] = [];
        const check = async (where: string) => {
          const ascii = asciiInChinese(await readableText(page));
          if (ascii) found.push(`${where}: …${ascii}…`);
        };
        const visited = await walkMenu(page, async (path, i) => {
          await check(path);
          const shot = `walk-zh-${username}-${String(i).padStart(2, '0')}`;
          await screenshot(page, shot, { fullPage: false });
          // The page's own tabs (the first tab bar of the content), each.
          const bar = page.locator('.ant-layout-content .ant-tabs-nav').first();
          const tabNames = (await bar.count()) ? (await bar.getByRole('tab').allInnerTexts()).map((n) => n.trim()) : [];
          for (const [j, tabName] of tabNames.entries()) {
            await bar.getByRole('tab', { name: tabName, exact: true }).click();
            await check(`${path} › ${tabName}`);
            await screenshot(page, `${shot}-${j}`, { fullPage: false });
          }
        });
        expect(visited).toBeGreaterThan(0);
        expect(found).toEqual([]);
        expect(errors).toEqual([]);
        await page.close();
      });
    }

    for (const username of part.english) {
      it(`${username} in English on a 390×844 phone: no sideways scroll, no untranslated console text`, async () => {
        const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
        const errors = watchErrors(page);
        const fromServer = watchServerChinese(page);
        await signIn(page, server.url, username, passwordOf(username));
        await toEnglish(page);
        const problems: string[] = [];
        await walkMenu(page, async (path) => {
          const scroll = await sidewaysScroll(page);
          if (scroll) problems.push(`${path}: ${scroll}`);
          for (const cut of await clipped(page)) problems.push(`${path}: ${cut}`);
          const chinese = await untranslated(page, fromServer);
          if (chinese.length) problems.push(`${path}: ${chinese.join(' | ')}`);
          await screenshot(page, `walk-en-phone-${username}${path.replaceAll('/', '-').replace(/-$/, '-overview')}`);
        });
        expect(problems).toEqual([]);
        expect(errors).toEqual([]);
        await page.close();
      });
    }

    /** Opens `path` as `username` on a phone in English; returns the page and what the server sent it. */
    async function phoneInEnglish(username: Username, path: string) {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const errors = watchErrors(page);
      const fromServer = watchServerChinese(page);
      await signIn(page, server.url, username, passwordOf(username), path);
      await toEnglish(page);
      return { page, errors, fromServer };
    }

    /** A phone page in English, drawn: saved as `shot`, within the screen, nothing cut, no untranslated text, `buttons` on the screen. */
    async function readableOnPhone(page: Page, fromServer: ServerChinese, shot: string, buttons: string[]): Promise<void> {
      await settled(page);
      await screenshot(page, shot);
      expect(await sidewaysScroll(page)).toBeUndefined();
      expect(await clipped(page)).toEqual([]);
      // Polled: a form's help in the language just left fades out for a moment after the switch.
      await expect.poll(() => untranslated(page, fromServer)).toEqual([]);
      for (const button of buttons) await onScreen(page, button);
    }

    if (part.pages) {
      it('the share request form in English on a phone: fields and the submit button on the screen', async () => {
        const { page, errors, fromServer } = await phoneInEnglish('zy-minzheng', `/sharing/request/${pending.dataset}`);
        await page.getByTestId('submit-request').waitFor();
        await readableOnPhone(page, fromServer, 'walk-en-phone-request-form', ['submit-request']);
        expect(errors).toEqual([]);
        await page.close();
      });

      it('the consumer’s request in English on a phone: its facts, withdraw and print on the screen', async () => {
        const { page, errors, fromServer } = await phoneInEnglish('zy-minzheng', `/sharing/requests/${pending.id}`);
        await page.getByTestId('request-facts').waitFor();
        await readableOnPhone(page, fromServer, 'walk-en-phone-request', ['withdraw', 'print-form']);
        expect(errors).toEqual([]);
        await page.close();
      });

      it('the provider’s approval in English on a phone: the form, approve and reject on the screen, the summary asked before approving', async () => {
        const { page, errors, fromServer } = await phoneInEnglish('ga-officer', `/sharing/requests/${pending.id}`);
        await page.getByTestId('approval-form').waitFor();
        await readableOnPhone(page, fromServer, 'walk-en-phone-approval', ['approve', 'reject']);
        // Approve asks first, with a summary of what is granted (nothing is sent by this click).
        await page.getByTestId('approve').click();
        const summary = page.getByTestId('approve-summary');
        await summary.waitFor();
        await animationsDone(page);
        expect(await sidewaysScroll(page)).toBeUndefined();
        expect(await untranslated(page, fromServer)).toEqual([]);
        await screenshot(page, 'walk-en-phone-approval-confirm', { fullPage: false });
        await page.keyboard.press('Escape');
        await expect.poll(() => summary.isVisible()).toBe(false);
        expect(errors).toEqual([]);
        await page.close();
      });

      for (const viewport of [
        { width: 390, height: 844, name: 'phone' },
        { width: 1440, height: 900, name: 'desktop' },
      ]) {
        it(`the security dashboard's consumers chart on a ${viewport.name}: one bar a reader, named once`, async () => {
          const page = await browser.newPage({ viewport: { width: viewport.width, height: viewport.height } });
          await signIn(page, server.url, 'secadmin', passwordOf('secadmin'), '/secops');
          const chart = page.getByTestId('chart-consumers');
          await expect.poll(() => chart.getAttribute('aria-label')).toContain('敏感字段行数');
          // The demo's reader is a person whose name carries the organisation: said once, not "朝阳市民政局 李民政（朝阳市民政局）".
          const described = (await chart.getAttribute('aria-label'))!;
          expect(described).toContain('李民政（朝阳市民政局）');
          expect(described).not.toMatch(/朝阳市民政局\s*李民政/);
          await chart.scrollIntoViewIfNeeded();
          await animationsDone(page);
          // The tooltip over the bars names the reader in full and gives the counts.
          const box = (await chart.boundingBox())!;
          await page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.55);
          await expect.poll(() => chart.innerText()).toContain('李民政（朝阳市民政局）');
          expect(await chart.innerText()).toMatch(/敏感字段行数\s*[\d,]+/);
          await screenshot(page, `walk-secops-consumers-${viewport.name}`, { fullPage: false });
        });
      }
    }
  });
}
