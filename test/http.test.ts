import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { migrate } from '../src/db/index.ts';
import { openPglite } from '../src/db/pglite.ts';
import { createPlatform, type Platform } from '../src/main.ts';
import { bootstrapIdentity } from '../src/modules/identity/bootstrap.ts';
import type { App } from '../src/http/app.ts';
import { ADMIN_PASSWORDS, loginClient } from './helpers/api.ts';
import { describeEachBackend, openTestDatabase } from './helpers/db.ts';
import { TEST_ENV } from './helpers/env.ts';

const KEY = randomBytes(32).toString('base64');

/** The configuration of one test platform, with a data directory of its own (never ./data). */
function testConfig(env: Record<string, string>): ReturnType<typeof loadConfig> {
  return loadConfig({ ...TEST_ENV, PDX_MASTER_KEY: KEY, PDX_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-http-')), ...env });
}

/** The DCAT document as an auditor reads it through a hostile Host header; its ids and pdx namespace. */
async function dcatIds(app: App): Promise<{ id: string; namespace: string }> {
  const reader = await loginClient(app, 'auditor', ADMIN_PASSWORDS.auditor);
  const res = await reader.call('GET', '/api/v1/catalog.jsonld', undefined, { host: 'evil.example', 'x-forwarded-host': 'evil.example' });
  expect(res.statusCode).toBe(200);
  expect(res.body).not.toContain('evil.example');
  return { id: res.json()['@id'], namespace: res.json()['@context'].pdx };
}
async function createPdxApp(config: ReturnType<typeof loadConfig>, db: Parameters<typeof createPlatform>[1]): Promise<App> {
  return (await createPlatform(config, db)).app;
}

describeEachBackend('platform endpoints', ({ backend, use }) => {
  let app: App;
  let platform: Platform;
  beforeAll(async () => {
    platform = await createPlatform(testConfig({ PDX_LOG_LEVEL: 'silent' }), use().db);
    app = platform.app;
  });
  afterAll(() => app.close());

  it('reports health with the backend and version', async () => {
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', database: backend, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it('publishes OpenAPI generated from the route schemas, and interactive docs', async () => {
    const spec = (await app.inject('/openapi.json')).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.paths['/health'].get.responses['200']).toBeDefined();
    expect(spec.paths['/api/v1/system/info']).toBeDefined();
    const docs = await app.inject('/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
    // pdx's name and mark, not another product's.
    expect(docs.body).toContain('<title>pdx 接口文档 · API</title>');
    const initializer = (await app.inject('/docs/static/swagger-initializer.js')).body;
    const logo = /img\.src = 'data:image\/svg\+xml;base64,([^']+)'/.exec(initializer)?.[1];
    expect(Buffer.from(logo ?? '', 'base64').toString('utf8')).toContain('公共数据共享交换平台 接口文档');
  });

  it('exposes Prometheus metrics including request counts to a direct loopback caller only (no token set)', async () => {
    await app.inject('/api/v1/system/info');
    expect((await app.inject({ url: '/metrics', remoteAddress: '10.20.30.40' })).json().error.code).toBe('metrics_loopback_only');
    expect((await app.inject({ url: '/metrics', headers: { 'x-forwarded-for': '10.20.30.40' } })).statusCode).toBe(403);
    const res = await app.inject('/metrics');
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/pdx_http_requests_total\{method="GET",route="\/api\/v1\/system\/info",status="200"\} \d+/);
    expect(res.body).toContain(`pdx_database_info{backend="${backend}"} 1`);
  });

  it('without PDX_PUBLIC_URL, gives the DCAT document ids relative to its own address, never the Host header', async () => {
    await bootstrapIdentity(use().db, platform.services.identity, ADMIN_PASSWORDS);
    expect(await dcatIds(app)).toEqual({ id: '/api/v1/catalog.jsonld', namespace: 'urn:pdx:ns#' });
  });

  it('answers unknown API paths with the standard error body in the caller language, quoting nothing', async () => {
    const zh = await app.inject('/api/v1/no-such-thing?token=secret');
    expect(zh.statusCode).toBe(404);
    expect(zh.json()).toEqual({ error: { code: 'not_found', message: '接口不存在：请对照 /docs 检查请求方法和路径' } });
    const en = await app.inject({ url: '/api/v1/no-such-thing', headers: { 'accept-language': 'en-US,en' } });
    expect(en.json().error.message).toBe('No such endpoint: check the method and path against /docs');
    expect(`${zh.body}${en.body}`).not.toMatch(/no-such-thing|secret/);
  });

  it("answers Fastify's own errors with the standard body in the caller's language, without echoing the request", async () => {
    const long = `x${'y'.repeat(150)}`;
    const cases: [string, { method?: string; url: string; headers?: Record<string, string>; payload?: string }, number, string][] = [
      ['bad percent-encoding in the path (FST_ERR_BAD_URL)', { url: '/api/v1/datasets/%E4%ZZevil/records' }, 400, 'bad_url'],
      ['path parameter too long (FST_ERR_MAX_PARAM_LENGTH)', { url: `/api/v1/datasets/${long}/records` }, 414, 'uri_too_long'],
      [
        'invalid JSON body',
        { method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username": "evil' },
        400,
        'invalid_json',
      ],
      [
        'unsupported content type',
        { method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'text/evil' }, payload: 'username=evil' },
        415,
        'unsupported_media_type',
      ],
      ['empty JSON body', { method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '' }, 400, 'invalid_json'],
      [
        'body too large',
        {
          method: 'POST',
          url: '/api/v1/auth/login',
          headers: { 'content-type': 'application/json' },
          payload: `{"username":"${'e'.repeat(11 * 1024 * 1024)}"}`,
        },
        413,
        'payload_too_large',
      ],
    ];
    for (const [what, request, status, code] of cases) {
      for (const lang of ['zh', 'en'] as const) {
        const res = await app.inject({
          method: (request.method ?? 'GET') as 'GET',
          url: request.url,
          headers: { ...request.headers, 'x-pdx-lang': lang },
          ...(request.payload !== undefined ? { payload: request.payload } : {}),
        });
        expect(res.statusCode, what).toBe(status);
        const body = res.json();
        expect(Object.keys(body), what).toEqual(['error']);
        expect(body.error.code, what).toBe(code);
        expect(typeof body.error.message, what).toBe('string');
        expect(/[\u4e00-\u9fff]/.test(body.error.message), `${what} in ${lang}`).toBe(lang === 'zh');
        expect(res.body, what).not.toMatch(/evil|yyyy|FST_ERR_[A-Z_]+ |Bad Request|statusCode/);
      }
    }
  });

  it('refuses NUL in a path, query, header or body with a 400 naming the parameter', async () => {
    const cases: [{ method?: string; url: string; headers?: Record<string, string>; payload?: unknown }, string][] = [
      [{ url: '/api/v1/datasets/%00/records' }, 'params.code'],
      [{ url: '/api/v1/share/requests?dataset=%00' }, 'querystring.dataset'],
      [{ url: '/api/v1/audit/export?dataset=a%00b' }, 'querystring.dataset'],
      [{ url: '/api/v1/system/info', headers: { 'user-agent': 'curl\u0000' } }, 'headers.user-agent'],
      [{ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'sys\u0000admin', password: 'x' } }, 'body.username'],
      [{ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'sysadmin', password: '\ud800' } }, 'body.password'],
    ];
    for (const [request, field] of cases) {
      const res = await app.inject({
        method: (request.method ?? 'GET') as 'GET',
        url: request.url,
        ...(request.headers ? { headers: request.headers } : {}),
        ...(request.payload ? { payload: request.payload as object } : {}),
      });
      expect(res.statusCode, field).toBe(400);
      expect(res.json().error, field).toMatchObject({ code: 'invalid_text', details: { field } });
      expect(res.json().error.message, field).toContain(field);
    }
  });

  it('gives every response a request id and security headers', async () => {
    const res = await app.inject({ url: '/health', headers: { 'x-request-id': 'client-chosen-id-1' } });
    expect(res.headers['x-request-id']).toBe('client-chosen-id-1');
    const bad = await app.inject({ url: '/health', headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('serves the console for client routes', async () => {
    const res = await app.inject('/catalog/some/deep/link');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<div id="root">');
  });
});

describe('platform endpoints under failure', () => {
  it('answers 503 on /health when the database is unreachable', async () => {
    const { db } = await openTestDatabase('pglite');
    const app = await createPdxApp(testConfig({ PDX_LOG_LEVEL: 'silent' }), db);
    await db.close();
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'unavailable', database: 'pglite' });
    await app.close();
  });

  it('rate-limits one client with a 429 and the standard body', async () => {
    const { db } = await openTestDatabase('pglite');
    const app = await createPdxApp(testConfig({ PDX_LOG_LEVEL: 'silent', PDX_RATE_LIMIT: '3' }), db);
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await app.inject('/api/v1/system/info')).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
    const limited = await app.inject('/api/v1/system/info');
    expect(limited.json().error.code).toBe('rate_limited');
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await app.inject('/health')).statusCode).toBe(200);
    await app.close();
    await db.close();
  });
});

