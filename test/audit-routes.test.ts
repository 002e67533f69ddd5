/**
 * The audit API through the real app: the identity hook authenticates, routes declare access, and
 * the audit log itself is the app's event sink (sign-ins and denials land in the chain).
 */
import type { LightMyRequestResponse } from 'fastify';
import { expect, it } from 'vitest';
import { ADMIN_PASSWORDS, startTestApp, type TestApp } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import type { App } from '../src/http/app.ts';
import { treeHeadMessage, type AuditLog } from '../src/modules/audit/audit.service.ts';
import { verifyInclusion } from '../src/modules/audit/merkle.ts';
import { verifySignature } from '../src/modules/audit/signer.ts';

type Call = (method: 'GET', url: string) => Promise<LightMyRequestResponse>;

describeEachBackend('audit routes', ({ use }) => {
  let app: App;
  let audit: AuditLog;
  const as: Record<string, Call> = {};

  let t: TestApp;

  it('starts an app whose event sink is the audit log', async () => {
    t = await startTestApp(use().db);
    app = t.app;
    audit = t.services.audit;
    for (const username of ['auditor', 'sysadmin'] as const) {
      const { cookie } = (await t.login(username, ADMIN_PASSWORDS[username])).headers;
      as[username] = (method, url) => app.inject({ method, url, headers: { cookie } });
    }
    as.anonymous = (method, url) => app.inject({ method, url });
    await audit.record({
      action: 'data.read',
      result: 'success',
      actor: { userId: 'u-1', username: '民政局应用' },
      dataset: 'huji_renkou',
      details: { columns: [{ name: '身份证号', mode: 'pseudonym' }], rowCount: 3 },
    });
  });

  it('describes every audit route in the OpenAPI document', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths).filter((p) => p.startsWith('/api/v1/audit/'));
    expect(paths.sort()).toEqual([
      '/api/v1/audit/access-history',
      '/api/v1/audit/consistency',
      '/api/v1/audit/export',
      '/api/v1/audit/heads/latest',
      '/api/v1/audit/proof/{seq}',
      '/api/v1/audit/public-key',
      '/api/v1/audit/records',
      '/api/v1/audit/records/{seq}',
      '/api/v1/audit/verify',
      '/api/v1/audit/witness',
    ]);
  });

  it('publishes the public key to anyone', async () => {
    const res = await as.anonymous!('GET', '/api/v1/audit/public-key');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ algorithm: 'Ed25519', hashAlg: 'sha256', publicKeyPem: expect.stringContaining('BEGIN PUBLIC KEY') });
  });

  it('lets only the auditor read the log', async () => {
    const urls = [
      '/api/v1/audit/verify',
      '/api/v1/audit/records',
      '/api/v1/audit/records/1',
      '/api/v1/audit/proof/1',
      '/api/v1/audit/heads/latest',
      '/api/v1/audit/consistency?from=1&to=1',
      '/api/v1/audit/export?format=json',
      '/api/v1/audit/access-history?dataset=huji_renkou',
      '/api/v1/audit/witness',
    ];
    for (const url of urls) {
      expect((await as.anonymous!('GET', url)).statusCode, url).toBe(401);
      expect((await as.sysadmin!('GET', url)).statusCode, url).toBe(403);
    }
    const denials = await audit.search({ action: 'access.denied', actorUsername: 'sysadmin' }, { limit: 500 });
    expect(denials.items).toHaveLength(urls.length);
  });

  it('verifies, searches and proves for the auditor', async () => {
    const verify = await as.auditor!('GET', '/api/v1/audit/verify');
    expect(verify.statusCode).toBe(200);
    expect(verify.json()).toMatchObject({ ok: true });

    const logins = await as.auditor!('GET', '/api/v1/audit/records?action=auth.login&result=success&limit=10');
    expect(logins.statusCode).toBe(200);
    expect(
      logins
        .json()
        .items.map((r: { actorUsername: string }) => r.actorUsername)
        .sort(),
    ).toEqual(['auditor', 'sysadmin']);

    const bad = await as.auditor!('GET', '/api/v1/audit/records?from=yesterday');
    expect(bad.statusCode).toBe(400);

    const proof = await as.auditor!('GET', '/api/v1/audit/proof/2');
    expect(proof.statusCode).toBe(200);
    const p = proof.json();
    expect(p.record.seq).toBe(2);
    const buf = (h: string) => Buffer.from(h, 'hex');
    expect(verifyInclusion('sha256', buf(p.leafHash), p.leafIndex, p.treeSize, p.auditPath.map(buf), buf(p.head.rootHash))).toBe(true);
    const key = (await as.anonymous!('GET', '/api/v1/audit/public-key')).json();
    expect(verifySignature(key.publicKeyPem, treeHeadMessage(p.head), Buffer.from(p.head.signature, 'base64'))).toBe(true);

    expect((await as.auditor!('GET', '/api/v1/audit/records/999999')).statusCode).toBe(404);
    const size = p.head.treeSize;
    const consistency = await as.auditor!('GET', `/api/v1/audit/consistency?from=${size}&to=${size}`);
    expect(consistency.json()).toMatchObject({ proof: [] });
  });

  it('answers access history and streams exports', async () => {
    const history = await as.auditor!('GET', `/api/v1/audit/access-history?dataset=huji_renkou&column=${encodeURIComponent('身份证号')}`);
    expect(history.statusCode).toBe(200);
    expect(history.json().summary).toEqual([expect.objectContaining({ actorUsername: '民政局应用', responses: 1, rows: 3 })]);

    const csv = await as.auditor!('GET', '/api/v1/audit/export?format=csv&dataset=huji_renkou');
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n').filter(Boolean)).toHaveLength(2);

    const json = await as.auditor!('GET', '/api/v1/audit/export?format=json&action_prefix=auth.');
    expect(json.headers['content-disposition']).toMatch(/attachment; filename="pdx-audit-.*\.json"/);
    const doc = json.json();
    expect(doc.records.length).toBeGreaterThanOrEqual(2);
    expect(doc.records.every((r: { record: { action: string } }) => r.record.action.startsWith('auth.'))).toBe(true);
    const exports = await audit.search({ action: 'audit.export', actorUsername: 'auditor' });
    expect(exports.items).toHaveLength(2);

    // The witness: a head over everything so far, signed by the published key, to keep outside pdx.
    const witness = await as.auditor!('GET', '/api/v1/audit/witness');
    expect(witness.statusCode).toBe(200);
    expect(witness.headers['content-disposition']).toMatch(/attachment; filename="pdx-audit-witness-\d+\.json"/);
    const w = witness.json();
    const before = (await audit.search({ action: 'audit.witness' })).items[0]!.seq;
    expect(w.head.treeSize).toBe(before - 1);
    expect(verifySignature(w.publicKeyPem, treeHeadMessage(w.head), Buffer.from(w.head.signature, 'base64'))).toBe(true);
    expect((await audit.verify({ heads: [w.head] })).ok).toBe(true);
    await app.close();
    await t.close();
  });
});
