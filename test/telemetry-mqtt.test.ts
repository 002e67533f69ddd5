/**
 * Telemetry over MQTT (issue 19): pdx's own broker (MQTT 3.1.1 and 5) authenticating each device
 * and letting it publish only under its own topics, QoS 1 acknowledged only once stored, failed
 * sign-ins feeding the password-guessing detector; and the external-broker mode against a real
 * Mosquitto started here.
 */
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from './helpers/db.ts';
import { ADMIN_PASSWORDS, provisionUser, startTestApp, type Client, type TestApp } from './helpers/api.ts';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.ts';

describeEachBackend('telemetry over MQTT', ({ backend, use }) => {
  let t: TestApp;
  let mosquitto: Mosquitto;
  let officer: Client;
  let secadmin: Client;
  let port: number;
  const tokens: Record<string, { token: string; username: string; topic: string }> = {};
  const clients: MqttClient[] = [];

  const connect = async (username: string, password: string, protocolVersion: 4 | 5 = 4, reconnectPeriod = 0) => {
    const c = await mqtt.connectAsync({ host: '127.0.0.1', port, username, password, protocolVersion, reconnectPeriod, connectTimeout: 20_000 });
    clients.push(c);
    return c;
  };
  const stored = async (device: string, point: string) =>
    (await officer.call('GET', `/api/v1/telemetry/devices/${device}/points/${point}/samples?since=${Date.now() - 3_600_000}`)).json().items as {
      ts: string;
      value: number;
    }[];

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    t = await startTestApp(use().db, { PDX_MQTT_EXTERNAL_URL: mosquitto.url, PDX_TELEMETRY_ACK_WAIT_MS: '2000' });
    const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    const res = await admin.call('POST', '/api/v1/orgs', { name: '鞍钢集团朝阳钢铁有限公司', type: 'enterprise', level: 'city', regionCode: '211300' });
    officer = (await provisionUser(t, admin, 'zg-officer', ['data_officer'], res.json().id)).client;
    await officer.call('PUT', '/api/v1/telemetry/settings', { enterpriseCode: 'cysteel' });
    await officer.call('POST', '/api/v1/telemetry/registry', {
      rows: ['D01', 'D02'].flatMap((device) =>
        ['temp', 'pressure'].map((point) => ({
          plant: 'CY',
          line: 'BF1',
          device,
          point,
          unit: point === 'temp' ? '°C' : 'kPa',
          min: 0,
          max: 2000,
          samplingMs: 1000,
        })),
      ),
    });
    for (const d of ['D01', 'D02']) tokens[d] = (await officer.call('POST', `/api/v1/telemetry/devices/${d}/token`)).json();
    await t.services.telemetry.start({ mqttPort: 0 });
    port = t.services.telemetry.brokerPort()!;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
    await t?.services.telemetry.stop();
    await t?.close();
    await mosquitto?.stop();
  });

  it('acknowledges a QoS 1 publish only once the samples are stored (MQTT 3.1.1 JSON and 5 line protocol)', async () => {
    const d01 = tokens.D01!;
    expect(d01).toMatchObject({ username: 'cysteel/D01', topic: 'plant/cysteel/D01/telemetry' });
    const v3 = await connect(d01.username, d01.token, 4);
    const ts = Date.now() - 5000;
    await v3.publishAsync(d01.topic, JSON.stringify({ ts, values: { temp: 1180.5, pressure: 320 } }), { qos: 1 });
    // The PUBACK has arrived: the samples are already readable.
    expect((await stored('D01', 'temp')).map((s) => s.value)).toEqual([1180.5]);
    const v5 = await connect(d01.username, d01.token, 5);
    await v5.publishAsync(d01.topic, `D01 temp=1181.5 ${(ts + 1000) * 1_000_000}`, { qos: 1 });
    expect((await stored('D01', 'temp')).map((s) => s.value)).toEqual([1180.5, 1181.5]);
    // QoS 0 is stored too, without an acknowledgement to wait for.
    await v3.publishAsync(d01.topic, JSON.stringify({ ts: ts + 2000, values: { temp: 1182.5 } }), { qos: 0 });
    await expect.poll(async () => (await stored('D01', 'temp')).length).toBe(3);
  });

  it('lets a device publish and subscribe only under its own topics', async () => {
    const d01 = tokens.D01!;
    const v5 = await connect(d01.username, d01.token, 5);
    // MQTT 5: a refusing PUBACK (0x87 not authorized), the connection stays.
    await expect(v5.publishAsync(tokens.D02!.topic, JSON.stringify({ values: { temp: 1 } }), { qos: 1 })).rejects.toThrow();
    expect(v5.connected).toBe(true);
    // Another device's topics: refused in the SUBACK; its own: granted.
    await expect(v5.subscribeAsync('plant/cysteel/D02/#', { qos: 1 })).rejects.toThrow(/Not authorized/);
    expect((await v5.subscribeAsync('plant/cysteel/D01/commands', { qos: 1 })).map((g) => g.qos)).toEqual([1]);
    expect(v5.connected).toBe(true);
    expect(await stored('D02', 'temp')).toEqual([]);
    // MQTT 3.1.1 has no refusing acknowledgement: the broker closes the connection.
    const v3 = await connect(d01.username, d01.token, 4);
    const closed = new Promise<void>((resolve) => v3.once('close', () => resolve()));
    v3.publish(tokens.D02!.topic, JSON.stringify({ values: { temp: 1 } }), { qos: 1 });
    await closed;
    expect(await stored('D02', 'temp')).toEqual([]);
  });

  it('refuses a malformed payload with its reason, counted per device', async () => {
    const d01 = tokens.D01!;
    const v5 = await connect(d01.username, d01.token, 5);
    await expect(v5.publishAsync(d01.topic, 'D01 temp=hot', { qos: 1 })).rejects.toThrow();
    const v3 = await connect(d01.username, d01.token, 4);
    await v3.publishAsync(d01.topic, '{"values":{"temp":"hot"}}', { qos: 1 });
    const rejected = (await officer.call('GET', '/api/v1/telemetry/status')).json().rejected as { device: string; reason: string; count: number }[];
    expect(rejected).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ device: 'D01', reason: 'malformed' }),
        expect.objectContaining({ device: 'D01', reason: 'invalid_value' }),
      ]),
    );
  });

  it('refuses bad credentials and feeds failed sign-ins to the password-guessing detector', async () => {
    await t.services.secops.service.processBatch();
    for (let i = 0; i < 5; i++) {
      await expect(connect('cysteel/D01', `guess-${i}`, 4)).rejects.toThrow(/Bad username or password|Not authorized/i);
    }
    await expect(connect('cysteel/D02', tokens.D01!.token, 4)).rejects.toThrow();
    const failures = t.events.filter((e) => e.action === 'telemetry.auth' && e.result === 'failure');
    expect(failures.length).toBeGreaterThanOrEqual(6);
    expect(failures[0]).toMatchObject({ actor: { username: 'cysteel/D01' }, ip: expect.any(String) });
    await t.services.secops.service.processBatch();
    const alerts = (await secadmin.call('GET', '/api/v1/secops/alerts?detector=bruteForce')).json().items as { subject: string }[];
    expect(alerts.map((a) => a.subject)).toEqual(expect.arrayContaining(['user:cysteel/D01']));
  });

  it('subscribes to an external broker (Mosquitto) and stores what devices publish there', async () => {
    const device = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 4, clientId: 'gw-D02', reconnectPeriod: 0 });
    clients.push(device);
    const ts = Date.now() - 3000;
    await device.publishAsync(
      'plant/cysteel/D02/telemetry',
      JSON.stringify([
        { point: 'temp', value: 900.25, ts },
        { point: 'pressure', value: 280, ts },
      ]),
      { qos: 1 },
    );
    await expect.poll(async () => (await stored('D02', 'temp')).map((s) => s.value)).toEqual([900.25]);
    expect((await stored('D02', 'pressure')).map((s) => s.value)).toEqual([280]);
    // A device the registry does not know is counted, not stored.
    await device.publishAsync('plant/cysteel/NOPE/telemetry', JSON.stringify({ values: { temp: 1 } }), { qos: 1 });
    await expect.poll(async () => (await officer.call('GET', '/api/v1/telemetry/status')).json().perMinute.length).toBeGreaterThan(0);
  });
  it('external broker: takes messages in parallel, so many share one write transaction', async () => {
    const writer = t.services.telemetry.service.writer;
    const gateway = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 4, clientId: 'gw-many', reconnectPeriod: 0 });
    clients.push(gateway);
    const ts = Date.now() - 50_000;
    const before = writer.stats().batches;
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        gateway.publishAsync('plant/cysteel/D02/telemetry', JSON.stringify({ point: 'pressure', value: 1000 + i, ts: ts + i * 1000 }), { qos: 1 }),
      ),
    );
    await expect.poll(async () => (await stored('D02', 'pressure')).filter((s) => s.value >= 1000 && s.value < 1040).length).toBe(40);
    // One subscriber took one message per transaction (40 batches).
    expect(writer.stats().batches - before).toBeLessThanOrEqual(20);
  });

  it('slows down a device publishing beyond its rate, disconnects it past the bound without a PUBACK, and raises an alert', async () => {
    await t.services.secops.service.processBatch();
    expect((await officer.call('PATCH', '/api/v1/telemetry/devices/D02', { maxPointsPerSecond: 5 })).statusCode).toBe(200);
    const d02 = tokens.D02!;
    const c = await connect(d02.username, d02.token, 4);
    const base = Date.now() - 600_000;
    const batch = (n: number, value: number) =>
      JSON.stringify(Array.from({ length: n }, (_, i) => ({ point: 'pressure', value, ts: base + i * 1000 + (value % 1000) })));
    // 12 samples against a burst of 10 at 5/s: held back a moment, then stored and acknowledged.
    await c.publishAsync(d02.topic, batch(12, 101), { qos: 1 });
    expect((await stored('D02', 'pressure')).filter((s) => s.value === 101)).toHaveLength(12);
    // 50 more would take 10 s at its rate, past the broker's 5 s of slowing down: the connection is
    // closed without a PUBACK (the device keeps the message) and nothing of it is stored.
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish(d02.topic, batch(50, 202), { qos: 1 });
    await closed;
    expect((await stored('D02', 'pressure')).filter((s) => s.value === 202)).toEqual([]);
    const rejected = (await officer.call('GET', '/api/v1/telemetry/status')).json().rejected as { device: string; reason: string }[];
    expect(rejected).toEqual(expect.arrayContaining([expect.objectContaining({ device: 'D02', reason: 'rate_limited' })]));
    await t.services.secops.service.processBatch();
    const alerts = (await secadmin.call('GET', '/api/v1/secops/alerts?detector=telemetryFlood')).json().items;
    expect(alerts).toEqual([
      expect.objectContaining({ detector: 'telemetryFlood', state: 'open', facts: expect.objectContaining({ device: 'D02', via: 'mqtt', limit: 5 }) }),
    ]);
    expect((await officer.call('PATCH', '/api/v1/telemetry/devices/D02', { maxPointsPerSecond: 2000 })).statusCode).toBe(200);
  });

  it("external broker: refuses and counts a flooding device's message without stalling the other devices", async () => {
    expect((await officer.call('PATCH', '/api/v1/telemetry/devices/D01', { maxPointsPerSecond: 5 })).statusCode).toBe(200);
    const gateway = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 4, clientId: 'gw-flood', reconnectPeriod: 0 });
    clients.push(gateway);
    const ts = Date.now() - 20_000;
    // 50 samples at 5 per second could never pass: refused (counted), not redelivered for ever.
    await gateway.publishAsync(
      'plant/cysteel/D01/telemetry',
      JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ point: 'temp', value: 500 + i, ts: ts + i }))),
      { qos: 1 },
    );
    await gateway.publishAsync('plant/cysteel/D02/telemetry', JSON.stringify({ point: 'pressure', value: 432.1, ts }), { qos: 1 });
    await expect.poll(async () => (await stored('D02', 'pressure')).filter((s) => s.value === 432.1).length).toBe(1);
    expect((await stored('D01', 'temp')).filter((s) => s.value >= 500 && s.value < 550)).toEqual([]);
    const rejected = (await officer.call('GET', '/api/v1/telemetry/status')).json().rejected as { device: string; reason: string }[];
    expect(rejected).toEqual(expect.arrayContaining([expect.objectContaining({ device: 'D01', reason: 'rate_limited' })]));
    expect((await officer.call('PATCH', '/api/v1/telemetry/devices/D01', { maxPointsPerSecond: 2000 })).statusCode).toBe(200);
  });

  it("ends a connected device's session at once when its token is re-issued or it is disabled", async () => {
    const old = tokens.D01!;
    const c = await connect(old.username, old.token, 4);
    const ts = Date.now() - 2000;
    await c.publishAsync(old.topic, JSON.stringify({ ts, values: { temp: 1301 } }), { qos: 1 });
    const fresh = (await officer.call('POST', '/api/v1/telemetry/devices/D01/token')).json();
    tokens.D01 = fresh;
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish(old.topic, JSON.stringify({ ts: ts + 1, values: { temp: 1302 } }), { qos: 1 });
    await closed;
    expect((await stored('D01', 'temp')).filter((s) => s.value > 1300).map((s) => s.value)).toEqual([1301]);
    await expect(connect(old.username, old.token, 4)).rejects.toThrow();

    const v5 = await connect(fresh.username, fresh.token, 5);
    await v5.publishAsync(fresh.topic, JSON.stringify({ ts: ts + 2, values: { temp: 1303 } }), { qos: 1 });
    expect((await officer.call('PATCH', '/api/v1/telemetry/devices/D01', { state: 'disabled' })).statusCode).toBe(200);
    const ended = new Promise<void>((resolve) => v5.once('close', () => resolve()));
    v5.publish(fresh.topic, JSON.stringify({ ts: ts + 3, values: { temp: 1304 } }), { qos: 1 });
    await ended;
    expect((await stored('D01', 'temp')).filter((s) => s.value > 1300).map((s) => s.value)).toEqual([1301, 1303]);
    expect((await officer.call('PATCH', '/api/v1/telemetry/devices/D01', { state: 'active' })).statusCode).toBe(200);
  });

  it.runIf(backend === 'postgres')(
    'withholds the QoS 1 PUBACK while the database is blocked, closes the connection past the bound, and stores the resent message once',
    async () => {
      const d01 = tokens.D01!;
      const blocker = new pg.Client(use().url);
      await blocker.connect();
      try {
        // Another session holds the point's quality state: the write transaction cannot finish.
        const [point] = await t.db.query<{ id: number }>(
          `SELECT p.id FROM telemetry_points p JOIN telemetry_devices d ON d.id = p.device_id WHERE d.code = 'D01' AND p.code = 'temp'`,
        );
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM telemetry_point_state WHERE point_id = $1 FOR UPDATE', [point!.id]);
        // The client reconnects on its own and resends what was not acknowledged (as a gateway does).
        const c = await connect(d01.username, d01.token, 4, 100);
        const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
        let acknowledged = false;
        const published = c.publishAsync(d01.topic, JSON.stringify({ ts: Date.now() - 4000, values: { temp: 1234.5 } }), { qos: 1 }).then(() => {
          acknowledged = true;
        });
        // Past PDX_TELEMETRY_ACK_WAIT_MS (2 s here) the broker closes the connection instead of acknowledging.
        await closed;
        expect(acknowledged).toBe(false);
        expect((await stored('D01', 'temp')).filter((s) => s.value === 1234.5)).toEqual([]);
        await blocker.query('ROLLBACK');
        await published;
        expect((await stored('D01', 'temp')).filter((s) => s.value === 1234.5)).toHaveLength(1);
        expect(t.services.telemetry.service.writer.stats().overloaded).toBeGreaterThan(0);
      } finally {
        await blocker.query('ROLLBACK').catch(() => {});
        await blocker.end();
      }
    },
  );
  it.runIf(backend === 'postgres')(
    'external broker: no PUBACK while the database is blocked, then Mosquitto redelivers after the reconnect and the sample is kept once',
    async () => {
      const writer = t.services.telemetry.service.writer;
      const blocker = new pg.Client(use().url);
      await blocker.connect();
      try {
        const [point] = await t.db.query<{ id: number }>(
          `SELECT p.id FROM telemetry_points p JOIN telemetry_devices d ON d.id = p.device_id WHERE d.code = 'D02' AND p.code = 'temp'`,
        );
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM telemetry_point_state WHERE point_id = $1 FOR UPDATE', [point!.id]);
        const before = writer.stats();
        const device = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 4, clientId: 'gw-D02-blocked', reconnectPeriod: 0 });
        clients.push(device);
        await device.publishAsync('plant/cysteel/D02/telemetry', JSON.stringify({ point: 'temp', value: 955.5, ts: Date.now() - 3000 }), { qos: 1 });
        // pdx gives up waiting (2 s here), sends no PUBACK and drops its connection to Mosquitto.
        await expect.poll(() => writer.stats().overloaded).toBeGreaterThan(before.overloaded);
        expect((await stored('D02', 'temp')).filter((s) => s.value === 955.5)).toEqual([]);
        await blocker.query('ROLLBACK');
        // Mosquitto sends the message again once pdx is back: stored once, the repeat counted as a duplicate.
        await expect.poll(() => writer.stats().duplicates).toBeGreaterThan(before.duplicates);
        expect((await stored('D02', 'temp')).filter((s) => s.value === 955.5)).toHaveLength(1);
      } finally {
        await blocker.query('ROLLBACK').catch(() => {});
        await blocker.end();
      }
    },
  );
});