describe('platform endpoints: secrets out of logs and URLs, framework errors over real HTTP', () => {
  const METRICS_TOKEN = 'metrics-7b1f0c2e9d4a';
  const lines: string[] = [];
  let db: Awaited<ReturnType<typeof openPglite>>;
  let app: App;
  let port: number;

  beforeAll(async () => {
    db = await openPglite();
    await migrate(db);
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const config = testConfig({ PDX_LOG_LEVEL: 'info', PDX_METRICS_TOKEN: METRICS_TOKEN, PDX_PUBLIC_URL: 'https://data.ln.gov.cn/pdx/' });
    const platform = await createPlatform(config, db, { logStream });
    app = platform.app;
    await bootstrapIdentity(db, platform.services.identity, ADMIN_PASSWORDS);
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  /** Sends raw bytes over TCP (what curl sends for an unencoded URL) and returns the raw answer. */
  function raw(request: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
      socket.on('error', reject);
      socket.on('close', () => resolve(answer));
    });
  }

  it('logs the route and the names of query parameters, never tokens or filter values', async () => {
    const token = 'dl-token-5f2c9e1d7a3b48c6';
    const id = '110105194912310021';
    const paths = [
      `/api/v1/exports/${randomUUID()}/download?token=${token}`,
      `/api/v1/datasets/210000-000001/records?select=${encodeURIComponent('姓名')}&${encodeURIComponent('身份证号')}=eq.${id}&limit=5`,
      `/api/v1/no-such/${id}?token=${token}`,
    ];
    const ids: string[] = [];
    for (const url of paths) ids.push((await app.inject(url)).headers['x-request-id'] as string);
    const mine = lines.map((l) => JSON.parse(l) as { reqId?: string; req?: { url?: string } }).filter((l) => l.reqId && ids.includes(l.reqId));
    expect(mine.length).toBeGreaterThanOrEqual(6);
    const text = JSON.stringify(mine);
    expect(text).not.toContain(token);
    expect(text).not.toContain(id);
    expect(mine.flatMap((l) => (l.req?.url ? [l.req.url] : []))).toEqual([
      '/api/v1/exports/:id/download?token',
      '/api/v1/datasets/:code/records?select&身份证号&limit',
      '(unmatched)?token',
    ]);
  });

  it('protects /metrics with PDX_METRICS_TOKEN when set', async () => {
    const none = await app.inject('/metrics');
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('metrics_token_required');
    expect((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer metrics-wrong-token-0000' } })).statusCode).toBe(401);
    const ok = await app.inject({ url: '/metrics', remoteAddress: '10.20.30.40', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('pdx_http_requests_total');
    expect(() => loadConfig({ PDX_METRICS_TOKEN: 'short' })).toThrow(/PDX_METRICS_TOKEN/);
  });

  it('builds the DCAT ids from PDX_PUBLIC_URL, never from the Host header', async () => {
    expect(await dcatIds(app)).toEqual({ id: 'https://data.ln.gov.cn/pdx/api/v1/catalog.jsonld', namespace: 'https://data.ln.gov.cn/pdx/ns#' });
  });

  it('answers a URL that is not URL-encoded (curl without -G --data-urlencode) with the standard body and a hint, in the caller language', async () => {
    const request = (lang: string) =>
      Buffer.concat([
        Buffer.from('GET /api/v1/datasets/210000-000001/records?select='),
        Buffer.from('姓名,身份证号,住址'),
        Buffer.from(`&limit=100 HTTP/1.1\r\nHost: localhost\r\nAccept-Language: ${lang}\r\n\r\n`),
      ]);
    for (const lang of ['zh-CN', 'en-US']) {
      const answer = await raw(request(lang));
      expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
      expect(body.error.code).toBe('url_not_encoded');
      expect(body.error.message).toContain('--data-urlencode');
      expect(body.error.message.startsWith('请求地址')).toBe(lang === 'zh-CN');
      expect(answer).not.toContain('Client Error');
    }
    // A bad header character, refused by Node's parser too, gets the same shape.
    const bad = await raw(Buffer.from('GET /health HTTP/1.1\r\nHost: localhost\r\nX-Evil: a\u0000b\r\n\r\n'));
    expect(JSON.parse(bad.slice(bad.indexOf('\r\n\r\n') + 4)).error.code).toBe('bad_header');
  });
});
