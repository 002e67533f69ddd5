/**
 * The demo plant in Chromium (issue 19): the demo world with its simulated 朝阳钢铁 publishing over
 * real MQTT to pdx's broker; the enterprise's data officer sees the devices, live charts of a
 * device's points, the quality dashboard with the injected faults found, and the ingestion status;
 * the telemetry set's catalogue page; 朝阳城市大脑 reads hourly energy roll-ups under its grant.
 * Needs the built console (web/dist: `node scripts/build-web.mjs`).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORDS } from '../helpers/api.ts';
import { launchBrowser, screenshot, signIn, watchErrors } from '../helpers/browser.ts';
import { sessionHeaders } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('console: the demo plant, live charts, quality and ingestion status in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const password = (username: string) => server.demoAccounts!.find((a) => a.username === username)!.password;
  let setCode: string;

  beforeAll(async () => {
    server = await startTestServer(
      {
        PDX_DEMO: 'true',
        PDX_DEMO_TELEMETRY: 'true',
        PDX_DEMO_PEOPLE: '200',
        PDX_MQTT_PORT: '0',
        PDX_RATE_LIMIT: '100000',
        PDX_ADMIN_PASSWORD: ADMIN_PASSWORDS.sysadmin,
        PDX_SECADMIN_PASSWORD: ADMIN_PASSWORDS.secadmin,
        PDX_AUDITOR_PASSWORD: ADMIN_PASSWORDS.auditor,
        // The plant starts with 75 s of history, sent at its first tick as a gateway catching up: the
        // faults it injects (BF1-D03 flat for 30 s, BOF2-D15 over range 5 s in every minute) are in it,
        // so the quality checks find them without the test waiting up to a minute of real time.
      },
      { demoPlantHistoryMs: 75_000 },
    );
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN' });
    errors = watchErrors(page);
    const [set] = await server.db.query<{ code: string }>(`SELECT code FROM datasets WHERE resource_kind = 'telemetry'`);
    setCode = set!.code;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the registered plant: 60 devices with their MQTT topics, data arriving from the simulator', async () => {
    await signIn(page, server.url, 'zg-officer', password('zg-officer'));
    // The overview shows the live plant.
    await page.getByTestId('overview-plants').getByText('鞍钢集团朝阳钢铁有限公司').waitFor();
    await page.getByRole('menuitem', { name: '工业数据' }).click();
    await expect.poll(() => page.getByTestId('tel-enterprise').textContent()).toBe('cysteel');
    await page.getByText('plant/cysteel/BF1-D01/telemetry').waitFor();
    await expect.poll(async () => (await server.db.query(`SELECT 1 FROM telemetry_devices WHERE last_seen_at > now() - interval '1 minute'`)).length).toBe(60);
    await screenshot(page, 'telemetry-registry');
  });

  it("charts a device's points live", async () => {
    await page.getByRole('tab', { name: '实时曲线' }).click();
    await page.getByTestId('tel-live-chart-temp').waitFor();
    await page.getByTestId('tel-live-chart-vibration').waitFor();
    await screenshot(page, 'telemetry-live');
  });

  it('finds the injected faults: over-range temperature and a stuck thermometer', async () => {
    const events = async (kind: string) =>
      (
        await server.db.query<{ code: string }>(
          `SELECT d.code FROM telemetry_quality_events e JOIN telemetry_devices d ON d.id = e.device_id WHERE e.kind = $1`,
          [kind],
        )
      ).map((r) => r.code);
    await expect.poll(() => events('out_of_range')).toContain('BOF2-D15');
    await expect.poll(() => events('stuck')).toContain('BF1-D03');
    await page.getByRole('tab', { name: '数据质量' }).click();
    const table = page.getByTestId('tel-quality-events');
    await table.getByText('BOF2-D15').first().waitFor();
    await table.getByText('数值僵死').first().waitFor();
    await page.getByTestId('tel-quality-lines').getByText('1号高炉').waitFor();
    await screenshot(page, 'telemetry-quality');
  });

  it('shows the ingestion status: points per second and the write buffer', async () => {
    await page.getByRole('tab', { name: '接入状态' }).click();
    await expect
      .poll(async () => Number((await page.getByTestId('tel-status-pps').locator('.ant-statistic-content-value').textContent())?.replace(/,/g, '')))
      .toBeGreaterThan(0);
    await page.getByTestId('tel-status-chart').waitFor();
    await screenshot(page, 'telemetry-status');
  });

  it('lists the telemetry set in the catalogue with how to read it', async () => {
    await page.goto(`${server.url}/catalog/${setCode}`);
    await page.getByTestId('telemetry-kind').waitFor();
    await expect.poll(() => page.getByTestId('telemetry-hint').textContent()).toContain(`/api/v1/series/${setCode}/points`);
    // The 600 points are 信息项 in pages of 50, so the page draws at once.
    const points = page.getByTestId('columns-table');
    await expect.poll(() => points.locator('tr.ant-table-row').count()).toBe(50);
    expect(await page.getByText('共 600 个信息项').count()).toBe(1);
    await screenshot(page, 'telemetry-catalogue', { fullPage: false });
    expect(errors).toEqual([]);
  });

  it('lets 朝阳城市大脑 read hourly energy roll-ups under its grant, and nothing finer', async () => {
    const { cookie } = await sessionHeaders(server.url, 'zy-brain', password('zy-brain'));
    const from = new Date(Date.now() - 6 * 3_600_000).toISOString();
    const hourly = await (
      await fetch(`${server.url}/api/v1/series/${setCode}/points?points=BF1-D01.energy&from=${from}&step=1h&agg=last`, { headers: { cookie } })
    ).json();
    expect(hourly.values.length).toBeGreaterThanOrEqual(5);
    expect(hourly.values.every((v: { point: string }) => v.point === 'BF1-D01.energy')).toBe(true);
    const raw = await fetch(`${server.url}/api/v1/series/${setCode}/points?points=BF1-D01.energy&from=${from}&step=raw`, { headers: { cookie } });
    expect(raw.status).toBe(403);
    const temp = await fetch(`${server.url}/api/v1/series/${setCode}/points?points=BF1-D01.temp&from=${from}`, { headers: { cookie } });
    expect((await temp.json()).error.code).toBe('point_not_granted');
  });
});
