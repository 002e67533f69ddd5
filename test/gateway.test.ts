/**
 * Interface sharing through the real platform (issue 17): a department registers its API from an
 * OpenAPI document, the fields are graded, a consumer requests operations and fields, the provider
 * and the security administrator approve, and calls through the gateway reach a REAL upstream HTTP
 * server started here (Fastify on a random port): masking, hidden and unregistered fields removed,
 * spoofed headers stripped, the credential added, wrong operation, wrong role, path traversal,
 * upstream errors, a redirect, a hanging upstream (timeout), revocation, and the audit record of
 * every call. Plus the authorization boundary of every gateway route.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mask } from '../src/lib/mask.ts';
import { Random } from './corpus/random.ts';
import { mobile, personName, residentId, uscc } from './corpus/values.ts';
import { ADMIN_PASSWORDS, createOrg, provisionUser, type Client } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { apiKey, startShareApp, type ShareTestApp } from './share-helpers.ts';

const TOKEN = 'upstream-token-7f3a9c';
const r = new Random(17);
const companies = Array.from({ length: 5 }, (_, i) => ({
  uscc: uscc(r),
  name: `朝阳市锦程商贸有限公司${i + 1}`,
  legalPerson: { name: personName(r), idNumber: residentId(r), mobile: mobile(r) },
  capital: 500 + i,
  internalNote: `内部备注-${i}`,
}));
const company = companies[0]!;

const OPENAPI = `
openapi: 3.0.3
info:
  title: 企业信息查询
  description: 省市场监督管理局 企业登记信息查询接口
paths:
  /companies/{uscc}:
    get:
      operationId: getCompany
      summary: 按统一社会信用代码查询企业
      parameters:
        - { name: uscc, in: path, required: true, schema: { type: string } }
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  data: { $ref: '#/components/schemas/Company' }
  /companies/{uscc}/licenses:
    get:
      operationId: listLicenses
      parameters:
        - { name: uscc, in: path, required: true, schema: { type: string } }
        - { name: year, in: query, schema: { type: integer } }
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  items:
                    type: array
                    items:
                      type: object
                      properties:
                        number: { type: string, title: 许可证号 }
  /broken:
    get:
      operationId: broken
      responses: { '200': { description: ok } }
  /moved:
    get:
      operationId: moved
      responses: { '200': { description: ok } }
components:
  schemas:
    Company:
      type: object
      properties:
        uscc: { type: string, title: 统一社会信用代码 }
        name: { type: string, title: 企业名称 }
        legalPerson:
          type: object
          properties:
            name: { type: string, title: 法定代表人姓名 }
            idNumber: { type: string, title: 法定代表人身份证号 }
            mobile: { type: string, title: 联系电话 }
        capital: { type: number, title: 注册资本 }
        internalNote: { type: string, title: 内部备注 }
`;

interface Seen {
  headers: Record<string, string | string[] | undefined>;
  url: string;
}

/** The department's own API: needs its token, remembers what it received. */
async function startUpstream(): Promise<{ app: FastifyInstance; url: string; seen: Seen[]; release(): void; releaseHeld(): void }> {
  // Keep-alive connections of the gateway's client are cut on close, so the test process ends promptly.
  const app = Fastify({ forceCloseConnections: true });
  const seen: Seen[] = [];
  let release!: () => void;
  const hang = new Promise<void>((resolve) => (release = resolve));
  let releaseHeld!: () => void;
  const held = new Promise<void>((resolve) => (releaseHeld = resolve));
  app.addHook('onRequest', async (request, reply) => {
    seen.push({ headers: request.headers, url: request.url });
    if (request.headers['x-api-token'] !== TOKEN) return reply.status(401).send({ message: 'bad token' });
  });
  app.get<{ Params: { uscc: string } }>('/api/companies/:uscc', async (request, reply) => {
    const c = companies.find((x) => x.uscc === request.params.uscc);
    if (!c) return reply.status(404).send({ message: 'no such company in table QY_JBXX' });
    // An extra field nobody registered: it must never reach a consumer.
    return { data: { ...c, unregistered: 'x' }, traceId: 'abc' };
  });
  app.get('/api/companies/:uscc/licenses', async () => ({ items: [{ number: 'L-1' }] }));
  app.get('/api/broken', async (_request, reply) => reply.status(500).send({ message: 'ORA-00942: table or view does not exist at 10.2.3.4' }));
  app.get('/api/moved', async (_request, reply) => reply.redirect('http://169.254.169.254/latest/meta-data', 302));
  app.get('/api/slow', async () => {
    await hang;
    return { value: 1 };
  });
  app.get('/api/lookup', async () => ({ value: 3 }));
  // Answers when the test says so: a call in flight for as long as the test needs.
  app.get('/api/held', async () => {
    await held;
    return { value: 2 };
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `${address}/api`, seen, release, releaseHeld };
}

describeEachBackend('interface gateway', ({ use }) => {
  let t: ShareTestApp;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let admin: Client;
  let secadmin: Client;
  let auditor: Client;
  let officer: Client;
  let otherOfficer: Client;
  let consumer: Client;
  let key: Client;
  let otherKey: Client;
  let otherConsumer: Client;
  let code: string;
  let slowCode: string;
  let grantId: string;

  const gw = (c: Client, path: string, method = 'GET', headers: Record<string, string> = {}) =>
    c.call(method, `/api/v1/services/${code}${path}`, undefined, headers);
  const auditRecords = async (query: string) =>
    (await auditor.call('GET', `/api/v1/audit/records?${query}`)).json().items as { action: string; result: string; details: Record<string, unknown> }[];

  beforeAll(async () => {
    upstream = await startUpstream();
    t = await startShareApp(use().db, { PDX_UPSTREAM_ALLOW: '127.0.0.1/32' });
    admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    auditor = await t.login('auditor', ADMIN_PASSWORDS.auditor);
    const market = await createOrg(admin, '省市场监督管理局');
    const civil = await createOrg(admin, '朝阳市民政局', 'city', '211300');
    const other = await createOrg(admin, '锦州市民政局', 'city', '210700');
    officer = (await provisionUser(t, admin, 'sc-officer', ['data_officer'], market)).client;
    otherOfficer = (await provisionUser(t, admin, 'mz-officer', ['data_officer'], civil)).client;
    consumer = (await provisionUser(t, admin, 'mz-consumer', ['consumer'], civil)).client;
    otherConsumer = (await provisionUser(t, admin, 'jz-consumer', ['consumer'], other)).client;
    key = t.withKey(await apiKey(consumer));
    otherKey = t.withKey(await apiKey(otherConsumer));
  });
  afterAll(async () => {
    upstream?.release();
    upstream?.releaseHeld();
    await t?.close();
    await upstream?.app.close();
  });

  it('registers an interface from an OpenAPI document: operations, graded fields, the credential encrypted and never returned', async () => {
    const res = await officer.call('POST', '/api/v1/gateway/services', {
      name: '企业信息查询',
      baseUrl: upstream.url,
      timeoutMs: 30_000,
      auth: { header: 'X-Api-Token', secret: TOKEN },
      openapi: OPENAPI,
      samples: { getCompany: { data: companies[1] } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const s = res.json();
    code = s.code;
    expect(res.body).not.toContain(TOKEN);
    expect(s).toMatchObject({ status: 'draft', hasCredential: true, authHeader: 'x-api-token', baseUrl: upstream.url });
    expect(s.operations.map((o: { id: string; method: string; path: string }) => `${o.id} ${o.method} ${o.path}`)).toEqual([
      'getCompany GET /companies/{uscc}',
      'listLicenses GET /companies/{uscc}/licenses',
      'broken GET /broken',
      'moved GET /moved',
    ]);
    const field = (name: string) => s.fields.find((f: { name: string }) => f.name === name);
    expect(field('data.legalPerson.idNumber')).toMatchObject({ label: '法定代表人身份证号', type: 'cn_resident_id', grade: 4 });
    expect(field('data.legalPerson.name')).toMatchObject({ type: 'person_name', grade: 3 });
    expect(field('data.legalPerson.mobile')).toMatchObject({ type: 'cn_mobile', grade: 3 });
    expect(field('items[].number')).toBeDefined();
    expect(s.grade).toBe(4);
    // The credential is in no audit record either.
    expect(JSON.stringify(t.events)).not.toContain(TOKEN);

    // A consumer sees the interface once published, without the upstream address or credential header.
    expect((await officer.call('POST', `/api/v1/datasets/${code}/publish`)).statusCode).toBe(200);
    const seen = (await consumer.call('GET', `/api/v1/gateway/services/${code}`)).json();
    expect(seen).toMatchObject({ code, baseUrl: null, authHeader: null, hasCredential: true });
    expect((await consumer.call('GET', '/api/v1/gateway/services')).json().items.map((x: { code: string }) => x.code)).toContain(code);

    const slow = await officer.call('POST', '/api/v1/gateway/services', {
      name: '慢接口',
      baseUrl: upstream.url,
      timeoutMs: 300,
      auth: { header: 'x-api-token', secret: TOKEN },
      operations: [{ id: 'slow', method: 'GET', path: '/slow', fields: [{ path: 'value', label: '数值', dataType: 'integer' }] }],
    });
    expect(slow.statusCode, slow.body).toBe(201);
    slowCode = slow.json().code;
    expect((await officer.call('POST', `/api/v1/datasets/${slowCode}/publish`)).statusCode).toBe(200);
  });

  it('refuses bad registrations with the field named', async () => {
    const base = { name: '坏接口', baseUrl: upstream.url };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, baseUrl: 'ftp://x/y' }, 'invalid_base_url'],
      [{ ...base, baseUrl: 'http://user:pw@127.0.0.1/' }, 'invalid_base_url'],
      [{ ...base, openapi: 'openapi: 3.0.0\npaths: [' }, 'invalid_openapi'],
      [{ ...base, openapi: '{"swagger":"2.0","paths":{}}' }, 'invalid_openapi'],
      [{ ...base, operations: [{ id: 'x', method: 'GET', path: '/a/../b', fields: [{ path: 'v' }] }] }, 'invalid_operation'],
      [{ ...base, operations: [{ id: 'x', method: 'GET', path: '/a' }] }, 'no_fields'],
    ];
    for (const [body, expected] of cases) {
      const res = await officer.call('POST', '/api/v1/gateway/services', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe(expected);
    }
  });

  it('request → provider approval → security approval for 4级 fields; operations and field modes checked', async () => {
    const ask = (body: Record<string, unknown>) =>
      consumer.call('POST', '/api/v1/share/requests', {
        dataset: code,
        columns: ['data.name', 'data.legalPerson.name', 'data.legalPerson.idNumber', 'data.legalPerson.mobile'],
        operations: ['getCompany', 'broken', 'moved'],
        purpose: '低保申请人名下企业核查',
        purposeCategory: 'social_assistance',
        legalBasis: '《社会救助暂行办法》第十一条',
        endDate: '2099-06-30',
        ...body,
      });
    expect((await ask({ operations: ['getCompany', 'nope'] })).json().error.code).toBe('unknown_operation');
    expect((await ask({ operations: undefined })).json().error.code).toBe('operations_required');
    const req = await ask({});
    expect(req.statusCode, req.body).toBe(201);
    expect(req.json()).toMatchObject({ needsSecurity: true, operations: ['getCompany', 'broken', 'moved'] });
    const id = req.json().id;
    const columns = [
      { name: 'data.name', mode: 'clear' },
      { name: 'data.legalPerson.name', mode: 'masked' },
      { name: 'data.legalPerson.idNumber', mode: 'masked' },
      { name: 'data.legalPerson.mobile', mode: 'hidden' },
    ];
    const approve = (body: Record<string, unknown>) => officer.call('POST', `/api/v1/share/requests/${id}/approve`, { columns, ...body });
    expect((await approve({ operations: ['listLicenses'] })).json().error.code).toBe('operation_not_requested');
    expect((await approve({ columns: [{ name: 'data.name', mode: 'generalized' }] })).json().error.code).toBe('mode_not_applicable');
    const approved = await approve({});
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json().state).toBe('provider_approved');
    // Not active until the security administrator approves: the gateway still refuses.
    expect((await gw(key, `/companies/${company.uscc}`)).json().error.code).toBe('no_grant');
    const sec = await secadmin.call('POST', `/api/v1/share/requests/${id}/security-approve`, { note: '同意' });
    expect(sec.json().state).toBe('active');
    grantId = sec.json().grantId;
    expect((await consumer.call('GET', `/api/v1/share/grants/${grantId}`)).json().operations).toEqual(['getCompany', 'broken', 'moved']);
  });

  it('answers in the granted forms: masked, clear, hidden and unregistered fields removed; spoofing headers stripped, credential added; audited first', async () => {
    const res = await gw(key, `/companies/${company.uscc}`, 'GET', {
      host: 'evil.example',
      'x-forwarded-for': '10.9.9.9',
      'x-forwarded-host': 'evil.example',
      'x-real-ip': '10.9.9.9',
      cookie: 'session=stolen',
      'x-api-token': 'forged',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-pdx-grant']).toBe(grantId);
    expect(res.json()).toEqual({
      data: {
        name: company.name,
        legalPerson: { name: mask('person_name', company.legalPerson.name), idNumber: mask('cn_resident_id', company.legalPerson.idNumber) },
      },
    });
    expect(res.body).not.toContain(company.legalPerson.mobile);
    expect(res.body).not.toContain(company.internalNote);

    const last = upstream.seen.at(-1)!;
    expect(last.url).toBe(`/api/companies/${company.uscc}`);
    expect(last.headers['x-api-token']).toBe(TOKEN);
    expect(last.headers.host).toBe(new URL(upstream.url).host);
    for (const h of ['authorization', 'cookie', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip']) expect(last.headers[h], h).toBeUndefined();

    const [call] = await auditRecords(`action=gateway.call&dataset=${code}&limit=1`);
    expect(call).toMatchObject({ result: 'success', details: { operation: 'getCompany', grantId, upstreamStatus: 200, rowCount: 1 } });
    expect(call!.details.columns).toEqual(expect.arrayContaining([{ name: 'data.legalPerson.idNumber', mode: 'masked' }]));
    expect(call!.details.responseHash).toMatch(/^[0-9a-f]{64}$/);
    expect(call!.details.sentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(call)).not.toContain(company.legalPerson.idNumber);
  });

  it('refuses operations outside the grant, unknown paths, traversal and undeclared parameters', async () => {
    const cases: [string, string, number, string][] = [
      ['GET', `/companies/${company.uscc}/licenses`, 403, 'operation_not_granted'],
      ['GET', '/nothing/here', 404, 'unknown_operation'],
      ['DELETE', `/companies/${company.uscc}`, 404, 'unknown_operation'],
      ['GET', '/companies/..%2F..%2Fadmin', 400, 'invalid_path'],
      ['GET', '/companies/..%5C..%5Cadmin', 400, 'invalid_path'],
      ['GET', '/companies/%00', 400, 'invalid_text'],
      ['GET', `/companies/${company.uscc}?debug=1`, 400, 'unknown_parameter'],
    ];
    const before = upstream.seen.length;
    for (const [method, path, status, errorCode] of cases) {
      const res = await gw(key, path, method);
      expect(res.statusCode, `${method} ${path} ${res.body}`).toBe(status);
      expect(res.json().error.code).toBe(errorCode);
    }
    expect(upstream.seen.length).toBe(before);
    const denied = await auditRecords(`action=access.denied&dataset=${code}&limit=20`);
    expect(denied.map((d) => d.details.reason)).toEqual(
      expect.arrayContaining(['operation_not_granted', 'unknown_operation', 'invalid_path', 'unknown_parameter']),
    );
  });

  it('maps upstream failures to pdx errors without the upstream internals', async () => {
    const missing = await gw(key, `/companies/${uscc(new Random(999))}`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('upstream_not_found');
    expect(missing.body).not.toContain('QY_JBXX');
    const broken = await gw(key, '/broken');
    expect(broken.statusCode).toBe(502);
    expect(broken.json().error).toMatchObject({ code: 'upstream_error', details: { upstreamStatus: 500 } });
    expect(broken.body).not.toContain('ORA-');
    const moved = await gw(key, '/moved');
    expect(moved.statusCode).toBe(502);
    expect(moved.json().error.code).toBe('upstream_redirect');
    expect(upstream.seen.some((s) => s.url.includes('meta-data'))).toBe(false);
    const failures = await auditRecords(`action=gateway.call&dataset=${code}&result=failure&limit=10`);
    expect(failures.map((f) => f.details.error)).toEqual(expect.arrayContaining(['upstream_not_found', 'upstream_error', 'upstream_redirect']));
  });

  it('a hanging upstream ends in a 504 at the service timeout, audited', async () => {
    const req = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: slowCode,
      columns: ['value'],
      operations: ['slow'],
      purpose: '测试慢接口',
      purposeCategory: 'other',
      legalBasis: '测试依据',
      endDate: '2099-06-30',
    });
    const ok = await officer.call('POST', `/api/v1/share/requests/${req.json().id}/approve`, { columns: [{ name: 'value', mode: 'clear' }] });
    expect(ok.json().state).toBe('active');
    const res = await key.call('GET', `/api/v1/services/${slowCode}/slow`);
    expect(res.statusCode).toBe(504);
    expect(res.json().error.code).toBe('upstream_timeout');
    const [failure] = await auditRecords(`action=gateway.call&dataset=${slowCode}&limit=1`);
    expect(failure).toMatchObject({ result: 'failure', details: { error: 'upstream_timeout', operation: 'slow' } });
  });

  it('a slow upstream cannot take more than its calls in flight: the next one is a 503 at once', async () => {
    const reg = await officer.call('POST', '/api/v1/gateway/services', {
      name: '单并发接口',
      baseUrl: upstream.url,
      timeoutMs: 60_000,
      maxConcurrency: 1,
      auth: { header: 'x-api-token', secret: TOKEN },
      operations: [{ id: 'held', method: 'GET', path: '/held', fields: [{ path: 'value', label: '数值', dataType: 'integer' }] }],
    });
    const heldCode = reg.json().code as string;
    await officer.call('POST', `/api/v1/datasets/${heldCode}/publish`);
    const req = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: heldCode,
      columns: ['value'],
      operations: ['held'],
      purpose: '测试并发上限',
      purposeCategory: 'other',
      legalBasis: '测试依据',
      endDate: '2099-06-30',
    });
    await officer.call('POST', `/api/v1/share/requests/${req.json().id}/approve`, { columns: [{ name: 'value', mode: 'clear' }] });
    const first = key.call('GET', `/api/v1/services/${heldCode}/held`);
    await expect.poll(() => upstream.seen.some((x) => x.url === '/api/held')).toBe(true);
    const second = await key.call('GET', `/api/v1/services/${heldCode}/held`);
    expect(second.statusCode).toBe(503);
    expect(second.json().error).toMatchObject({ code: 'upstream_busy', details: { limit: 1 } });
    upstream.releaseHeld();
    const done = await first;
    expect(done.statusCode).toBe(200);
    expect(done.json()).toEqual({ value: 2 });
    // The slot is free again.
    expect((await key.call('GET', `/api/v1/services/${heldCode}/held`)).statusCode).toBe(200);
  });

  /** A one-operation service of the provider, granted to the consumer with the given quotas. */
  async function quotaService(name: string, quotas: { rowsPerDay?: number; requestsPerMinute?: number }) {
    const reg = await officer.call('POST', '/api/v1/gateway/services', {
      name,
      baseUrl: upstream.url,
      auth: { header: 'x-api-token', secret: TOKEN },
      operations: [
        {
          id: 'lookup',
          method: 'GET',
          path: '/lookup',
          parameters: [{ name: 'id', in: 'query', required: true }],
          fields: [{ path: 'value', label: '数值', dataType: 'integer' }],
        },
      ],
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const code = reg.json().code as string;
    await officer.call('POST', `/api/v1/datasets/${code}/publish`);
    const req = await consumer.call('POST', '/api/v1/share/requests', {
      dataset: code,
      columns: ['value'],
      operations: ['lookup'],
      purpose: '测试配额',
      purposeCategory: 'other',
      legalBasis: '测试依据',
      endDate: '2099-06-30',
    });
    const approved = await officer.call('POST', `/api/v1/share/requests/${req.json().id}/approve`, { columns: [{ name: 'value', mode: 'clear' }], ...quotas });
    expect(approved.json().state, approved.body).toBe('active');
    return { code, call: (query: string) => key.call('GET', `/api/v1/services/${code}/lookup${query}`) };
  }

  it('a missing parameter and the daily call quota are refused before the upstream, audited as refusals the detectors count', async () => {
    const { code: quotaCode, call } = await quotaService('配额接口', { rowsPerDay: 2 });
    const before = upstream.seen.length;

    const missing = await call('');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ code: 'missing_parameter', details: { parameter: 'id' } });
    expect(upstream.seen.length).toBe(before);
    const [denied] = await auditRecords(`action=access.denied&dataset=${quotaCode}&limit=1`);
    expect(denied).toMatchObject({ result: 'denied', details: { reason: 'missing_parameter', operation: 'lookup', parameter: 'id' } });

    expect((await call('?id=1')).statusCode).toBe(200);
    expect((await call('?id=2')).statusCode).toBe(200);
    const over = await call('?id=3');
    expect(over.statusCode).toBe(429);
    expect(upstream.seen.length).toBe(before + 2);
    const [quota] = await auditRecords(`action=data.quota_exceeded&dataset=${quotaCode}&limit=1`);
    expect(quota).toMatchObject({ result: 'denied', details: { quota: 'calls_per_day', limit: 2, operation: 'lookup' } });
  });

  it('the per-minute call quota is refused before the upstream and audited, the daily quota counted in the same statement', async () => {
    const { code, call } = await quotaService('每分钟配额接口', { requestsPerMinute: 1, rowsPerDay: 100 });
    const before = upstream.seen.length;
    expect((await call('?id=1')).statusCode).toBe(200);
    // The minute's window may have turned between the calls: then the second call passes; the third cannot pass too.
    const second = await call('?id=2');
    const refused = second.statusCode === 429 ? second : await call('?id=3');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(upstream.seen.length).toBe(before + (second.statusCode === 429 ? 1 : 2));
    const [quota] = await auditRecords(`action=data.quota_exceeded&dataset=${code}&limit=1`);
    expect(quota).toMatchObject({ result: 'denied', details: { quota: 'requests', limit: 1 } });
  });

  it('authorization boundary of every gateway route', async () => {
    const register = { name: '越权登记', baseUrl: upstream.url, operations: [{ id: 'a', method: 'GET', path: '/a', fields: [{ path: 'v' }] }] };
    // Register, preview, credential: the provider's data officers only.
    for (const c of [consumer, secadmin, auditor, admin]) {
      expect((await c.call('POST', '/api/v1/gateway/services', register)).statusCode).toBe(403);
      expect((await c.call('POST', '/api/v1/gateway/openapi/preview', { openapi: OPENAPI })).statusCode).toBe(403);
      expect((await c.call('PUT', `/api/v1/gateway/services/${code}/credential`, { auth: null })).statusCode).toBe(403);
    }
    expect((await key.call('POST', '/api/v1/gateway/services', register)).statusCode).toBe(403);
    expect((await otherOfficer.call('PUT', `/api/v1/gateway/services/${code}/credential`, { auth: null })).statusCode).toBe(403);
    for (const [method, url] of [
      ['POST', '/api/v1/gateway/services'],
      ['POST', '/api/v1/gateway/openapi/preview'],
      ['GET', '/api/v1/gateway/services'],
      ['GET', `/api/v1/gateway/services/${code}`],
      ['PUT', `/api/v1/gateway/services/${code}/credential`],
      ['GET', `/api/v1/services/${code}/companies/${company.uscc}`],
    ] as const) {
      expect((await t.anonymous.call(method, url, method === 'GET' ? undefined : {})).statusCode, url).toBe(401);
    }
    const preview = await officer.call('POST', '/api/v1/gateway/openapi/preview', { openapi: OPENAPI });
    expect(preview.json().operations).toHaveLength(4);
    // Listing and detail: participants; the auditor and sysadmin are not.
    for (const c of [auditor, admin]) {
      expect((await c.call('GET', '/api/v1/gateway/services')).statusCode).toBe(403);
      expect((await c.call('GET', `/api/v1/gateway/services/${code}`)).statusCode).toBe(403);
    }
    // The gateway: consumers and data officers with a grant; administrators never.
    for (const c of [secadmin, auditor, admin]) expect((await gw(c, `/companies/${company.uscc}`)).statusCode).toBe(403);
    const stranger = await gw(otherKey, `/companies/${company.uscc}`);
    expect(stranger.statusCode).toBe(403);
    expect(stranger.json().error.code).toBe('no_grant');
    expect(stranger.body).not.toContain(company.name);
    // The provider's own officer has no grant on its own interface.
    expect((await gw(officer, `/companies/${company.uscc}`)).json().error.code).toBe('no_grant');
    // The data API of tables does not read an interface.
    expect((await key.call('GET', `/api/v1/datasets/${code}/records`)).json().error.code).toBe('wrong_resource_kind');
  });

  it('call statistics from the message log: the provider sees its services, a consumer its own calls, the authority all; others nothing', async () => {
    const stats = async (c: Client, query = '') => {
      const res = await c.call('GET', `/api/v1/gateway/stats${query}`);
      expect(res.body).not.toContain(TOKEN);
      return res;
    };
    type Item = {
      service: string;
      operation: string;
      consumerOrgId: string | null;
      consumerOrgName: string;
      calls: number;
      errors: number;
      p50: number | null;
      p95: number | null;
      days: { day: string; calls: number }[];
    };
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

    const provided = await stats(officer);
    expect(provided.statusCode, provided.body).toBe(200);
    const p = provided.json();
    expect(p).toMatchObject({ view: 'provided', views: ['provided', 'consumed'], to: today });
    const item = (items: Item[], service: string, operation: string) => items.find((i) => i.service === service && i.operation === operation);
    const company = item(p.items, code, 'getCompany')!;
    // One answered call and one the upstream did not find (a failure), both by 朝阳市民政局.
    expect(company).toMatchObject({ calls: 2, errors: 1, consumerOrgName: '朝阳市民政局', days: [{ day: today, calls: 2 }] });
    expect(company.p50).toEqual(expect.any(Number));
    expect(company.p95!).toBeGreaterThanOrEqual(company.p50!);
    expect(item(p.items, code, 'broken')).toMatchObject({ calls: 1, errors: 1 });
    expect(item(p.items, slowCode, 'slow')).toMatchObject({ calls: 1, errors: 1 });
    expect(p.totals.calls).toBe(p.items.reduce((n: number, i: Item) => n + i.calls, 0));
    expect(p.byDay).toEqual([expect.objectContaining({ day: today, calls: p.totals.calls, errors: p.totals.errors })]);
    // Filters: one service, one operation; a range without calls.
    const one = (await stats(officer, `?service=${code}&operation=getCompany`)).json();
    expect(one.items).toHaveLength(1);
    expect(one.totals).toMatchObject({ calls: 2, errors: 1 });
    expect((await stats(officer, '?from=2020-01-01&to=2020-01-31')).json()).toMatchObject({ totals: { calls: 0 }, items: [], byDay: [] });
    expect((await stats(officer, '?from=2020-02-01&to=2020-01-01')).json().error.code).toBe('invalid_range');
    expect((await stats(officer, '?from=2019-01-01&to=2020-06-01')).json().error.code).toBe('range_too_long');

    // The consumer: its own organisation's calls, never the provider's view or another organisation's.
    const consumed = (await stats(consumer)).json();
    expect(consumed.view).toBe('consumed');
    expect(item(consumed.items, code, 'getCompany')).toMatchObject({ calls: 2 });
    expect(new Set(consumed.items.map((i: Item) => i.consumerOrgName))).toEqual(new Set(['朝阳市民政局']));
    for (const view of ['provided', 'all']) expect((await stats(consumer, `?view=${view}`)).statusCode).toBe(403);
    expect((await stats(consumer, '?consumerOrgId=not-mine')).json().items).toEqual([]);
    // Another department's officer provides no service; a consumer without a grant made no call.
    expect((await stats(otherOfficer, '?view=provided')).json()).toMatchObject({ items: [], totals: { calls: 0 } });
    expect((await stats(otherOfficer, `?view=provided&service=${code}`)).json().items).toEqual([]);
    expect((await stats(otherConsumer)).json()).toMatchObject({ view: 'consumed', items: [], totals: { calls: 0 } });
    // The authority sees every service; administrators without the role and anonymous callers nothing.
    const all = (await stats(secadmin)).json();
    expect(all.view).toBe('all');
    expect(all.totals.calls).toBeGreaterThanOrEqual(p.totals.calls);
    for (const c of [auditor, admin]) expect((await stats(c)).statusCode).toBe(403);
    expect((await stats(key)).statusCode).toBe(403);
    expect((await t.anonymous.call('GET', '/api/v1/gateway/stats')).statusCode).toBe(401);
    // The overview counts the gateway's calls by day.
    const overview = (await consumer.call('GET', '/api/v1/overview')).json();
    expect(overview.totals.gatewayCalls).toBeGreaterThanOrEqual(p.totals.calls);
    expect(overview.sharing.reduce((n: number, d: { calls: number }) => n + d.calls, 0)).toBe(overview.totals.gatewayCalls);
  });

  it('the provider edits its interface: preview of a re-import with field grades, blank secret kept, operations replaced, audited; nobody else may', async () => {
    const extended = `${OPENAPI}\n`.replace(
      '  /broken:',
      `  /companies/{uscc}/branches:
    get:
      operationId: listBranches
      parameters:
        - { name: uscc, in: path, required: true, schema: { type: string } }
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  branches:
                    type: array
                    items:
                      type: object
                      properties:
                        managerId: { type: string, title: 负责人身份证号 }
  /broken:`,
    );
    for (const c of [otherOfficer, consumer, secadmin, auditor, admin]) {
      const res = await c.call('PUT', `/api/v1/gateway/services/${code}`, { timeoutMs: 1000 });
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain(TOKEN);
      expect((await c.call('POST', '/api/v1/gateway/openapi/preview', { openapi: extended, service: code })).statusCode).toBe(403);
    }
    expect((await key.call('PUT', `/api/v1/gateway/services/${code}`, { timeoutMs: 1000 })).statusCode).toBe(403);
    expect((await t.anonymous.call('PUT', `/api/v1/gateway/services/${code}`, {})).statusCode).toBe(401);

    const preview = await officer.call('POST', '/api/v1/gateway/openapi/preview', { openapi: extended, service: code });
    expect(preview.statusCode, preview.body).toBe(200);
    const p = preview.json();
    expect(p).toMatchObject({ added: ['listBranches'], removed: [] });
    const field = (name: string) => p.fields.find((f: { path: string }) => f.path === name);
    expect(field('data.legalPerson.idNumber')).toMatchObject({ grade: 4, existing: true });
    expect(field('branches[].managerId')).toMatchObject({ type: 'cn_resident_id', grade: 4, existing: false });
    expect(preview.body).not.toContain(TOKEN);

    // A blank secret keeps the stored one: the next call still authenticates upstream.
    const edited = await officer.call('PUT', `/api/v1/gateway/services/${code}`, {
      timeoutMs: 20_000,
      auth: { header: 'X-Api-Token', secret: '' },
      openapi: extended,
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.body).not.toContain(TOKEN);
    const s = edited.json();
    expect(s).toMatchObject({ timeoutMs: 20_000, hasCredential: true, authHeader: 'x-api-token' });
    expect(s.operations.map((o: { id: string }) => o.id)).toEqual(['getCompany', 'listLicenses', 'listBranches', 'broken', 'moved']);
    expect(s.fields.find((f: { name: string }) => f.name === 'data.legalPerson.idNumber')).toMatchObject({ grade: 4 });
    expect((await gw(key, `/companies/${company.uscc}`)).statusCode).toBe(200);
    // The new operation is not in the grant.
    expect((await gw(key, `/companies/${company.uscc}/branches`)).json().error.code).toBe('operation_not_granted');
    // Without a stored secret, a header alone is refused.
    const bare = await officer.call('POST', '/api/v1/gateway/services', {
      name: '无凭据接口',
      baseUrl: upstream.url,
      operations: [{ id: 'a', method: 'GET', path: '/a', fields: [{ path: 'v' }] }],
    });
    expect((await officer.call('PUT', `/api/v1/gateway/services/${bare.json().code}`, { auth: { header: 'x-api-token' } })).json().error.code).toBe(
      'credential_required',
    );
    expect((await officer.call('PUT', `/api/v1/gateway/services/${code}`, { baseUrl: 'ftp://x/y' })).json().error.code).toBe('invalid_base_url');

    const [update] = await auditRecords(`action=gateway.update&dataset=${code}&limit=1`);
    expect(update).toMatchObject({
      result: 'success',
      details: {
        timeoutMs: { from: 30_000, to: 20_000 },
        credential: { header: 'x-api-token', replaced: false },
        operations: { added: ['listBranches'], removed: [] },
      },
    });
    expect(JSON.stringify(t.events)).not.toContain(TOKEN);
  });

  it('replacing the credential takes effect on the next call; revocation is immediate', async () => {
    const replaced = await officer.call('PUT', `/api/v1/gateway/services/${code}/credential`, { auth: { header: 'x-api-token', secret: 'wrong-now' } });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.body).not.toContain('wrong-now');
    const refused = await gw(key, `/companies/${company.uscc}`);
    expect(refused.statusCode).toBe(502);
    expect(refused.json().error).toMatchObject({ code: 'upstream_error', details: { upstreamStatus: 401 } });
    await officer.call('PUT', `/api/v1/gateway/services/${code}/credential`, { auth: { header: 'x-api-token', secret: TOKEN } });
    expect((await gw(key, `/companies/${company.uscc}`)).statusCode).toBe(200);

    const revoked = await officer.call('POST', `/api/v1/share/grants/${grantId}/revoke`, { reason: '核查结束' });
    expect(revoked.statusCode, revoked.body).toBe(200);
    const before = upstream.seen.length;
    const res = await gw(key, `/companies/${company.uscc}`);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('grant_revoked');
    expect(upstream.seen.length).toBe(before);
  });
});
