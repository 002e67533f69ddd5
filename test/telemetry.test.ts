/**
 * Industrial telemetry through the real platform (issue 19): registry and device credentials, HTTP
 * ingestion (JSON, NDJSON, CSV, line protocol, InfluxDB /api/v2/write), bad input, duplicates and
 * late samples with correct roll-ups, quarantine of unknown points, quality events, flooding, time
 * partitions and retention, and sharing a telemetry set under a grant with the series API.
 */
import { gzipSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from './helpers/db.ts';
import { ADMIN_PASSWORDS, multipart, provisionUser, startTestApp, type Client, type TestApp } from './helpers/api.ts';

const hourAgo = () => Math.floor((Date.now() - 3_600_000) / 3_600_000) * 3_600_000;

describeEachBackend('telemetry', ({ backend, use }) => {
  let t: TestApp;
  let officer: Client;
  let consumer: Client;
  let consumerUser: { id: string };
  let other: Client;
  let secadmin: Client;
  let auditor: Client;
  let token: string;
  let device: Client;
  let keyClient: Client;

  const send = (body: string, type: string, extra: Record<string, string> = {}, url = '/api/v1/telemetry') =>
    t.anonymous.call('POST', url, body, { 'content-type': type, authorization: `Token ${token}`, ...extra });
  const samples = async (dev: string, point: string, since: number, step = 'raw') =>
    (await officer.call('GET', `/api/v1/telemetry/devices/${dev}/points/${point}/samples?since=${since}&step=${step}`)).json().items as {
      ts: string;
      value: number;
      min?: number;
      max?: number;
    }[];

  beforeAll(async () => {
    t = await startTestApp(use().db, { PDX_TELEMETRY_ACK_WAIT_MS: '2000' });
    const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    auditor = await t.login('auditor', ADMIN_PASSWORDS.auditor);
    const org = async (name: string, type: string, region: string) => {
      const res = await admin.call('POST', '/api/v1/orgs', { name, type, level: 'city', regionCode: region });
      if (res.statusCode !== 201) throw new Error(res.body);
      return res.json().id as string;
    };
    const steel = await org('鞍钢集团朝阳钢铁有限公司', 'enterprise', '211300');
    const brain = await org('朝阳市城市大脑指挥中心', 'department', '211300');
    const jinzhou = await org('锦州市工信局', 'department', '210700');
    officer = (await provisionUser(t, admin, 'zg-officer', ['data_officer'], steel)).client;
    const c = await provisionUser(t, admin, 'zy-brain', ['consumer'], brain);
    consumer = c.client;
    consumerUser = c;
    other = (await provisionUser(t, admin, 'jz-consumer', ['consumer'], jinzhou)).client;
    const key = await consumer.call('POST', '/api/v1/api-keys', { name: 'brain-app' });
    keyClient = t.withKey(key.json().key);
  });
  afterAll(() => t?.close());

  it('registers plants, lines, devices and points (form, CSV and XLSX sheets), idempotently, for its own enterprise only', async () => {
    const rows = ['D01', 'D02'].flatMap((d) => [
      {
        plant: 'CY',
        plantName: '朝阳钢铁本部',
        line: 'BF1',
        lineName: '1号高炉',
        device: d,
        point: 'temp',
        pointName: '温度',
        unit: '°C',
        min: 0,
        max: 1600,
        samplingMs: 1000,
        level: 2 as const,
      },
      { plant: 'CY', line: 'BF1', device: d, point: 'energy', pointName: '电量', unit: 'kWh', samplingMs: 60_000, level: 1 as const },
    ]);
    const res = await officer.call('POST', '/api/v1/telemetry/registry', { rows });
    expect(res.json()).toEqual({ plants: 1, lines: 1, devices: 2, points: 4, updated: 0 });
    expect((await officer.call('POST', '/api/v1/telemetry/registry', { rows })).json()).toMatchObject({ points: 0, updated: 4 });
    const sheet = multipart(
      'registry.csv',
      Buffer.from(
        '厂区,产线,设备,测点,测点名称,单位,下限,上限,采样间隔ms,分级\nCY,BF1,D01,pressure,压力,kPa,0,600,1000,二级\nCY,BF1,D01,running,运行,,0,1,1000,一级\n',
      ),
    );
    const imported = await officer.call('POST', '/api/v1/telemetry/registry/import', sheet.body, { 'content-type': sheet.contentType });
    expect(imported.json()).toMatchObject({ points: 2 });
    const bad = multipart('registry.csv', Buffer.from('厂区,产线,设备,测点,分级\nCY,BF1,D01,x,四级\n'));
    const refused = await officer.call('POST', '/api/v1/telemetry/registry/import', bad.body, { 'content-type': bad.contentType });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.details).toEqual({ row: 2, field: 'level' });

    const registry = (await officer.call('GET', '/api/v1/telemetry/registry')).json();
    expect(registry.points).toHaveLength(6);

    // The same sheet as XLSX (numbers as numbers, the header in Chinese): updates a point; a bad cell names its row.
    const xlsx = async (rows: unknown[][]) => {
      const book = new ExcelJS.Workbook();
      const sheet = book.addWorksheet('测点');
      sheet.addRow(['厂区', '产线', '设备', '测点', '测点名称', '单位', '下限', '上限', '采样间隔ms', '分级']);
      for (const r of rows) sheet.addRow(r);
      return multipart('registry.xlsx', Buffer.from(await book.xlsx.writeBuffer()));
    };
    const book = await xlsx([['CY', 'BF1', 'D01', 'running', '运行状态', '', 0, 1, 1000, '一级']]);
    expect((await officer.call('POST', '/api/v1/telemetry/registry/import', book.body, { 'content-type': book.contentType })).json()).toEqual({
      plants: 0,
      lines: 0,
      devices: 0,
      points: 0,
      updated: 1,
    });
    const points = (await officer.call('GET', '/api/v1/telemetry/registry')).json().points as { device: string; code: string; name: string }[];
    expect(points.find((p) => p.device === 'D01' && p.code === 'running')).toMatchObject({ name: '运行状态', level: 1, max: 1 });
    const badBook = await xlsx([
      ['CY', 'BF1', 'D01', 'running', '运行状态', '', 0, 1, 1000, '一级'],
      ['CY', 'BF1', 'D01', 'flow', '流量', 'm³/h', 'low', 10, 1000, '一级'],
    ]);
    const badXlsx = await officer.call('POST', '/api/v1/telemetry/registry/import', badBook.body, { 'content-type': badBook.contentType });
    expect(badXlsx.statusCode).toBe(400);
    expect(badXlsx.json().error.details).toEqual({ row: 3, field: 'min' });
    expect((await officer.call('GET', '/api/v1/telemetry/registry')).json().points).toHaveLength(6);
    expect(registry.points.find((p: { device: string; code: string }) => p.device === 'D01' && p.code === 'temp')).toMatchObject({
      level: 2,
      grade: 3,
      unit: '°C',
      min: 0,
      max: 1600,
    });
    for (const c of [consumer, other, secadmin]) expect((await c.call('GET', '/api/v1/telemetry/registry')).statusCode).toBe(403);
    expect((await t.anonymous.call('GET', '/api/v1/telemetry/registry')).statusCode).toBe(401);
  });

  it('issues a device token shown once and stored hashed; wrong tokens are refused and counted', async () => {
    const issued = await officer.call('POST', '/api/v1/telemetry/devices/D01/token');
    expect(issued.statusCode).toBe(201);
    token = issued.json().token;
    expect(issued.json()).toMatchObject({ topic: expect.stringMatching(/^plant\/[a-z0-9-]+\/D01\/telemetry$/) });
    const stored = await t.db.query<{ token_hash: string }>(`SELECT token_hash FROM telemetry_devices WHERE code = 'D01'`);
    expect(stored[0]!.token_hash).not.toContain(token.slice(16));
    expect(JSON.stringify(stored)).not.toContain(token);
    device = t.anonymous;
    const wrong = await t.anonymous.call('POST', '/api/v1/telemetry', '{"point":"temp","value":1}', {
      'content-type': 'application/json',
      authorization: `Token ${token.slice(0, 16)}${'A'.repeat(43)}`,
    });
    expect(wrong.statusCode).toBe(401);
    expect((await t.anonymous.call('POST', '/api/v2/write', 'm v=1', { authorization: 'Token nope' })).json()).toEqual({
      code: 'unauthorized',
      message: expect.any(String),
    });
    // A console session or API key is no device credential.
    expect((await officer.call('POST', '/api/v1/telemetry', '{"point":"temp","value":1}', { 'content-type': 'application/json' })).statusCode).toBe(401);
  });

  it('feeds wrong device tokens over HTTP and the line protocol to the password-guessing detector', async () => {
    await t.services.secops.service.processBatch();
    const guess = (i: number) => `${token.slice(0, 16)}${String(i).padStart(43, 'x')}`;
    for (let i = 0; i < 3; i++)
      expect(
        (
          await t.anonymous.call('POST', '/api/v1/telemetry', '{"point":"temp","value":1}', {
            'content-type': 'application/json',
            authorization: `Token ${guess(i)}`,
          })
        ).statusCode,
      ).toBe(401);
    for (let i = 3; i < 5; i++)
      expect((await t.anonymous.call('POST', '/api/v2/write', 'D01 temp=1', { authorization: `Token ${guess(i)}` })).statusCode).toBe(401);
    const failures = t.events.filter((e) => e.action === 'telemetry.auth' && e.result === 'failure');
    expect(failures.length).toBeGreaterThanOrEqual(5);
    expect(failures.at(-1)).toMatchObject({ actor: { username: expect.stringMatching(/\/D01$/) }, details: { via: 'line', reason: 'bad_token' } });
    expect(JSON.stringify(failures)).not.toContain(guess(0));
    await t.services.secops.service.processBatch();
    const alerts = (await secadmin.call('GET', '/api/v1/secops/alerts?detector=bruteForce')).json().items as { subject: string }[];
    expect(alerts.map((a) => a.subject)).toEqual(expect.arrayContaining([expect.stringMatching(/^user:.+\/D01$/)]));
  });

  it('stores JSON, NDJSON, CSV and line-protocol samples and answers after they are stored', async () => {
    const base = hourAgo();
    const json = await send(
      JSON.stringify([
        { point: 'temp', value: 1180.5, ts: new Date(base).toISOString() },
        { ts: base + 1000, values: { temp: 1181, pressure: 320 } },
      ]),
      'application/json',
    );
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual({ accepted: 3, quarantined: 0 });
    expect((await samples('D01', 'temp', base)).map((s) => s.value)).toEqual([1180.5, 1181]);

    expect(
      (await send(`{"point":"temp","value":1182,"ts":${base + 2000}}\n{"point":"temp","value":1183,"ts":${base + 3000}}\n`, 'application/x-ndjson')).json(),
    ).toEqual({ accepted: 2, quarantined: 0 });
    expect((await send(`point,value,ts\ntemp,1184,${base + 4000}\n`, 'text/csv')).json()).toEqual({ accepted: 1, quarantined: 0 });
    // Telegraf's influxdb_v2 output: gzip, Token auth, precision=s, 204.
    const lines = `D01,unit=°C temp=1185 ${(base + 5000) / 1000}\nD01 temp=1186,pressure=321i ${(base + 6000) / 1000}\n`;
    const influx = await t.anonymous.call('POST', '/api/v2/write?org=cysteel&bucket=plant&precision=s', gzipSync(Buffer.from(lines)), {
      authorization: `Token ${token}`,
      'content-encoding': 'gzip',
      'content-type': 'text/plain; charset=utf-8',
    });
    expect(influx.statusCode).toBe(204);
    expect((await send(`D01 temp=1187 ${(base + 7000) * 1_000_000}`, 'text/plain')).json()).toEqual({ accepted: 1, quarantined: 0 });
    expect((await samples('D01', 'temp', base)).map((s) => s.value)).toEqual([1180.5, 1181, 1182, 1183, 1184, 1185, 1186, 1187]);
    expect((await samples('D01', 'pressure', base)).map((s) => s.value)).toEqual([320, 321]);
  });

  it('refuses a malformed payload whole, names the line and counts it per device with the reason', async () => {
    const base = hourAgo() + 100_000;
    const res = await send(`D01 temp=1 ${base * 1_000_000}\nD01 temp=oops ${(base + 1000) * 1_000_000}\n`, 'text/plain');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'payload_malformed', details: { reason: 'malformed', line: 2 } });
    expect(await samples('D01', 'temp', base)).toEqual([]);
    const influx = await t.anonymous.call('POST', '/api/v2/write?precision=ms', `D01 temp="hot" ${base}`, { authorization: `Token ${token}` });
    expect(influx.statusCode).toBe(400);
    expect(influx.json()).toEqual({ code: 'invalid', message: expect.stringContaining('line 1') });
    expect((await send('{"point":"temp","value":20,"unit":"kPa"}', 'application/json')).json().error.details.reason).toBe('unit_mismatch');
    expect((await send('{"point":"temp","value":20,"ts":"1999-01-01T00:00:00Z"}', 'application/json')).json().error.details.reason).toBe(
      'timestamp_out_of_range',
    );
    const status = (await officer.call('GET', '/api/v1/telemetry/status')).json();
    const reasons = Object.fromEntries(
      status.rejected.filter((r: { device: string | null }) => r.device === 'D01').map((r: { reason: string; count: number }) => [r.reason, r.count]),
    );
    expect(reasons).toMatchObject({ malformed: 1, unsupported_type: 1, unit_mismatch: 1, timestamp_out_of_range: 1 });
    // The wrong secret for D01's token prefix is counted against D01.
    expect(reasons.bad_credentials).toBeGreaterThanOrEqual(1);
  });

  it('keeps one value per point and instant and rolls up late samples correctly', async () => {
    const base = hourAgo() + 600_000;
    await send(JSON.stringify([10, 20, 30].map((v, i) => ({ point: 'temp', value: v, ts: base + i * 1000 }))), 'application/json');
    // A resend (QoS 1 redelivery, a retry) of the same instant with another value is a duplicate.
    await send(JSON.stringify({ point: 'temp', value: 999, ts: base + 1000 }), 'application/json');
    // A late sample in the same minute, and one in an earlier minute of the same hour.
    await send(
      JSON.stringify([
        { point: 'temp', value: 5, ts: base + 500 },
        { point: 'temp', value: 40, ts: base - 120_000 },
      ]),
      'application/json',
    );
    expect((await samples('D01', 'temp', base - 120_000)).filter((s) => Date.parse(s.ts) < base + 3000).map((s) => s.value)).toEqual([40, 10, 5, 20, 30]);
    const minute = (await samples('D01', 'temp', base, '1m'))[0]!;
    expect(minute).toMatchObject({ ts: new Date(base).toISOString(), min: 5, max: 30 });
    expect(minute.value).toBeCloseTo((10 + 5 + 20 + 30) / 4);
    // The hourly roll-up equals the same aggregate computed from the raw samples.
    const ids = (
      await t.db.query<{ id: number }>(
        `SELECT p.id FROM telemetry_points p JOIN telemetry_devices d ON d.id = p.device_id WHERE d.code = 'D01' AND p.code = 'temp'`,
      )
    ).map((r) => r.id);
    const from = new Date(hourAgo());
    const to = new Date(hourAgo() + 3_600_000);
    const repo = t.services.telemetry.service.repo;
    const [fromRaw] = await repo.hourlyFromRaw(ids, from, to);
    const [rolled] = await repo.rollup('telemetry_rollup_1h', ids, from, to, 10);
    expect(rolled).toMatchObject({ min: fromRaw!.min, max: fromRaw!.max, count: fromRaw!.count, last: fromRaw!.last });
    expect(rolled!.avg).toBeCloseTo(fromRaw!.avg);
    const dup = (await officer.call('GET', '/api/v1/telemetry/status')).json().perMinute.reduce((n: number, m: { duplicates: number }) => n + m.duplicates, 0);
    expect(dup).toBeGreaterThanOrEqual(1);
  });

  it('quarantines unknown points, lists them, and moves them into history once registered', async () => {
    const base = hourAgo() + 900_000;
    const res = await send(
      JSON.stringify([
        { point: 'temp', value: 1100, ts: base },
        { point: 'oxygen', value: 21, ts: base, unit: '%' },
        { point: 'oxygen', value: 20.9, ts: base + 1000, unit: '%' },
      ]),
      'application/json',
    );
    expect(res.json()).toEqual({ accepted: 1, quarantined: 2 });
    const unknown = (await officer.call('GET', '/api/v1/telemetry/unknown-points')).json().items;
    expect(unknown).toEqual([expect.objectContaining({ device: 'D01', point: 'oxygen', unit: '%', samples: 2 })]);
    const events = (await officer.call('GET', '/api/v1/telemetry/quality/events?kind=unknown_point')).json().items;
    expect(events[0]).toMatchObject({ device: 'D01', details: { point: 'oxygen' } });
    await officer.call('POST', '/api/v1/telemetry/registry', { rows: [{ plant: 'CY', line: 'BF1', device: 'D01', point: 'oxygen', unit: '%', level: 1 }] });
    expect((await samples('D01', 'oxygen', base)).map((s) => s.value)).toEqual([21, 20.9]);
    expect((await officer.call('GET', '/api/v1/telemetry/unknown-points')).json().items).toEqual([]);
  });

  it('summarises connected plants for the overview: counts only, for any signed-in user', async () => {
    const items = (await consumer.call('GET', '/api/v1/telemetry/summary')).json().items;
    expect(items).toEqual([expect.objectContaining({ enterprise: '鞍钢集团朝阳钢铁有限公司', devices: 2, liveDevices: 1, openEvents: expect.any(Number) })]);
    expect(Object.keys(items[0]).sort()).toEqual(['devices', 'enterprise', 'liveDevices', 'openEvents', 'pointsLastMinute']);
    expect((await t.anonymous.call('GET', '/api/v1/telemetry/summary')).statusCode).toBe(401);
  });

  it('auto-registers unknown points when the enterprise allows it', async () => {
    await officer.call('PUT', '/api/v1/telemetry/settings', { autoRegister: true });
    expect((await send('{"point":"humidity","value":40,"unit":"%"}', 'application/json')).json()).toEqual({ accepted: 1, quarantined: 0 });
    const registry = (await officer.call('GET', '/api/v1/telemetry/registry')).json();
    expect(registry.points.find((p: { code: string }) => p.code === 'humidity')).toMatchObject({ autoRegistered: true, unit: '%' });
    await officer.call('PUT', '/api/v1/telemetry/settings', { autoRegister: false });
  });

  it('finds out-of-range values and a stuck sensor, scores the points and lists the events', async () => {
    const base = Date.now() - 120_000;
    const values = Array.from({ length: 40 }, (_, i) => ({ point: 'pressure', value: i < 2 ? 700 : 300, ts: base + i * 1000 }));
    await send(JSON.stringify(values), 'application/json');
    const events = (await officer.call('GET', '/api/v1/telemetry/quality/events?device=D01')).json().items as {
      kind: string;
      point: string;
      samples: number;
    }[];
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'out_of_range', point: 'pressure', samples: 2 }),
        expect.objectContaining({ kind: 'stuck', point: 'pressure' }),
      ]),
    );
    const quality = (await officer.call('GET', '/api/v1/telemetry/quality?hours=1')).json();
    expect(quality.devices.find((d: { code: string }) => d.code === 'D01')).toMatchObject({ score: expect.any(Number), openEvents: expect.any(Number) });
    expect(quality.lines).toEqual([expect.objectContaining({ line: 'BF1', score: expect.any(Number) })]);
    expect(quality.points.every((p: { score: number }) => p.score >= 0 && p.score <= 100)).toBe(true);
    expect((await consumer.call('GET', '/api/v1/telemetry/quality')).statusCode).toBe(403);
  });

  it('throttles a device flooding beyond its rate and raises an alert', async () => {
    await t.services.secops.service.processBatch();
    await officer.call('PATCH', '/api/v1/telemetry/devices/D01', { maxPointsPerSecond: 5 });
    const base = Date.now() - 60_000;
    const flood = await send(JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ point: 'temp', value: 1000, ts: base + i }))), 'application/json');
    expect(flood.statusCode).toBe(429);
    expect(flood.headers['retry-after']).toBeDefined();
    expect(flood.json().error.message).toMatch(/速率/);
    await t.services.secops.service.processBatch();
    const alerts = (await secadmin.call('GET', '/api/v1/secops/alerts?detector=telemetryFlood')).json().items;
    expect(alerts).toEqual([expect.objectContaining({ detector: 'telemetryFlood', state: 'open' })]);
    await officer.call('PATCH', '/api/v1/telemetry/devices/D01', { maxPointsPerSecond: 2000 });
  });

  it('makes daily partitions ahead and drops those past the retention of every level', async () => {
    await t.services.telemetry.service.maintain();
    const names = (
      await t.db.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry_raw'`,
      )
    ).map((r) => r.name);
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
    expect(names).toEqual(expect.arrayContaining([`telemetry_raw_p${today}`, `telemetry_raw_p${tomorrow}`]));
    const old = Date.now() - 40 * 86_400_000;
    await t.services.telemetry.service.ensurePartitions([old * 1000]);
    const oldName = `telemetry_raw_p${new Date(old).toISOString().slice(0, 10).replaceAll('-', '')}`;
    expect((await t.db.query(`SELECT 1 FROM pg_class WHERE relname = $1`, [oldName])).length).toBe(1);
    const { dropped } = await t.services.telemetry.service.applyRetention();
    expect(dropped).toContain(oldName);
    expect(dropped).not.toContain(`telemetry_raw_p${today}`);
    expect(
      (
        await secadmin.call('PUT', '/api/v1/telemetry/retention', {
          1: { raw: 7, minute: 90, hour: 365 },
          2: { raw: 7, minute: 90, hour: 365 },
          3: { raw: 3, minute: 30, hour: 365 },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await officer.call('PUT', '/api/v1/telemetry/retention', {
          1: { raw: 7, minute: 90, hour: 365 },
          2: { raw: 7, minute: 90, hour: 365 },
          3: { raw: 3, minute: 30, hour: 365 },
        })
      ).statusCode,
    ).toBe(403);
    expect((await officer.call('GET', '/api/v1/telemetry/retention')).json()[3]).toEqual({ raw: 3, minute: 30, hour: 365 });

    // Retention per grade inside a partition kept for the others: raw samples of a 二级 point kept
    // 3 days go after 3 days, while a 一级 point's samples of the same day stay (kept 7).
    const keep = { 1: { raw: 7, minute: 90, hour: 365 }, 2: { raw: 3, minute: 90, hour: 365 }, 3: { raw: 3, minute: 30, hour: 365 } };
    expect((await secadmin.call('PUT', '/api/v1/telemetry/retention', keep)).statusCode).toBe(200);
    const fiveDaysAgo = Date.now() - 5 * 86_400_000;
    await t.services.telemetry.service.ensurePartitions([fiveDaysAgo * 1000]);
    const ids = await t.db.query<{ code: string; id: number }>(
      `SELECT p.code, p.id FROM telemetry_points p JOIN telemetry_devices d ON d.id = p.device_id WHERE d.code = 'D01' AND p.code IN ('temp', 'energy')`,
    );
    for (const { id } of ids) await t.db.query('INSERT INTO telemetry_raw (point_id, ts, value) VALUES ($1, $2, 1)', [id, new Date(fiveDaysAgo)]);
    await t.services.telemetry.service.applyRetention();
    const left = await t.db.query<{ code: string }>(
      'SELECT p.code FROM telemetry_raw r JOIN telemetry_points p ON p.id = r.point_id WHERE r.ts = $1 AND r.point_id = ANY($2::int[]) ORDER BY p.code',
      [new Date(fiveDaysAgo), ids.map((i) => i.id)],
    );
    expect(left.map((r) => r.code)).toEqual(['energy']);
    const back = { 1: { raw: 7, minute: 90, hour: 365 }, 2: { raw: 7, minute: 90, hour: 365 }, 3: { raw: 3, minute: 30, hour: 365 } };
    expect((await secadmin.call('PUT', '/api/v1/telemetry/retention', back)).statusCode).toBe(200);
  });

  it("keeps roll-ups past the raw retention, deletes each table's rows past their own, and refuses roll-ups kept shorter than raw", async () => {
    const shorter = { 1: { raw: 7, minute: 3, hour: 365 }, 2: { raw: 7, minute: 90, hour: 365 }, 3: { raw: 3, minute: 30, hour: 365 } };
    const refused = await secadmin.call('PUT', '/api/v1/telemetry/retention', shorter);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toMatchObject({ code: 'retention_order', details: { field: '1.minute' }, message: expect.stringMatching(/分钟汇总/) });
    expect((await officer.call('GET', '/api/v1/telemetry/retention')).json()[1]).toEqual({ raw: 7, minute: 90, hour: 365 });

    // A 一级 energy reading five days old, sent as a device would: raw, 1-minute and 1-hour rows.
    const old = Math.floor((Date.now() - 5 * 86_400_000) / 1000) * 1000;
    expect((await send(JSON.stringify({ point: 'energy', value: 4242, ts: old }), 'application/json')).json()).toEqual({ accepted: 1, quarantined: 0 });
    const [energy] = await t.db.query<{ id: number }>(
      `SELECT p.id FROM telemetry_points p JOIN telemetry_devices d ON d.id = p.device_id WHERE d.code = 'D01' AND p.code = 'energy'`,
    );
    const rows = async () => {
      const count = async (sql: string) => Number((await t.db.query<{ n: string }>(sql, [energy!.id, new Date(old)]))[0]!.n);
      return {
        raw: await count('SELECT count(*) AS n FROM telemetry_raw WHERE point_id = $1 AND ts = $2'),
        minute: await count(`SELECT count(*) AS n FROM telemetry_rollup_1m WHERE point_id = $1 AND bucket = date_trunc('minute', $2::timestamptz)`),
        hour: await count(`SELECT count(*) AS n FROM telemetry_rollup_1h WHERE point_id = $1 AND bucket = date_trunc('hour', $2::timestamptz) AND max = 4242`),
      };
    };
    expect(await rows()).toEqual({ raw: 1, minute: 1, hour: 1 });

    // Every level: raw 2 days, 1-minute 4, 1-hour a year. The upkeep drops the raw day and deletes the
    // 1-minute rows past 4 days from the month's partition it keeps; the hourly roll-up stays.
    const keep = { raw: 2, minute: 4, hour: 365 };
    expect((await secadmin.call('PUT', '/api/v1/telemetry/retention', { 1: keep, 2: keep, 3: keep })).statusCode).toBe(200);
    await t.services.telemetry.service.maintain();
    expect(await rows()).toEqual({ raw: 0, minute: 0, hour: 1 });
    const oldDay = `telemetry_raw_p${new Date(old).toISOString().slice(0, 10).replaceAll('-', '')}`;
    expect(await t.db.query('SELECT 1 FROM pg_class WHERE relname = $1', [oldDay])).toEqual([]);
    // The roll-up is still read where the raw samples are gone.
    expect((await samples('D01', 'energy', old - 3_600_000, '1h')).some((s) => s.max === 4242)).toBe(true);

    const back = { 1: { raw: 7, minute: 90, hour: 365 }, 2: { raw: 7, minute: 90, hour: 365 }, 3: { raw: 3, minute: 30, hour: 365 } };
    expect((await secadmin.call('PUT', '/api/v1/telemetry/retention', back)).statusCode).toBe(200);
  });

  let setCode: string;
  let grantId: string;

  it('shares a telemetry set through the catalogue: request with a resolution, approval, grant', async () => {
    const created = await officer.call('POST', '/api/v1/telemetry/sets', { name: '朝阳钢铁1号高炉测点', summary: '1号高炉测点' });
    expect(created.statusCode).toBe(201);
    setCode = created.json().code;
    expect(created.json()).toMatchObject({ resourceKind: 'telemetry', format: '时序数据', grade: 3 });
    const columns = (await officer.call('GET', `/api/v1/datasets/${setCode}/columns`)).json().items;
    expect(columns.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['D01.temp', 'D01.energy', 'D02.temp']));
    expect((await officer.call('POST', `/api/v1/datasets/${setCode}/publish`)).statusCode).toBe(200);
    // A telemetry set takes no file versions.
    const upload = multipart('x.csv', Buffer.from('a,b\n1,2\n'));
    expect((await officer.call('POST', `/api/v1/datasets/${setCode}/versions`, upload.body, { 'content-type': upload.contentType })).json().error.code).toBe(
      'not_a_table',
    );

    const noSeries = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: setCode,
      columns: ['D01.temp'],
      purpose: '能耗监测',
      purposeCategory: 'regulation',
      legalBasis: '条例',
      endDate: '2099-12-31',
    });
    expect(noSeries.json().error.code).toBe('series_required');
    const req = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: setCode,
      columns: ['D01.temp', 'D01.pressure'],
      purpose: '城市大脑能耗与运行监测',
      purposeCategory: 'regulation',
      legalBasis: '《辽宁省大数据发展条例》',
      endDate: '2099-12-31',
      series: { resolution: '1m', devices: ['D02'] },
    });
    expect(req.statusCode).toBe(201);
    const id = req.json().id;
    const finer = await officer.call('POST', `/api/v1/share/requests/${id}/approve`, {
      columns: [{ name: 'D01.temp', mode: 'clear' }],
      series: { resolution: 'raw' },
    });
    expect(finer.json().error.code).toBe('invalid_series_terms');
    const masked = await officer.call('POST', `/api/v1/share/requests/${id}/approve`, {
      columns: [{ name: 'D01.temp', mode: 'masked' }],
      series: { resolution: '1h' },
    });
    expect(masked.json().error.code).toBe('mode_not_applicable');
    const approved = await officer.call('POST', `/api/v1/share/requests/${id}/approve`, {
      columns: [
        { name: 'D01.temp', mode: 'clear' },
        { name: 'D01.pressure', mode: 'hidden' },
      ],
      series: { resolution: '1h', devices: ['D02'] },
      requestsPerMinute: 100,
    });
    expect(approved.json()).toMatchObject({
      state: 'active',
      series: { resolution: '1m', devices: ['D02'] },
      terms: { series: { resolution: '1h', devices: ['D02'] } },
    });
    grantId = approved.json().grantId;
    expect((await consumer.call('GET', `/api/v1/share/grants/${grantId}`)).json().series).toEqual({ resolution: '1h', devices: ['D02'] });
  });

  it('reads granted points at the granted resolution, in JSON, NDJSON and CSV, audited before the answer', async () => {
    const from = new Date(hourAgo()).toISOString();
    const url = `/api/v1/series/${setCode}/points?points=D01.temp&from=${from}&step=1h&agg=max`;
    const res = await keyClient.call('GET', url);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ step: '1h', agg: 'max', grantId, points: [{ name: 'D01.temp', label: '温度(°C)' }] });
    expect(body.values[0]).toMatchObject({ point: 'D01.temp', ts: new Date(hourAgo()).toISOString(), value: 1187 });
    const read = t.events.filter((e) => e.action === 'data.read' && e.dataset === setCode).at(-1)!;
    expect(read.details).toMatchObject({ columns: [{ name: 'D01.temp', mode: 'clear' }], rowCount: body.values.length, grantId });
    expect(
      (await keyClient.call('GET', url, undefined, { accept: 'application/x-ndjson' })).body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).point),
    ).toEqual(body.values.map(() => 'D01.temp'));
    expect((await keyClient.call('GET', url, undefined, { accept: 'text/csv' })).body.split('\r\n')[0]).toBe('point,ts,value');
    // D02 is granted as a device: all its points.
    expect((await keyClient.call('GET', `/api/v1/series/${setCode}/access`)).json()).toMatchObject({
      resolution: '1h',
      devices: ['D02'],
      points: expect.arrayContaining([{ name: 'D02.temp', label: '温度(°C)' }]),
    });
    expect((await keyClient.call('GET', `/api/v1/series/${setCode}/points?points=D02.energy&from=${from}`)).statusCode).toBe(200);
  });

  it('streams new values of granted points live (server-sent events), each push audited', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address() as { port: number };
    const key = keyClient.headers.authorization!;
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${address.port}/api/v1/series/${setCode}/live?points=D01.temp`, {
      headers: { authorization: key },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    // A new sample moves the current hour's roll-up: the stream sends the bucket again.
    await send(JSON.stringify({ point: 'temp', value: 1500, ts: Date.now() - 1000 }), 'application/json');
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    const pushed: { point: string; ts: string; value: number }[] = [];
    while (!pushed.some((v) => v.ts === hour)) {
      text += new TextDecoder().decode((await reader.read()).value);
      for (const m of text.matchAll(/event: values\ndata: (.*)\n/g)) pushed.push(...JSON.parse(m[1]!));
      text = text.slice(text.lastIndexOf('\n\n') + 2);
    }
    expect(pushed.every((v) => v.point === 'D01.temp')).toBe(true);
    controller.abort();
    expect(t.events.some((e) => e.action === 'data.read' && e.dataset === setCode && (e.details?.series as { live?: boolean })?.live === true)).toBe(true);
    // A step finer than the grant is refused before the stream starts.
    expect((await fetch(`http://127.0.0.1:${address.port}/api/v1/series/${setCode}/live?step=raw`, { headers: { authorization: key } })).status).toBe(403);
  });

  it('refuses what the grant does not allow: finer steps, other points, no grant, the records API, a revoked grant', async () => {
    const from = new Date(hourAgo()).toISOString();
    const raw = await keyClient.call('GET', `/api/v1/series/${setCode}/points?points=D01.temp&from=${from}&step=raw`);
    expect(raw.statusCode).toBe(403);
    expect(raw.json().error.code).toBe('resolution_not_granted');
    const hidden = await keyClient.call('GET', `/api/v1/series/${setCode}/points?points=D01.pressure&from=${from}`);
    expect(hidden.json().error).toMatchObject({ code: 'point_not_granted', details: { point: 'D01.pressure' } });
    expect((await other.call('GET', `/api/v1/series/${setCode}/points?from=${from}`)).json().error.code).toBe('no_grant');
    expect((await keyClient.call('GET', `/api/v1/datasets/${setCode}/records`)).json().error.code).toBe('wrong_resource_kind');
    expect((await t.anonymous.call('GET', `/api/v1/series/${setCode}/points?from=${from}`)).statusCode).toBe(401);
    // Containment by the security administrator holds on series too (query and live stream), until lifted.
    const points = `/api/v1/series/${setCode}/points?points=D01.temp&from=${from}&step=1h`;
    expect((await keyClient.call('GET', points)).statusCode).toBe(200);
    const hold = await secadmin.call('POST', '/api/v1/secops/containments', { kind: 'suspend_grant', targetId: grantId, reason: '安全处置测试' });
    expect(hold.statusCode, hold.body).toBe(201);
    const contained = await keyClient.call('GET', points);
    expect(contained.statusCode).toBe(403);
    expect(contained.json().error.code).toBe('contained');
    expect((await keyClient.call('GET', `/api/v1/series/${setCode}/live?points=D01.temp`)).json().error.code).toBe('contained');
    expect((await secadmin.call('POST', `/api/v1/secops/containments/${hold.json().id}/lift`, { reason: '解除处置' })).statusCode).toBe(200);
    expect((await keyClient.call('GET', points)).statusCode).toBe(200);
    expect((await officer.call('POST', `/api/v1/share/grants/${grantId}/revoke`, { reason: '监测任务结束' })).statusCode).toBe(200);
    expect((await keyClient.call('GET', `/api/v1/series/${setCode}/points?from=${from}`)).json().error.code).toBe('grant_revoked');
    const denied = t.events.filter((e) => e.action === 'access.denied' && e.dataset === setCode).map((e) => e.details?.reason);
    expect(denied).toEqual(expect.arrayContaining(['no_grant', 'grant_revoked', 'wrong_resource_kind']));
    void auditor;
    void consumerUser;
    void device;
  });

  it("keeps reads inside the grant's window of data time and its daily value quota", async () => {
    // A new grant on the same set: hourly roll-ups of D01.temp, data time up to the start of this hour, one value a day.
    const thisHour = hourAgo() + 3_600_000;
    const req = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: setCode,
      columns: ['D01.temp'],
      purpose: '城市大脑能耗与运行监测（上一小时）',
      purposeCategory: 'regulation',
      legalBasis: '《辽宁省大数据发展条例》',
      endDate: '2099-12-31',
      series: { resolution: '1h', to: new Date(thisHour).toISOString() },
    });
    expect(req.statusCode, req.body).toBe(201);
    // The provider cannot widen the window it was asked for.
    const wider = await officer.call('POST', `/api/v1/share/requests/${req.json().id}/approve`, {
      columns: [{ name: 'D01.temp', mode: 'clear' }],
      series: { resolution: '1h' },
    });
    expect(wider.json().error).toMatchObject({ code: 'invalid_series_terms', details: { field: 'series.to' } });
    const approved = await officer.call('POST', `/api/v1/share/requests/${req.json().id}/approve`, {
      columns: [{ name: 'D01.temp', mode: 'clear' }],
      series: { resolution: '1h', to: new Date(thisHour).toISOString() },
      rowsPerDay: 1,
    });
    expect(approved.json()).toMatchObject({ state: 'active' });

    // Values exist in the last hour and in this one (the live test's sample); only the last hour's bucket is granted.
    const url = `/api/v1/series/${setCode}/points?points=D01.temp&from=${new Date(hourAgo()).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}&step=1h&agg=max`;
    const first = await keyClient.call('GET', url);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().values.map((v: { ts: string }) => v.ts)).toEqual([new Date(hourAgo()).toISOString()]);
    // The day's one value is used: the next read is refused until tomorrow, and says so.
    const second = await keyClient.call('GET', url);
    expect(second.statusCode).toBe(429);
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
  });

  it.runIf(backend === 'postgres')('makes a sender wait while the database is blocked, then tells it to retry, and stores the retry once', async () => {
    const client = new pg.Client(use().url);
    await client.connect();
    try {
      const base = Date.now() - 30_000;
      const body = JSON.stringify({ point: 'temp', value: 77, ts: base });
      // Another session holds the point's quality state: the write transaction cannot finish.
      const [point] = await t.db.query<{ id: number }>(
        `SELECT p.id FROM telemetry_points p JOIN telemetry_devices d ON d.id = p.device_id WHERE d.code = 'D01' AND p.code = 'temp'`,
      );
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM telemetry_point_state WHERE point_id = $1 FOR UPDATE', [point!.id]);
      const blocked = await send(body, 'application/json');
      expect(blocked.statusCode).toBe(503);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      await client.query('ROLLBACK');
      await t.services.telemetry.service.writer.drain();
      const retry = await send(body, 'application/json');
      expect(retry.statusCode).toBe(200);
      expect((await samples('D01', 'temp', base)).filter((s) => s.value === 77)).toHaveLength(1);
    } finally {
      await client.end();
    }
  });
});
