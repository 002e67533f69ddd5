/**
 * The console's first load and one navigation in Chromium (issue 22 point 10): `npm run bench console`.
 *
 * (a) First load: a fresh browser context (empty cache) opens the console and waits for the sign-in
 *     form; measured unthrottled and on a throttled link (PDX_BENCH_CONSOLE_MBIT, default 10 Mbit/s,
 *     PDX_BENCH_CONSOLE_RTT_MS, default 40 ms: a county office's line). pdx (precompressed brotli,
 *     route-split chunks) next to the same web/dist served by a bare @fastify/static with its
 *     defaults (uncompressed, `max-age=0`), as pdx served it before, passing /api/ GETs on to pdx.
 *     Also the bytes transferred. PDX_BENCH_CONSOLE_BASELINE_DIST: another build for the baseline.
 * (b) A second load of the sign-in page in the same context (the browser's cache): pdx's hashed
 *     assets are immutable, the baseline revalidates each one.
 * (c) One navigation, pdx alone (a bare server has no API to sign in to): signed in as the demo
 *     consumer in a fresh context, from the overview to 数据目录 until its table shows (the catalogue's
 *     chunk is fetched on the click).
 *
 * One warm-up of each side, then PDX_BENCH_ROUNDS rounds alternating which side goes first. pdx runs
 * with the demo world (PDX_DEMO_PEOPLE=200) on an embedded database, in this process; Chromium is
 * /usr/bin/chromium (PDX_CHROMIUM), headless, in its own processes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../src/config.ts';
import { startServer } from '../src/main.ts';
import { alternate, fmt, machine, median, numberKnob, report, ROOT, section } from './lib.ts';

const MBIT = numberKnob('PDX_BENCH_CONSOLE_MBIT', 10);
const RTT_MS = numberKnob('PDX_BENCH_CONSOLE_RTT_MS', 40, 0);
const CHROMIUM = process.env.PDX_CHROMIUM ?? '/usr/bin/chromium';
const WAIT_MS = 300_000;
/**
 * What the baseline serves: this build's web/dist by default; PDX_BENCH_CONSOLE_BASELINE_DIST names
 * another build, e.g. one made from an older commit's web/ to compare before and after.
 */
const BASELINE_DIST = process.env.PDX_BENCH_CONSOLE_BASELINE_DIST;

interface Load {
  ms: number;
  /** Bytes on the wire (encoded bodies and headers) of every response of the load. */
  kb: number;
  requests: number;
}

async function context(browser: Browser, throttle: boolean): Promise<{ context: BrowserContext; page: Page; wire: () => { kb: number; requests: number } }> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  ctx.setDefaultTimeout(WAIT_MS);
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  let bytes = 0;
  let requests = 0;
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
    requests++;
  });
  if (throttle) {
    const bytesPerSecond = (MBIT * 1_000_000) / 8;
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: RTT_MS,
      downloadThroughput: bytesPerSecond,
      uploadThroughput: bytesPerSecond,
    });
  }
  return { context: ctx, page, wire: () => ({ kb: bytes / 1024, requests }) };
}

/** Opens the console in a fresh context and waits for the sign-in form. */
async function firstLoad(browser: Browser, url: string, throttle: boolean): Promise<Load & { again: number }> {
  const { context: ctx, page, wire } = await context(browser, throttle);
  try {
    const start = performance.now();
    await page.goto(`${url}/`);
    await page.getByLabel('用户名').waitFor();
    const ms = performance.now() - start;
    const first = wire();
    // The same page again from this context's cache.
    const again = performance.now();
    await page.goto(`${url}/`);
    await page.getByLabel('用户名').waitFor();
    return { ms, ...first, again: performance.now() - again };
  } finally {
    await ctx.close();
  }
}

