/**
 * Real Chromium for console tests: the system /usr/bin/chromium driven by playwright-core (never a
 * downloaded browser). Screenshots go to test-artifacts/ for a person to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page, type Request, type Response } from 'playwright-core';
import { expect } from 'vitest';
import { ADMIN_PASSWORD_ENV, ADMIN_PASSWORDS, createOrg, loginClient, type Client } from './api.ts';
import { CONDITION_MS } from './bounds.ts';
import { authenticatorFor, type SecondFactorAnswer } from './authenticator.ts';
import { startTestServer, type TestServer } from './server.ts';

export const CHROMIUM = process.env.PDX_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve('test-artifacts');

/**
 * Upper bound of every Playwright action, wait and navigation: one condition (CONDITION_MS).
 * Playwright's own 30 s default is reached on a loaded 2-core machine (a page's first load took over
 * 60 s at a load average of 30); this bound only catches a hang. Well below the test timeout.
 */
export const BROWSER_WAIT_MS = CONDITION_MS;

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with 'apt-get install chromium' (or set PDX_CHROMIUM)`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  // Every context (browser.newPage makes one too) gets the bound above, and asks for reduced motion
  // unless the test says otherwise: the console then draws dialogs, menus and charts without
  // animation (as for a person who set it), which spares the two cores most of Chromium's frames.
  // console-shell checks both preferences.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext({ reducedMotion: 'reduce', ...options });
    context.setDefaultTimeout(BROWSER_WAIT_MS);
    context.setDefaultNavigationTimeout(BROWSER_WAIT_MS);
    return context;
  };
  return browser;
}

/** What most console tests stand on (startConsoleWorld). */
export interface ConsoleWorld {
  server: TestServer;
  browser: Browser;
  /** The sysadmin's API client (signed in with its second factor). */
  admin: Client;
  /** Creates a department as the sysadmin and returns its id. */
  org(name: string, level: 'province' | 'city' | 'county', regionCode: string): Promise<string>;
  /** Closes Chromium and stops the server. */
  close(): Promise<void>;
}

/**
 * A server with the three administrators' passwords (ADMIN_PASSWORDS) and the API's rate limit out
 * of the way of the test's own calls, Chromium, and the sysadmin's client; `env` adds to or
 * overrides the server's variables.
 */
export async function startConsoleWorld(env: Record<string, string> = {}): Promise<ConsoleWorld> {
  const server = await startTestServer({ ...ADMIN_PASSWORD_ENV, PDX_RATE_LIMIT: '100000', ...env });
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await server.close();
  };
  try {
    browser = await launchBrowser();
    const admin = await loginClient(server.app, 'sysadmin', ADMIN_PASSWORDS.sysadmin);
    return { server, browser, admin, org: (name, level, regionCode) => createOrg(admin, name, level, regionCode), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Saves a full-page screenshot as test-artifacts/<name>.png; `fullPage: false` keeps to the window
 * (a page thousands of pixels tall, such as a 600-point telemetry set's items, takes a minute to
 * capture on a loaded machine).
 */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true });
  return file;
}

/**
 * Fills and submits the login form the page shows, and waits for the server's answer (whatever it
 * is: a test of a refused or first sign-in checks the page itself).
 */
export async function submitSignIn(page: Page, username: string, password: string): Promise<Response> {
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  const [answer] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/login' && r.request().method() === 'POST'),
    page.getByRole('button', { name: /登\s*录/ }).click(),
  ]);
  return answer;
}

/**
 * Signs in through the console's login form and waits for the signed-in layout. Opens the console
 * at `url` (or `url` + `path`) first.
 */
export async function signIn(page: Page, url: string, username: string, password: string, path = '/'): Promise<void> {
  await page.goto(`${url}${path}`);
  const answer = await submitSignIn(page, username, password);
  if (answer.status() !== 200) throw new Error(`sign-in of ${username} refused: ${answer.status()} ${await answer.text()}`);
  await answerSecondFactor(page, url, username, answer);
  await page.getByTestId('user-menu').waitFor();
}

/** After the password step's `answer`: gives the code an administrator's second step asks for (enrolling at the first sign-in). */
export async function answerSecondFactor(page: Page, url: string, username: string, answer: Response): Promise<void> {
  const { secondFactor } = (await answer.json()) as { secondFactor?: SecondFactorAnswer };
  if (!secondFactor) return;
  const code = await submitSecondFactor(page, await authenticatorFor(url).code(username, secondFactor));
  if (code.status() !== 200) throw new Error(`second factor of ${username} refused: ${code.status()} ${await code.text()}`);
  // At enrolment the recovery codes are shown once; the holder confirms having kept them.
  if (secondFactor.enrol) await page.getByRole('button', { name: '我已保存恢复码，进入平台' }).click();
}

/** Types a code into the second step of the sign-in page and waits for the server's answer. */
export async function submitSecondFactor(page: Page, code: string): Promise<Response> {
  await page.getByLabel('动态验证码').fill(code);
  const [answer] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/second-factor' && r.request().method() === 'POST'),
    page.getByRole('button', { name: /验\s*证/ }).click(),
  ]);
  return answer;
}

/**
 * Clicks the confirm button of a modal (the topmost dialog, or `within`, e.g. a Popconfirm) once it
 * is enabled — antd enables it only when the form is valid and the opening animation is done — and
 * waits for the server's answer to the request it sends (`answer`: the end of the request's path;
 * GETs are not answers). Without `answer` it waits for the dialog to close. Returns the answer.
 *
 * The click and the answer are awaited one after the other, so a failure says which of them did not
 * happen (a click that never landed, a request never sent, or a request the server never answered),
 * with a screenshot of the page at that moment.
 */
export async function confirmDialog(
  page: Page,
  button: string | RegExp,
  options: { answer?: string | RegExp; within?: Locator } = {},
): Promise<Response | undefined> {
  const scope =
    options.within ??
    page
      .getByRole('dialog')
      .filter({ has: page.getByRole('button', { name: button }) })
      .last();
  const ok = scope.getByRole('button', { name: button });
  await expect.poll(() => ok.isEnabled()).toBe(true);
  // A dialog still zooming in moves its button under the pointer.
  await animationsDone(page);
  const { answer } = options;
  if (answer === undefined) {
    await ok.click();
    await ok.waitFor({ state: 'hidden' });
    return undefined;
  }
  const isAnswer = (r: Request) => {
    if (r.method() === 'GET') return false;
    const pathname = new URL(r.url()).pathname;
    return typeof answer === 'string' ? pathname.endsWith(answer) : answer.test(pathname);
  };
  const sent: Request[] = [];
  const onRequest = (r: Request) => void (isAnswer(r) && sent.push(r));
  page.on('request', onRequest);
  const response = page
    .waitForResponse((r) => isAnswer(r.request()))
    .then(
      (r) => ({ r }),
      (error: Error) => ({ error }),
    );
  try {
    await ok.click().catch(async (error: Error) => {
      throw new Error(`the dialog's ${String(button)} button could not be clicked (${await failureShot(page)}): ${error.message}`);
    });
    const outcome = await response;
    if ('r' in outcome) return outcome.r;
    const what = sent.length
      ? `${sent.map((r) => `${r.method()} ${new URL(r.url()).pathname}`).join(', ')} was sent and not answered`
      : `no ${String(answer)} request was sent after the click (dialog ${(await ok.isVisible()) ? 'still open' : 'closed'})`;
    throw new Error(`${what} (${await failureShot(page)}): ${outcome.error.message}`);
  } finally {
    page.off('request', onRequest);
  }
}

