/**
 * Upstream health and resilience of the interface gateway (issue 17), against a REAL local upstream
 * that fails on command: retries of idempotent operations only, the circuit breaker (open → a clear
 * 503 without calling the upstream → half-open probe → closed), health checks (on demand and
 * periodic) shown in the API, and client-certificate (mTLS) upstream authentication with the key
 * sealed and never returned, against an HTTPS upstream that requires a client certificate.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_PASSWORDS, createOrg, provisionUser, type Client } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { apiKey, startShareApp, type ShareTestApp } from './share-helpers.ts';

/** What the upstream does next: answer, fail with a status, or cut the connection. */
interface Control {
  /** Failures still to give before answering normally (each one: the status, or 'reset'). */
  failures: (number | 'reset')[];
  /** While set, every call fails with this status. */
  down: number | null;
  health: number;
  seen: string[];
}

async function startUpstream(control: Control): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ forceCloseConnections: true });
  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/api/health') return reply.status(control.health).send({ ok: control.health === 200 });
    control.seen.push(`${request.method} ${request.url}`);
    const next = control.down ?? control.failures.shift();
    if (next === 'reset') {
      request.raw.socket.destroy();
      return reply;
    }
    if (typeof next === 'number') return reply.status(next).send({ message: 'upstream internals: stack trace at db01' });
  });
  app.get('/api/data', async () => ({ value: 1 }));
  app.post('/api/submit', async () => ({ value: 2 }));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `${address}/api` };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-mtls-'));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
function issue(name: string, subject: string, ca: string, ext?: string) {
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  if (ext) fs.writeFileSync(file(`${name}.ext`), ext);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    ...(ext ? ['-extfile', `${name}.ext`] : []),
  );
}
const pem = (name: string) => fs.readFileSync(file(name), 'utf8');

