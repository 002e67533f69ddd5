import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createPlatform } from '../src/main.ts';
import type { App } from '../src/http/app.ts';
import { describeEachBackend, openTestDatabase } from './helpers/db.ts';

const KEY = randomBytes(32).toString('base64');
async function createPdxApp(config: ReturnType<typeof loadConfig>, db: Parameters<typeof createPlatform>[1]): Promise<App> {
  return (await createPlatform(config, db)).app;
}

describeEachBackend('platform endpoints', ({ backend, use }) => {
  let app: App;
  beforeAll(async () => {
    app = await createPdxApp(loadConfig({ PDX_LOG_LEVEL: 'silent', PDX_MASTER_KEY: KEY }), use().db);
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
  });

  it('exposes Prometheus metrics including request counts', async () => {
    await app.inject('/api/v1/system/info');
    const res = await app.inject('/metrics');
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/pdx_http_requests_total\{method="GET",route="\/api\/v1\/system\/info",status="200"\} \d+/);
    expect(res.body).toContain(`pdx_database_info{backend="${backend}"} 1`);
  });

  it('answers unknown API paths with the standard error body in the caller language', async () => {
    const zh = await app.inject('/api/v1/no-such-thing?token=secret');
    expect(zh.statusCode).toBe(404);
    expect(zh.json()).toEqual({ error: { code: 'not_found', message: '接口不存在:GET /api/v1/no-such-thing' } });
    const en = await app.inject({ url: '/api/v1/no-such-thing', headers: { 'accept-language': 'en-US,en' } });
    expect(en.json().error.message).toBe('No such endpoint: GET /api/v1/no-such-thing');
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
    const app = await createPdxApp(loadConfig({ PDX_LOG_LEVEL: 'silent', PDX_MASTER_KEY: KEY }), db);
    await db.close();
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'unavailable', database: 'pglite' });
    await app.close();
  });

  it('rate-limits one client with a 429 and the standard body', async () => {
    const { db } = await openTestDatabase('pglite');
    const app = await createPdxApp(loadConfig({ PDX_LOG_LEVEL: 'silent', PDX_RATE_LIMIT: '3', PDX_MASTER_KEY: KEY }), db);
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
