/**
 * TLS in transit with real certificates made here by openssl: HTTPS only, TLS 1.2+, client
 * certificates that bind an application's API key to its organisation, and the built-in MQTT broker
 * speaking TLS with the same certificate (issue 19: devices' tokens never cross the network in clear).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc } from '../src/modules/identity/codes.ts';
import { ADMIN_PASSWORDS } from './helpers/api.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { authenticatorFor } from './helpers/authenticator.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-tls-'));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const CITY_USCC = makeUscc('1', '1', '211300', 'MB2C0009');
const OTHER_USCC = makeUscc('1', '1', '210000', 'MB2C0010');

/** A key and a certificate signed by the test CA (or self-signed with ca = undefined). */
function issue(name: string, subject: string, ca: string | undefined, ext?: string) {
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  const sign = ca ? ['-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial'] : ['-signkey', `${name}.key`];
  const extArgs = ext ? ['-extfile', `${name}.ext`] : [];
  if (ext) fs.writeFileSync(file(`${name}.ext`), ext);
  openssl('x509', '-req', '-in', `${name}.csr`, ...sign, '-days', '2', '-out', `${name}.crt`, ...extArgs);
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function request(url: string, options: https.RequestOptions & { body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ca: fs.readFileSync(file('ca.crt')), ...options }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('TLS and client certificates', () => {
  let server: TestServer;
  let mqttPort: number;
  let apiKey: string;
  const client = (name: string) => ({ cert: fs.readFileSync(file(`${name}.crt`)), key: fs.readFileSync(file(`${name}.key`)) });

  beforeAll(async () => {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=pdx test CA',
    );
    issue('server', '/CN=localhost', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    issue('city', `/CN=低保核验系统/O=朝阳市民政局/serialNumber=${CITY_USCC}`, 'ca');
    issue('other', `/CN=其他系统/O=省公安厅/serialNumber=${OTHER_USCC}`, 'ca');
    issue('rogue', `/CN=rogue/serialNumber=${CITY_USCC}`, undefined);
    mqttPort = await freePort();
    server = await startTestServer({
      PDX_MQTT_PORT: String(mqttPort),
      PDX_TLS_CERT: file('server.crt'),
      PDX_TLS_KEY: file('server.key'),
      PDX_TLS_CLIENT_CA: file('ca.crt'),
      PDX_ADMIN_PASSWORD: ADMIN_PASSWORDS.sysadmin,
    });
    // An organisation with the credit code the city certificate carries, a consumer, an API key.
    const { identity } = server.platform.services;
    const org = await identity.createOrg(
      {},
      { name: '朝阳市民政局', type: 'department', level: 'city', uscc: CITY_USCC, regionCode: '211300', parentId: null },
    );
    const { user } = await identity.createUser(
      {},
      { username: 'mz-app', displayName: '民政应用', orgId: org.id, roles: ['consumer'], password: 'Chaoyang-Dibao-2027' },
    );
    const principal = { kind: 'user' as const, userId: user.id, username: user.username, orgId: org.id, roles: user.roles };
    apiKey = (await identity.createApiKey({ principal }, { name: '低保核验系统', expiresAt: null })).key;
  });
  afterAll(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('speaks HTTPS only', async () => {
    expect(server.url.startsWith('https://')).toBe(true);
    const health = await request(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toBeDefined();
    // Plain HTTP on the same port gets no HTTP answer.
    const port = Number(new URL(server.url).port);
    const plain = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d.toString('latin1')));
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
    });
    expect(plain).not.toContain('200 OK');
  });

  it('refuses TLS older than 1.2', async () => {
    await expect(request(`${server.url}/health`, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })).rejects.toThrow();
  });

  it('sets Secure session cookies', async () => {
    const post = (url: string, body: unknown) =>
      request(`${server.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const first = await post('/api/v1/auth/login', { username: 'sysadmin', password: ADMIN_PASSWORDS.sysadmin });
    const { secondFactor } = JSON.parse(first.body);
    const res = await post('/api/v1/auth/second-factor', {
      ticket: secondFactor.ticket,
      code: await authenticatorFor(server.url).code('sysadmin', secondFactor),
    });
    expect(res.status).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/pdx_session=[^;]+;.*Secure/);
  });

  it("accepts an API key only with a CA-issued certificate of the key's organisation", async () => {
    const auth = { authorization: `Bearer ${apiKey}` };
    const ok = await request(`${server.url}/api/v1/auth/me`, { headers: auth, ...client('city') });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).orgName).toBe('朝阳市民政局');

    const none = await request(`${server.url}/api/v1/auth/me`, { headers: auth });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.code).toBe('client_certificate_required');

    const rogue = await request(`${server.url}/api/v1/auth/me`, { headers: auth, ...client('rogue') });
    expect(rogue.status).toBe(401);

    const other = await request(`${server.url}/api/v1/auth/me`, { headers: auth, ...client('other') });
    expect(other.status).toBe(403);
    expect(JSON.parse(other.body).error.code).toBe('client_certificate_mismatch');
  });
  it('runs the MQTT broker over TLS only: a device publishes with its token under TLS 1.2+, plain MQTT gets nothing', async () => {
    const { identity, telemetry } = server.platform.services;
    const org = await identity.createOrg(
      {},
      {
        name: '鞍钢集团朝阳钢铁有限公司',
        type: 'enterprise',
        level: 'city',
        uscc: makeUscc('9', '1', '211300', 'MB2C0011'),
        regionCode: '211300',
        parentId: null,
      },
    );
    const { user } = await identity.createUser(
      {},
      { username: 'zg-officer', displayName: '朝钢数据专员', orgId: org.id, roles: ['data_officer'], password: 'Chaoyang-Steel-2027' },
    );
    const officer = { principal: { kind: 'user' as const, userId: user.id, username: user.username, orgId: org.id, roles: user.roles }, requestId: 'tls-test' };
    await telemetry.service.updateSettings(officer, { enterpriseCode: 'cysteel' });
    await telemetry.service.register(officer, [{ plant: 'CY', line: 'BF1', device: 'D01', point: 'temp', unit: '°C', min: 0, max: 2000, samplingMs: 1000 }]);
    const device = await telemetry.service.issueToken(officer, 'D01');
    expect(telemetry.brokerPort()).toBe(mqttPort);

    const ts = Date.now() - 5000;
    const secure = await mqtt.connectAsync({
      protocol: 'mqtts',
      host: '127.0.0.1',
      port: mqttPort,
      ca: fs.readFileSync(file('ca.crt')),
      servername: 'localhost',
      username: device.username,
      password: device.token,
      reconnectPeriod: 0,
      connectTimeout: 20_000,
    });
    try {
      await secure.publishAsync(device.topic, JSON.stringify({ ts, values: { temp: 1180.5 } }), { qos: 1 });
    } finally {
      await secure.endAsync(true);
    }
    // Acknowledged only once stored.
    expect((await telemetry.service.recent(officer.principal, 'D01', 'temp', ts - 1000, 'raw')).map((s) => s.value)).toEqual([1180.5]);

    // Old TLS and plain MQTT (the token would cross the network in clear) are refused.
    // mqtt passes TLS options through to tls.connect, though its type does not list them all.
    const oldTls: mqtt.IClientOptions & tls.ConnectionOptions = {
      ca: fs.readFileSync(file('ca.crt')),
      servername: 'localhost',
      maxVersion: 'TLSv1.1',
      minVersion: 'TLSv1',
      username: device.username,
      password: device.token,
      reconnectPeriod: 0,
      connectTimeout: 20_000,
    };
    await expect(mqtt.connectAsync(`mqtts://127.0.0.1:${mqttPort}`, oldTls, false)).rejects.toThrow();
    await expect(
      mqtt.connectAsync(
        `mqtt://127.0.0.1:${mqttPort}`,
        { username: device.username, password: device.token, reconnectPeriod: 0, connectTimeout: 20_000 },
        false,
      ),
    ).rejects.toThrow();
    expect((await telemetry.service.recent(officer.principal, 'D01', 'temp', ts - 1000, 'raw')).map((s) => s.value)).toEqual([1180.5]);
  });
});