/** Signs in as `username` in a fresh context, then times the click on 数据目录 until its table shows. */
async function navigation(browser: Browser, url: string, username: string, password: string): Promise<Load> {
  const { context: ctx, page, wire } = await context(browser, false);
  try {
    await page.goto(`${url}/`);
    await page.getByLabel('用户名').fill(username);
    await page.getByLabel('密码').fill(password);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByTestId('user-menu').waitFor();
    const before = wire();
    const start = performance.now();
    await page.getByRole('menuitem', { name: '数据目录' }).click();
    await page.getByTestId('catalog-table').locator('tr.ant-table-row').first().waitFor();
    const ms = performance.now() - start;
    const after = wire();
    return { ms, kb: after.kb - before.kb, requests: after.requests - before.requests };
  } finally {
    await ctx.close();
  }
}

export default async function bench(): Promise<void> {
  const dist = path.join(ROOT, 'web', 'dist');
  if (!fs.existsSync(path.join(dist, 'index.html'))) throw new Error('web/dist is missing: run `npm run build` first');
  console.log(machine());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-bench-console-'));
  const pdx = await startServer(
    loadConfig({
      PDX_PORT: '0',
      PDX_HOST: '127.0.0.1',
      PDX_DATA_DIR: dataDir,
      PDX_LOG_LEVEL: 'warn',
      PDX_DEMO: 'true',
      PDX_DEMO_PEOPLE: '200',
      PDX_DEMO_TELEMETRY: 'false',
      PDX_DEMO_GATEWAY: 'false',
      PDX_RATE_LIMIT: '1000000',
    }),
  );
  const bare = Fastify();
  const baselineDist = BASELINE_DIST ? path.resolve(BASELINE_DIST) : dist;
  console.log(`baseline serves ${path.relative(ROOT, baselineDist) || baselineDist}`);
  await bare.register(fastifyStatic, { root: baselineDist, index: ['index.html'] });
  // The sign-in page asks the API who is signed in: the baseline passes /api/ GETs on to pdx.
  bare.get('/api/*', async (request, reply) => {
    const answer = await fetch(`${pdx.url}${request.url}`, { headers: { cookie: request.headers.cookie ?? '' } });
    return reply
      .status(answer.status)
      .type(answer.headers.get('content-type') ?? 'application/json')
      .send(Buffer.from(await answer.arrayBuffer()));
  });
  bare.setNotFoundHandler((_request, reply) => reply.type('text/html').sendFile('index.html'));
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  try {
    const consumer = pdx.demoAccounts!.find((a) => a.username === 'zy-minzheng')!;
    for (const throttle of [false, true]) {
      section(throttle ? `first load, throttled to ${MBIT} Mbit/s, ${RTT_MS} ms round trip` : 'first load, unthrottled (loopback)');
      const rounds = await alternate({ pdx: () => firstLoad(browser, pdx.url, throttle), baseline: () => firstLoad(browser, bareUrl, throttle) });
      const pick = (k: 'ms' | 'kb' | 'requests' | 'again') => ({ pdx: rounds.pdx.map((r) => r[k]), baseline: rounds.baseline.map((r) => r[k]) });
      const base = { baselineName: 'bare @fastify/static', size: 'sign-in page, empty cache', lowerIsBetter: true };
      report({ name: 'time to the sign-in form', unit: 'ms', ...pick('ms'), ...base });
      report({ name: 'bytes transferred', unit: 'KB', ...pick('kb'), ...base });
      report({ name: 'second load from the cache', unit: 'ms', ...pick('again'), ...base, size: 'sign-in page, same context' });
      console.log(`requests: pdx ${median(pick('requests').pdx)}, baseline ${median(pick('requests').baseline)}`);
    }
    section('one navigation: overview → 数据目录 (pdx only; signed in as the demo consumer, fresh context)');
    await navigation(browser, pdx.url, consumer.username, consumer.password);
    const navs: Load[] = [];
    for (let i = 0; i < 3; i++) navs.push(await navigation(browser, pdx.url, consumer.username, consumer.password));
    const ms = navs.map((n) => n.ms);
    console.log(
      `click to the catalogue table: median ${fmt(median(ms))} ms (min ${fmt(Math.min(...ms))}, max ${fmt(Math.max(...ms))}, ${navs.length} rounds); ${fmt(median(navs.map((n) => n.kb)))} KB in ${median(navs.map((n) => n.requests))} requests`,
    );
  } finally {
    await browser.close();
    await bare.close();
    await pdx.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