/** A screenshot for a failed wait, named by time; returns where it is. */
async function failureShot(page: Page): Promise<string> {
  return screenshot(page, `failure-${new Date().toISOString().replace(/[:.]/g, '-')}`).catch((e: Error) => `no screenshot: ${e.message}`);
}

/**
 * Signs out through the user menu, as a person would: hovers the name in the header until the menu
 * shows (a hover while the header still moves, after a language switch, opens nothing) and chooses
 * 退出登录 once the menu stands still. Waits for the server's answer to the logout.
 */
export async function signOut(page: Page): Promise<Response> {
  const item = page.getByRole('menuitem', { name: /退出登录|Sign out/ });
  await animationsDone(page);
  await expect
    .poll(async () => {
      if (!(await item.isVisible())) await page.getByTestId('user-menu').hover();
      return item.isVisible();
    })
    .toBe(true);
  await animationsDone(page);
  const [answer] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/logout' && r.request().method() === 'POST'),
    item.click(),
  ]);
  return answer;
}

/** Tables and pages finished loading (no spinner, no dimmed content), so checks and screenshots see the result. */
export async function settled(page: Page): Promise<void> {
  await expect.poll(() => page.locator('.ant-spin-spinning, .ant-spin-blur, .ant-table-placeholder .ant-spin').count()).toBe(0);
}

/** Script errors on the page. HTTP 4xx answers a test provokes on purpose are not errors. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/Failed to load resource: .* 4\d\d/.test(m.text()) && errors.push(m.text()));
  return errors;
}

/** The text an antd Select shows as chosen (its selection item), '' when nothing is chosen. */
export function selectedText(page: Page, testId: string): Promise<string> {
  return page.getByTestId(testId).evaluate((e) => {
    // antd 6: the chosen label is the text of the Select's content, beside its search input and placeholder.
    const content = e.closest('.ant-select')?.querySelector('.ant-select-content');
    const placeholder = content?.querySelector('.ant-select-placeholder')?.textContent ?? '';
    return (content?.textContent ?? '').replace(placeholder, '');
  });
}

/**
 * Picks an option of an antd Select by typing into its search and pressing Enter, once an option
 * with that text is listed (options may arrive from the server after the typing), and waits until
 * the Select shows it as chosen.
 */
export async function choose(page: Page, testId: string, text: string): Promise<void> {
  await page.getByTestId(testId).click();
  await page.keyboard.type(text);
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: text }).first().waitFor();
  await page.keyboard.press('Enter');
  await expect.poll(() => selectedText(page, testId)).toContain(text);
}

/**
 * Waits until no CSS animation or transition runs on the page (drawers sliding, modals fading), so a
 * screenshot shows the settled page. Canvas charts animate outside CSS and are not covered.
 */
export async function animationsDone(page: Page): Promise<void> {
  // Endless ones (spinners, a live status dot) never finish and are not waited for.
  await expect
    .poll(() => page.evaluate(() => document.getAnimations().filter((a) => a.playState === 'running' && a.effect?.getTiming().iterations !== Infinity).length))
    .toBe(0);
}

/** ASCII punctuation beside a Chinese character: Chinese text takes ，：；（）. A time (09:37) or a code is not beside one. */
export const ASCII_BY_CHINESE = /[\u4e00-\u9fff][,;:()]|[,;:(][\u4e00-\u9fff]/u;

/** The first place in `text` where ASCII punctuation stands beside Chinese, with the words around it; undefined when there is none. */
export function asciiInChinese(text: string): string | undefined {
  const at = text.search(ASCII_BY_CHINESE);
  return at < 0 ? undefined : text.slice(Math.max(0, at - 20), at + 20).replace(/\s+/g, ' ');
}
