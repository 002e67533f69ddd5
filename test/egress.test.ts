/**
 * SSRF guard (issue 17): interface upstreams and data sources may not point at loopback, link-local,
 * cloud metadata addresses or pdx itself unless the security administrator allowlists the network;
 * checked at registration and again on every connection after DNS resolution. A REAL upstream on
 * 127.0.0.1 shows that a refused call never reaches it.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_PASSWORDS, createOrg, provisionUser, type Client } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { apiKey, startShareApp, type ShareTestApp } from './share-helpers.ts';

describeEachBackend('egress guard (SSRF)', ({ use }) => {
  let t: ShareTestApp;
  let upstream: FastifyInstance;
  let port: number;
  let calls = 0;
  let secadmin: Client;
  let officer: Client;
  let consumer: Client;
  let auditor: Client;

  const register = (baseUrl: string, name = '查询接口') =>
    officer.call('POST', '/api/v1/gateway/services', {
      name,
      baseUrl,
      operations: [{ id: 'get', method: 'GET', path: '/v', fields: [{ path: 'value', label: '数值', dataType: 'integer' }] }],
    });
  const allow = (networks: string[]) => secadmin.call('PUT', '/api/v1/egress/allow', { networks });

  beforeAll(async () => {
    upstream = Fastify({ forceCloseConnections: true });
    upstream.get('/api/v', async () => {
      calls++;
      return { value: 7 };
    });
    await upstream.listen({ port: 0, host: '127.0.0.1' });
    port = (upstream.server.address() as { port: number }).port;
    // No PDX_UPSTREAM_ALLOW: the defaults hold until the security administrator allowlists.
    t = await startShareApp(use().db);
    const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    auditor = await t.login('auditor', ADMIN_PASSWORDS.auditor);
    const market = await createOrg(admin, '省市场监督管理局');
    officer = (await provisionUser(t, admin, 'sc-officer', ['data_officer'], market)).client;
    const civil = await createOrg(admin, '朝阳市民政局', 'city', '211300');
    consumer = (await provisionUser(t, admin, 'mz-consumer', ['consumer'], civil)).client;
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  it('refuses loopback, this-host, link-local and metadata upstreams at registration, naming the field', async () => {
    const refused: [string, string][] = [
      [`http://127.0.0.1:${port}/api`, 'loopback'],
      [`http://127.1.2.3:${port}/api`, 'loopback'],
      [`http://[::1]:${port}/api`, 'loopback'],
      [`http://[::ffff:127.0.0.1]:${port}/api`, 'loopback'],
      [`http://0.0.0.0:${port}/api`, 'unspecified'],
      ['http://169.254.169.254/latest', 'metadata'],
      ['http://100.100.100.200/latest', 'metadata'],
      ['http://169.254.10.1/', 'link_local'],
      ['http://[fe80::1]/', 'link_local'],
      // A name is resolved: localhost is loopback.
      [`http://localhost:${port}/api`, 'loopback'],
    ];
    for (const [url, reason] of refused) {
      const res = await register(url);
      expect(res.statusCode, url).toBe(400);
      const e = res.json().error;
      expect(e.code, url).toBe('address_refused');
      expect(e.details, url).toMatchObject({ field: 'baseUrl', reason });
      expect(e.message, url).toContain('baseUrl');
    }
    const source = await officer.call('POST', '/api/v1/exchange/sources', {
      name: '本机库',
      kind: 'postgresql',
      host: 'localhost',
      port: 5432,
      database: 'x',
      user: 'u',
      password: 'p',
      tls: 'off',
    });
    expect(source.statusCode, source.body).toBe(400);
    expect(source.json().error).toMatchObject({ code: 'address_refused', details: { field: 'host', reason: 'loopback' } });
    expect(calls).toBe(0);
  });

  it('only the security administrator changes the allowlist; bad networks are named; the change is audited', async () => {
    expect((await officer.call('GET', '/api/v1/egress/allow')).statusCode).toBe(403);
    expect((await officer.call('PUT', '/api/v1/egress/allow', { networks: ['0.0.0.0/0'] })).statusCode).toBe(403);
    expect((await consumer.call('PUT', '/api/v1/egress/allow', { networks: ['0.0.0.0/0'] })).statusCode).toBe(403);
    expect((await t.anonymous.call('GET', '/api/v1/egress/allow')).statusCode).toBe(401);
    const bad = await allow(['127.0.0.1/32', '10.0.0.0/33']);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'invalid_network', details: { field: 'networks[1]' } });
    const ok = await allow(['127.0.0.1', '::1/128']);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toEqual({ env: [], networks: ['127.0.0.1/32', '::1/128'] });
    expect((await secadmin.call('GET', '/api/v1/egress/allow')).json().networks).toEqual(['127.0.0.1/32', '::1/128']);
    const records = (await auditor.call('GET', '/api/v1/audit/records?action=egress.allow')).json().items;
    expect(records[0].details).toMatchObject({ after: ['127.0.0.1/32', '::1/128'] });
  });

  it('checks again on every call after resolution: a literal or a name that now points at a refused address is not contacted', async () => {
    await allow(['127.0.0.1/32', '::1/128']);
    const byAddress = await register(`http://127.0.0.1:${port}/api`, '按地址登记');
    expect(byAddress.statusCode, byAddress.body).toBe(201);
    const byName = await register(`http://localhost:${port}/api`, '按名称登记');
    expect(byName.statusCode, byName.body).toBe(201);
    const key = t.withKey(await apiKey(consumer));
    // A consumer of another department calls under a grant: request and approve.
    for (const s of [byAddress.json().code, byName.json().code]) {
      expect((await officer.call('POST', `/api/v1/datasets/${s}/publish`)).statusCode).toBe(200);
      const req = await consumer.call('POST', '/api/v1/share/requests', {
        dataset: s,
        columns: ['value'],
        operations: ['get'],
        purpose: '核查',
        purposeCategory: 'social_assistance',
        legalBasis: '测试',
        endDate: '2099-12-31',
      });
      expect(req.statusCode, req.body).toBe(201);
      const approved = await officer.call('POST', `/api/v1/share/requests/${req.json().id}/approve`, { columns: [{ name: 'value', mode: 'clear' }] });
      expect(approved.statusCode, approved.body).toBe(200);
    }
    const first = await key.call('GET', `/api/v1/services/${byAddress.json().code}/v`);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ value: 7 });
    expect((await key.call('GET', `/api/v1/services/${byName.json().code}/v`)).statusCode).toBe(200);
    const before = calls;

    // The allowlist is withdrawn: both services are refused without contacting the upstream.
    const withdrawn = await allow([]);
    expect(withdrawn.json(), withdrawn.body).toEqual({ env: [], networks: [] });
    for (const s of [byAddress.json().code, byName.json().code]) {
      const res = await key.call('GET', `/api/v1/services/${s}/v`);
      expect(res.statusCode, res.body).toBe(502);
      expect(res.json().error.code).toBe('upstream_address_refused');
      expect(res.body).not.toContain('127.0.0.1');
    }
    expect(calls).toBe(before);
  });

  it("never contacts pdx's own listen address, even inside an allowlisted network", async () => {
    await allow(['127.0.0.0/8']);
    t.services.egress.setListen('127.0.0.1', port);
    try {
      const res = await register(`http://127.0.0.1:${port}/api`, '自身地址');
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'address_refused', details: { field: 'baseUrl', reason: 'self' } });
    } finally {
      t.services.egress.setListen('127.0.0.1', 0);
    }
  });
});