describeEachBackend('gateway resilience and mTLS', ({ use }) => {
  let t: ShareTestApp;
  const control: Control = { failures: [], down: null, health: 200, seen: [] };
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let tlsUpstream: https.Server;
  let tlsUrl: string;
  const tlsSeen: { authorized: boolean; subject: string | undefined }[] = [];
  let officer: Client;
  let otherOfficer: Client;
  let consumer: Client;
  let auditor: Client;
  let key: Client;
  let code: string;

  const view = async () => (await officer.call('GET', `/api/v1/gateway/services/${code}`)).json();
  const call = (path: string, method = 'GET') => key.call(method, `/api/v1/services/${code}${path}`, method === 'POST' ? {} : undefined);

  async function share(serviceCode: string, operations: string[]) {
    expect((await officer.call('POST', `/api/v1/datasets/${serviceCode}/publish`)).statusCode).toBe(200);
    const req = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: serviceCode,
      columns: ['value'],
      operations,
      purpose: '测试',
      purposeCategory: 'other',
      legalBasis: '测试依据',
      endDate: '2099-06-30',
    });
    expect(req.statusCode, req.body).toBe(201);
    const ok = await officer.call('POST', `/api/v1/share/requests/${req.json().id}/approve`, { columns: [{ name: 'value', mode: 'clear' }] });
    expect(ok.json().state, ok.body).toBe('active');
  }

  beforeAll(async () => {
    upstream = await startUpstream(control);
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
      '/CN=dept test CA',
    );
    issue('server', '/CN=localhost', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    issue('gateway', '/CN=pdx gateway/O=省大数据局', 'ca');
    tlsUpstream = https.createServer(
      { cert: pem('server.crt'), key: pem('server.key'), ca: pem('ca.crt'), requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const socket = req.socket as import('node:tls').TLSSocket;
        const cn = socket.getPeerCertificate().subject?.CN;
        tlsSeen.push({ authorized: socket.authorized, subject: Array.isArray(cn) ? cn.join(',') : cn });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: 3 }));
      },
    );
    await new Promise<void>((resolve) => tlsUpstream.listen(0, '127.0.0.1', resolve));
    tlsUrl = `https://127.0.0.1:${(tlsUpstream.address() as { port: number }).port}/api`;

    t = await startShareApp(use().db, { PDX_UPSTREAM_ALLOW: '127.0.0.1/32' });
    const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    auditor = await t.login('auditor', ADMIN_PASSWORDS.auditor);
    const market = await createOrg(admin, '省市场监督管理局');
    const civil = await createOrg(admin, '朝阳市民政局', 'city', '211300');
    officer = (await provisionUser(t, admin, 'sc-officer', ['data_officer'], market)).client;
    otherOfficer = (await provisionUser(t, admin, 'mz-officer', ['data_officer'], civil)).client;
    consumer = (await provisionUser(t, admin, 'mz-consumer', ['consumer'], civil)).client;
    key = t.withKey(await apiKey(consumer));

    const reg = await officer.call('POST', '/api/v1/gateway/services', {
      name: '可靠性测试接口',
      baseUrl: upstream.url,
      timeoutMs: 30_000,
      retries: 2,
      // A cooldown far longer than one local call, so the call right after the circuit opens is refused.
      breaker: { threshold: 3, cooldownMs: 8000 },
      health: { path: '/health', intervalSeconds: 1 },
      operations: [
        { id: 'data', method: 'GET', path: '/data', fields: [{ path: 'value', label: '数值', dataType: 'integer' }] },
        { id: 'submit', method: 'POST', path: '/submit', fields: [{ path: 'value', label: '数值', dataType: 'integer' }] },
      ],
    });
    expect(reg.statusCode, reg.body).toBe(201);
    code = reg.json().code;
    expect(reg.json()).toMatchObject({
      health: { path: '/health', intervalSeconds: 1, state: 'unknown' },
      resilience: { retries: 2, breakerThreshold: 3, breakerCooldownMs: 8000, breaker: 'closed' },
    });
    await share(code, ['data', 'submit']);
  });
  afterAll(async () => {
    await t?.services.gateway.stop();
    await t?.close();
    await upstream?.app.close();
    tlsUpstream?.closeAllConnections();
    await new Promise((resolve) => tlsUpstream?.close(resolve));
  });

  it('retries idempotent operations after a cut connection or a 502/503/504, never a POST', async () => {
    control.seen.length = 0;
    control.failures = [503, 'reset'];
    const got = await call('/data');
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json()).toEqual({ value: 1 });
    expect(control.seen).toEqual(['GET /api/data', 'GET /api/data', 'GET /api/data']);
    const [success] = (await auditor.call('GET', `/api/v1/audit/records?action=gateway.call&dataset=${code}&limit=1`)).json().items;
    expect(success).toMatchObject({ result: 'success', details: { attempts: 3 } });

    control.seen.length = 0;
    control.failures = [503];
    const posted = await call('/submit', 'POST');
    expect(posted.statusCode).toBe(502);
    expect(posted.json().error).toMatchObject({ code: 'upstream_error', details: { upstreamStatus: 503 } });
    expect(posted.body).not.toContain('db01');
    expect(control.seen).toEqual(['POST /api/submit']);

    // Retries are bounded: three failures in a row (1 + 2 retries) end in the error.
    control.seen.length = 0;
    control.failures = [503, 503, 503, 503];
    expect((await call('/data')).json().error).toMatchObject({ code: 'upstream_error', details: { upstreamStatus: 503 } });
    expect(control.seen.length).toBe(3);
    control.failures = [];
    expect((await call('/data')).statusCode).toBe(200);
  });

  it('opens the circuit after consecutive failures: a clear 503 without calling the upstream, until a half-open probe succeeds', async () => {
    control.down = 500;
    for (let i = 0; i < 3; i++) expect((await call('/data')).statusCode).toBe(502);
    const seen = control.seen.length;
    const refused = await call('/data');
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error.code).toBe('upstream_unavailable');
    expect(control.seen.length).toBe(seen);
    expect((await view()).resilience).toMatchObject({ breaker: 'open', consecutiveFailures: 3 });
    const [audited] = (await auditor.call('GET', `/api/v1/audit/records?action=gateway.call&dataset=${code}&limit=1`)).json().items;
    expect(audited).toMatchObject({ result: 'failure', details: { error: 'upstream_unavailable', breaker: 'open' } });

    // The probe after the cooldown fails while the upstream is still down: open again at once.
    await expect.poll(async () => (await call('/data')).statusCode, { interval: 250 }).toBe(502);
    expect((await call('/data')).json().error.code).toBe('upstream_unavailable');

    // The upstream recovers: the next probe succeeds and closes the circuit.
    control.down = null;
    await expect.poll(async () => (await call('/data')).statusCode, { interval: 250 }).toBe(200);
    expect((await view()).resilience).toMatchObject({ breaker: 'closed', consecutiveFailures: 0 });
    expect((await call('/data')).statusCode).toBe(200);
  });

  it('health: checked on demand and periodically, shown in the API, changes audited', async () => {
    control.health = 503;
    const down = await officer.call('POST', `/api/v1/gateway/services/${code}/health-check`);
    expect(down.statusCode, down.body).toBe(200);
    expect(down.json().health).toMatchObject({ state: 'down', error: 'upstream_status_503' });
    expect(down.json().health.checkedAt).not.toBeNull();
    const [changed] = (await auditor.call('GET', `/api/v1/audit/records?action=gateway.health&dataset=${code}&limit=1`)).json().items;
    expect(changed).toMatchObject({ result: 'failure', details: { to: 'down' } });

    // The periodic check (every second for this service) sees the recovery.
    control.health = 200;
    t.services.gateway.start();
    await expect.poll(async () => (await view()).health.state, { interval: 200 }).toBe('up');
    // Consumers see the state too (not the path's upstream address).
    const seen = (await consumer.call('GET', `/api/v1/gateway/services/${code}`)).json();
    expect(seen).toMatchObject({ baseUrl: null, health: { state: 'up' } });
  });

  it('authorization boundary of the health-check and client-certificate routes', async () => {
    const cert = { clientCertificate: { cert: pem('gateway.crt'), key: pem('gateway.key') } };
    for (const [c, status] of [
      [consumer, 403],
      [otherOfficer, 403],
      [t.anonymous, 401],
      [key, 403],
    ] as const) {
      expect((await c.call('POST', `/api/v1/gateway/services/${code}/health-check`)).statusCode).toBe(status);
      expect((await c.call('PUT', `/api/v1/gateway/services/${code}/client-certificate`, cert)).statusCode).toBe(status);
    }
  });

  it('client certificate (mTLS): checked, key sealed and never returned, presented to an upstream that requires it', async () => {
    const base = {
      baseUrl: tlsUrl,
      upstreamCa: pem('ca.crt'),
      operations: [{ id: 'data', method: 'GET', path: '/data', fields: [{ path: 'value', label: '数值', dataType: 'integer' }] }],
    };
    // Bad certificates are named.
    const wrongKey = await officer.call('POST', '/api/v1/gateway/services', {
      ...base,
      name: '错配证书',
      clientCertificate: { cert: pem('gateway.crt'), key: pem('server.key') },
    });
    expect(wrongKey.json().error).toMatchObject({ code: 'invalid_client_certificate', details: { field: 'clientCertificate.key' } });
    const notPem = await officer.call('POST', '/api/v1/gateway/services', {
      ...base,
      name: '坏证书',
      clientCertificate: { cert: 'nonsense', key: pem('gateway.key') },
    });
    expect(notPem.json().error).toMatchObject({ code: 'invalid_client_certificate', details: { field: 'clientCertificate.cert' } });

    // Without a certificate the upstream (whose server certificate the CA verifies) refuses the handshake.
    const plain = await officer.call('POST', '/api/v1/gateway/services', { ...base, name: '无证书', retries: 0 });
    expect(plain.statusCode, plain.body).toBe(201);
    const plainCode = plain.json().code as string;
    await share(plainCode, ['data']);
    const refused = await key.call('GET', `/api/v1/services/${plainCode}/data`);
    expect(refused.statusCode).toBe(502);

    const reg = await officer.call('POST', '/api/v1/gateway/services', {
      ...base,
      name: '双向认证接口',
      clientCertificate: { cert: pem('gateway.crt'), key: pem('gateway.key') },
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const mtlsCode = reg.json().code as string;
    const privateKey = pem('gateway.key');
    const keyBody = privateKey.split('\n')[1]!;
    expect(reg.body).not.toContain(keyBody);
    expect(reg.json()).toMatchObject({ hasClientCertificate: true, clientCertificate: { subject: expect.stringContaining('CN=pdx gateway') } });
    // Stored sealed: the key is nowhere in clear in the database or the audit.
    const [row] = await t.db.query<{ client_key_sealed: Buffer }>('SELECT client_key_sealed FROM gateway_services WHERE client_cert IS NOT NULL');
    expect(Buffer.from(row!.client_key_sealed).toString('latin1')).not.toContain(keyBody);
    expect(JSON.stringify(t.events)).not.toContain(keyBody);
    await share(mtlsCode, ['data']);
    // Consumers see that a certificate is used, not which.
    expect((await consumer.call('GET', `/api/v1/gateway/services/${mtlsCode}`)).json()).toMatchObject({ hasClientCertificate: true, clientCertificate: null });

    const ok = await key.call('GET', `/api/v1/services/${mtlsCode}/data`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toEqual({ value: 3 });
    expect(tlsSeen.at(-1)).toEqual({ authorized: true, subject: 'pdx gateway' });

    // Removed: the next call has no certificate and fails the handshake.
    const removed = await officer.call('PUT', `/api/v1/gateway/services/${mtlsCode}/client-certificate`, { clientCertificate: null });
    expect(removed.json()).toMatchObject({ hasClientCertificate: false, clientCertificate: null });
    expect((await key.call('GET', `/api/v1/services/${mtlsCode}/data`)).statusCode).toBe(502);
    const back = await officer.call('PUT', `/api/v1/gateway/services/${mtlsCode}/client-certificate`, {
      clientCertificate: { cert: pem('gateway.crt'), key: privateKey },
    });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.body).not.toContain(keyBody);
    expect((await key.call('GET', `/api/v1/services/${mtlsCode}/data`)).statusCode).toBe(200);
  });
});
