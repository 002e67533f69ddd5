/**
 * The console's first load and its small screens (issue 22 points 10, 9 and 11), on a server with the
 * demo world, in Chromium:
 *
 * - what the server sends: precompressed files by the client's Accept-Encoding, hashed assets cached
 *   for a year, index.html revalidated on every load;
 * - what the sign-in page loads: not the chart library, which the overview fetches when it draws;
 * - a signed-in page of every role at 390×844 (a phone): compact header, a drawer menu, no sideways
 *   scroll of the page; every menu item leads to a working page, 数据开放 included.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD_ENV, ADMIN_PASSWORDS } from '../helpers/api.ts';
import { animationsDone, launchBrowser, screenshot, signIn, watchErrors } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe.sequential('console first load and phone layout', () => {
  let server: TestServer;
  let browser: Browser;
  const password = (username: string) => server.demoAccounts!.find((a) => a.username === username)!.password;

  beforeAll(async () => {
    server = await startTestServer({ PDX_DEMO: 'true', PDX_DEMO_PEOPLE: '200', ...ADMIN_PASSWORD_ENV });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The raw answer to a GET with this Accept-Encoding (fetch decodes the body; headers stay as sent). */
  const get = (path: string, encoding: string) => fetch(`${server.url}${path}`, { headers: { 'accept-encoding': encoding } });

  it('sends the console precompressed by Accept-Encoding; hashed assets immutable, index.html revalidated', async () => {
    const plain = await get('/', 'identity');
    const html = await plain.text();
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('cache-control')).toBe('no-cache');
    for (const [encoding, expected] of [
      ['br, gzip', 'br'],
      ['gzip', 'gzip'],
    ] as const) {
      const res = await get('/', encoding);
      expect(res.headers.get('content-encoding')).toBe(expected);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('vary')).toMatch(/accept-encoding/i);
      expect(await res.text()).toBe(html);
    }
    // A client route is index.html too, and revalidated as well.
    const route = await get('/sharing', 'br');
    expect(route.headers.get('cache-control')).toBe('no-cache');
    expect(await route.text()).toBe(html);

    const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      const identity = await get(script, 'identity');
      const body = await identity.text();
      expect(identity.headers.get('cache-control'), script).toBe('public, max-age=31536000, immutable');
      expect(identity.headers.get('content-type'), script).toMatch(/javascript/);
      for (const encoding of ['br', 'gzip']) {
        const res = await get(script, encoding);
        expect(res.headers.get('content-encoding'), script).toBe(encoding);
        expect(res.headers.get('cache-control'), script).toBe('public, max-age=31536000, immutable');
        expect(res.headers.get('content-type'), script).toMatch(/javascript/);
        expect(Number(res.headers.get('content-length')), script).toBeLessThan(Buffer.byteLength(body));
        expect(await res.text(), script).toBe(body);
      }
    }
  });

  it('the sign-in page loads no chart code; the overview fetches it when it draws its charts', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = watchErrors(page);
    const scripts: string[] = [];
    page.on('request', (r) => r.resourceType() === 'script' && scripts.push(new URL(r.url()).pathname));
    await page.goto(`${server.url}/`);
    await page.getByLabel('用户名').waitFor();
    const signInScripts = [...scripts];
    expect(signInScripts.length).toBeGreaterThan(0);
    expect(signInScripts.filter((s) => /\/echarts-/.test(s))).toEqual([]);
    // Nor does any script it loaded hold ECharts itself (whatever its chunk is called).
    for (const s of signInScripts) expect(await (await get(s, 'identity')).text(), s).not.toContain('echarts');

    await signIn(page, server.url, 'ga-officer', password('ga-officer'));
    await page.getByTestId('chart-assets').locator('canvas').first().waitFor();
    expect(scripts.filter((s) => /\/echarts-/.test(s)).length).toBeGreaterThan(0);
    await screenshot(page, 'first-load-overview');
    expect(errors).toEqual([]);
    await page.close();
  });

  /** The main pages of each role (the menu of product.md's roles). */
  const ROLES: { username: string; pages: string[] }[] = [
    {
      username: 'ga-officer',
      pages: [
        '/',
        '/catalog',
        '/ingest',
        '/classify',
        '/telemetry',
        '/services',
        '/sharing',
        '/duties/objections',
        '/duties/evaluation?tab=departments',
        '/api-keys',
        '/opendata',
      ],
    },
    { username: 'zy-minzheng', pages: ['/', '/catalog', '/services', '/sharing', '/api-keys'] },
    { username: 'secadmin', pages: ['/secops', '/classify', '/sharing', '/duties/settings', '/duties/evaluation?tab=departments', '/opendata'] },
    { username: 'auditor', pages: ['/audit'] },
    { username: 'sysadmin', pages: ['/admin/users', '/admin/orgs', '/admin/changes'] },
  ];
  const passwordOf = (username: string) => (ADMIN_PASSWORDS as Record<string, string>)[username] ?? password(username);

  /** What a phone user would see go wrong: the page wider than the screen, squeezed table columns, a title over many lines. */
  async function layoutProblems(page: Page): Promise<string[]> {
    return page.evaluate(() => {
      const problems: string[] = [];
      const doc = document.documentElement;
      // Against the screen: a phone's browser widens window.innerWidth to a page that is too wide.
      if (doc.scrollWidth > window.screen.width) problems.push(`page ${doc.scrollWidth} px wide on a ${window.screen.width} px screen`);
      const title = document.querySelector('[data-testid="app-title"]')!.getBoundingClientRect();
      if (title.height > 40) problems.push(`title ${title.height} px high`);
      // Cards side by side on a phone squeeze their titles to a character a line (the secops counts and charts once did).
      for (const card of Array.from(document.querySelectorAll<HTMLElement>('.ant-layout-content .ant-card'))) {
        const width = card.getBoundingClientRect().width;
        if (width > 0 && width < 90) problems.push(`card "${card.textContent?.trim().slice(0, 12)}" ${width} px wide`);
      }
      for (const th of Array.from(document.querySelectorAll<HTMLElement>('.ant-table-thead th'))) {
        const text = th.textContent?.trim() ?? '';
        if (text.length > 1 && th.getBoundingClientRect().width < 40) problems.push(`column "${text}" ${th.getBoundingClientRect().width} px wide`);
      }
      return problems;
    });
  }

  for (const role of ROLES) {
    it(`at 390×844, ${role.username}: compact header, drawer menu, no sideways page scroll on ${role.pages.join(' ')}`, async () => {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const errors = watchErrors(page);
      await signIn(page, server.url, role.username, passwordOf(role.username));
      // The side menu is a drawer behind a button; the header holds the short title and icons only.
      await page.getByTestId('nav-toggle').waitFor();
      expect(await page.locator('.ant-layout-sider').count()).toBe(0);
      expect(await page.getByTestId('app-title').textContent()).toBe('pdx');
      await page.getByTestId('nav-toggle').click();
      await page.getByTestId('nav-drawer').getByRole('menuitem').first().waitFor();
      await animationsDone(page);
      await screenshot(page, `phone-${role.username}-menu`);
      // No menu item leads to a placeholder; the open-data portal is linked.
      expect(await page.getByTestId('nav-portal').getAttribute('href')).toBe('/open');
      await page.keyboard.press('Escape');

      for (const path of role.pages) {
        await page.goto(`${server.url}${path}`);
        await page.getByTestId('user-menu').waitFor();
        // The page has drawn: its lazy chunk is in and no spinner is left (data pages fetch on mount).
        await expect.poll(() => page.locator('.ant-layout-content .ant-spin-spinning').count()).toBe(0);
        expect(await page.getByText('即将上线').count(), path).toBe(0);
        await expect.poll(() => layoutProblems(page), { message: path }).toEqual([]);
        // Charts name readers by name: no subject code (key:…, user:…) on an axis.
        if (path === '/secops') await expect.poll(() => page.getByTestId('chart-consumers').getAttribute('aria-label')).toContain('敏感字段行数');
        for (const label of await page.locator('[data-testid^="chart-"]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''))) {
          expect(label, path).not.toMatch(/\b(user|key):[0-9a-f]{6}/);
        }
        await screenshot(page, `phone-${role.username}${path.replaceAll('/', '-').replace(/-$/, '-overview')}`);
      }
      expect(errors).toEqual([]);
      await page.close();
    });
  }

  it('the drawer menu navigates: 数据目录 from the overview, on a phone', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await signIn(page, server.url, 'zy-minzheng', password('zy-minzheng'));
    await page.getByTestId('nav-toggle').click();
    await page.getByTestId('nav-drawer').getByRole('menuitem', { name: '数据目录' }).click();
    await page.getByTestId('catalog-table').locator('tr.ant-table-row').first().waitFor();
    await expect.poll(() => page.getByTestId('nav-drawer').isVisible()).toBe(false);
    await expect.poll(() => layoutProblems(page)).toEqual([]);
    await screenshot(page, 'phone-catalog-after-drawer');
    await page.close();
  });
});
