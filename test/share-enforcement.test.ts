import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgres } from '../src/db/postgres.ts';
import { newDataKeyVersion } from '../src/modules/protect/keyring.ts';
import { describeEachBackend } from './helpers/db.ts';
import { waitForJob } from './helpers/api.ts';
import { grantJourney, shareWorld, startShareApp, type ShareTestApp, type ShareWorld } from './share-helpers.ts';

describeEachBackend('share enforcement: quotas, revocation, exports, audit before answer', ({ use, backend }) => {
  let t: ShareTestApp;
  let w: ShareWorld;

  beforeAll(async () => {
    t = await startShareApp(use().db);
    w = await shareWorld(t, 200);
  });
  afterAll(() => t?.close());

  it('requests per minute: 429 with Retry-After, counted in the database', async () => {
    const { grantId } = await grantJourney(w, { requestsPerMinute: 3 });
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 8; i++) {
      const res = await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?grant=${grantId}&limit=1`);
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        retryAfter = res.headers['retry-after'] as string;
        expect(res.body).not.toContain('rows');
        expect(res.json().error.code).toBe('rate_limited');
      }
    }
    // Even if a minute boundary passes during the loop, at most 6 of 8 can succeed.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(6);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  });

  it('rows per day: the page is cut at the quota with a cursor, then 429', async () => {
    const { grantId } = await grantJourney(w, { rowsPerDay: 10 });
    const first = await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?grant=${grantId}&limit=7`);
    expect(first.json().rows).toHaveLength(7);
    const second = await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?grant=${grantId}&limit=7&after=${first.json().next}`);
    expect(second.statusCode).toBe(200);
    expect(second.json().rows).toHaveLength(3);
    expect(second.json().next).toMatch(/^\d+$/);
    const third = await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?grant=${grantId}&limit=7&after=${second.json().next}`);
    expect(third.statusCode).toBe(429);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('IP ranges of a grant are checked against the caller address', async () => {
    const { grantId } = await grantJourney(w, { ipRanges: ['10.20.0.0/16'] });
    const res = await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?grant=${grantId}`);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('ip_not_allowed');
    const local = await grantJourney(w, { ipRanges: ['127.0.0.0/8', '::1/128'] });
    expect((await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?grant=${local.grantId}`)).statusCode).toBe(200);
  });

  it('exports: a file job with an expiring link, same checks and masking, re-checked at download', async () => {
    const { grantId } = await grantJourney(w);
    const created = await w.keyClient.call('POST', `/api/v1/datasets/${w.code}/exports`, {
      format: 'csv',
      query: `grant=${grantId}&select=姓名,户籍地,身份证号&户籍地=eq.朝阳市`,
    });
    expect(created.statusCode).toBe(202);
    const { id, jobId, downloadUrl } = created.json();
    const job = await waitForJob(w.keyClient, jobId);
    expect(job.error).toBeNull();
    expect((await w.keyClient.call('GET', `/api/v1/exports/${id}`)).json()).toMatchObject({ state: 'ready' });
    const file = await w.keyClient.call('GET', downloadUrl);
    expect(file.statusCode).toBe(200);
    const lines = file.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('姓名,户籍地,身份证号');
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines.slice(1)) expect(line).toMatch(/^\S\*+,朝阳市,[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(t.events.some((e) => e.action === 'data.export' && (e.details as { grantId: string }).grantId === grantId)).toBe(true);
    expect(t.events.some((e) => e.action === 'data.download')).toBe(true);
    // The file and its query are sealed in the database: no value of the file, no filter value, in clear.
    const stored = await use().db.query<{ query: string; data: Buffer }>(
      'SELECT e.query::text AS query, c.data FROM share_exports e JOIN share_export_chunks c ON c.export_id = e.id WHERE e.id = $1',
      [id],
    );
    expect(stored.length).toBeGreaterThan(0);
    for (const row of stored) {
      expect(row.query).not.toContain('朝阳市');
      expect(Buffer.from(row.data).includes(Buffer.from('朝阳市'))).toBe(false);
      expect(Buffer.from(row.data).includes(Buffer.from('身份证号'))).toBe(false);
    }

    // Wrong token, other organisation: the export does not exist for them.
    expect((await w.keyClient.call('GET', downloadUrl.replace(/token=.*/, 'token=pdx_wrong_token_123'))).statusCode).toBe(404);
    expect((await t.withKey(w.otherKey).call('GET', downloadUrl)).statusCode).toBe(404);
    // Hidden columns are refused when the export is made.
    const bad = await w.keyClient.call('POST', `/api/v1/datasets/${w.code}/exports`, { format: 'csv', query: `grant=${grantId}&select=手机号` });
    expect(bad.statusCode).toBe(400);
    // Revocation applies to downloads too.
    await w.officer.call('POST', `/api/v1/share/grants/${grantId}/revoke`, { reason: '撤销' });
    const after = await w.keyClient.call('GET', downloadUrl);
    expect(after.statusCode).toBe(403);
    expect(after.body).not.toContain('朝阳市');
  });

  it.runIf(backend === 'postgres')('revocation, expiry and quotas hold at once on two server processes sharing one database', async () => {
    const url = use().url!;
    const second = await openPostgres(url, 5);
    const t2 = await startShareApp(second, { PDX_MASTER_KEY: t.masterKey });
    try {
      const base = [t, t2];
      const addresses: string[] = [];
      for (const app of base) {
        await app.app.listen({ port: 0, host: '127.0.0.1' });
        const a = app.app.server.address();
        addresses.push(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
      }
      const read = (i: number, grantId: string) =>
        fetch(`${addresses[i]}/api/v1/datasets/${w.code}/records?grant=${grantId}&limit=2`, { headers: { authorization: `Bearer ${w.key}` } });
      // 核验 decides on the grant alone (no data query): a kept context is checked by its revisions.
      const verify = (i: number, grantId: string) =>
        fetch(`${addresses[i]}/api/v1/datasets/${w.code}/verify`, {
          method: 'POST',
          headers: { authorization: `Bearer ${w.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ match: { 手机号: '13800000000' }, grant: grantId }),
        });

      const revoked = await grantJourney(w);
      for (const i of [0, 1]) {
        expect((await read(i, revoked.grantId)).status).toBe(200);
        expect((await verify(i, revoked.grantId)).status).toBe(200);
      }
      const r = await w.officer.call('POST', `/api/v1/share/grants/${revoked.grantId}/revoke`, { reason: '立即撤销' });
      expect(r.statusCode).toBe(200);
      for (const i of [0, 1]) {
        for (const res of [await read(i, revoked.grantId), await verify(i, revoked.grantId)]) {
          expect(res.status).toBe(403);
          expect(((await res.json()) as { error: { code: string } }).error.code).toBe('grant_revoked');
        }
      }

      const expiring = await grantJourney(w);
      expect((await read(1, expiring.grantId)).status).toBe(200);
      await t.db.query(`UPDATE share_grants SET expires_at = now() - interval '1 second' WHERE id = $1`, [expiring.grantId]);
      for (const i of [0, 1]) expect((await read(i, expiring.grantId)).status).toBe(403);

      // A grant that reaches its end while a process keeps its access context (nothing changes in
      // the database at that instant): refused on the first request after the end, on both processes.
      // The end leaves the two reads before it ample time on a loaded machine; the test waits for it.
      const ending = await grantJourney(w);
      const [{ end }] = (await t.db.query<{ end: Date }>(
        `UPDATE share_grants SET expires_at = now() + interval '20 seconds' WHERE id = $1 RETURNING expires_at AS end`,
        [ending.grantId],
      )) as [{ end: Date }];
      for (const i of [0, 1]) expect((await read(i, ending.grantId)).status).toBe(200);
      await expect.poll(() => Date.now() > end.getTime() + 50).toBe(true);
      for (const i of [0, 1]) {
        const res = await read(i, ending.grantId);
        expect(res.status).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('grant_expired');
      }

      // A containment made through one process holds on the next request on both, and so does its lifting.
      const contained = await grantJourney(w);
      const hold = await contain('suspend_grant', contained.grantId);
      for (const i of [0, 1]) {
        const res = await read(i, contained.grantId);
        expect(res.status).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('contained');
      }
      await lift(hold);
      for (const i of [0, 1]) expect((await read(i, contained.grantId)).status).toBe(200);

      // A data key rotated through one process: the other process uses it on its next request
      // (pseudonyms follow the current key) and still decrypts values under the retired key.
      const rotating = await grantJourney(w);
      const pseudonymOf = async (i: number) => {
        const res = await read(i, rotating.grantId);
        expect(res.status).toBe(200);
        return ((await res.json()) as { rows: { 身份证号: string }[] }).rows[0]!.身份证号;
      };
      const before = await pseudonymOf(1);
      const [dataset] = await t.db.query<{ id: string }>('SELECT id FROM datasets WHERE code = $1', [w.code]);
      await newDataKeyVersion(t.db, t.services.keyring, dataset!.id);
      const after = await pseudonymOf(1);
      expect(after).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      expect(after).not.toBe(before);
      expect(await pseudonymOf(0)).toBe(after);

      // Rows under an objection raised through one process are flagged on the next read on both (the
      // flagged rows are kept with the access context; the objection raises the dataset's revision),
      // and no longer once the provider has rejected it.
      const objected = await grantJourney(w);
      const flaggedOn = async (i: number) => {
        const res = await read(i, objected.grantId);
        expect(res.status).toBe(200);
        return res.headers.get('x-pdx-flagged-rows');
      };
      for (const i of [0, 1]) expect(await flaggedOn(i)).toBeNull();
      const [{ row }] = (await t.db.query<{ row: string }>(
        `SELECT min(_row)::text AS row FROM ${(await t.db.query<{ relation: string }>('SELECT relation FROM datasets WHERE code = $1', [w.code]))[0]!.relation}`,
      )) as [{ row: string }];
      const raised = await w.consumer.call('POST', '/api/v1/duties/objections', {
        dataset: w.code,
        cells: [{ row: Number(row), column: '户籍地', proposed: '北票市' }],
        evidence: '户籍迁移证明(2026年第118号)',
      });
      expect(raised.statusCode, raised.body).toBe(201);
      for (const i of [0, 1]) expect(await flaggedOn(i)).toBe(row);
      const rejected = await w.officer.call('POST', `/api/v1/duties/objections/${raised.json().id}/reject`, { reason: '与登记一致' });
      expect(rejected.statusCode, rejected.body).toBe(200);
      for (const i of [0, 1]) expect(await flaggedOn(i)).toBeNull();

      const quota = await grantJourney(w, { requestsPerMinute: 4 });
      const statuses: number[] = [];
      for (let k = 0; k < 10; k++) statuses.push((await read(k % 2, quota.grantId)).status);
      // One counter for both processes: at most 8 (two windows) of 10 pass, and both processes refuse.
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(8);
      expect(statuses.some((s, k) => s === 429 && k % 2 === 0)).toBe(true);
      expect(statuses.some((s, k) => s === 429 && k % 2 === 1)).toBe(true);

      // The dataset itself changed (here: no longer shared) holds on the next request on both processes.
      const last = await grantJourney(w);
      for (const i of [0, 1]) expect((await read(i, last.grantId)).status).toBe(200);
      const [{ share_type: shareType }] = (await t.db.query<{ share_type: string }>(`SELECT share_type FROM datasets WHERE code = $1`, [w.code])) as [
        { share_type: string },
      ];
      await t.db.query(`UPDATE datasets SET share_type = 'none' WHERE code = $1`, [w.code]);
      for (const i of [0, 1]) {
        const res = await read(i, last.grantId);
        expect(res.status).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_shareable');
      }
      await t.db.query(`UPDATE datasets SET share_type = $2 WHERE code = $1`, [w.code, shareType]);
      for (const i of [0, 1]) expect((await read(i, last.grantId)).status).toBe(200);
    } finally {
      await t2.close();
      await second.close();
    }
  });

  /** A containment by the security administrator, through the API; returns its id. */
  async function contain(kind: 'suspend_grant' | 'freeze_dataset' | 'suspend_key', targetId: string): Promise<string> {
    const res = await w.secadmin.call('POST', '/api/v1/secops/containments', { kind, targetId, reason: '安全处置测试' });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  }
  async function lift(id: string): Promise<void> {
    const res = await w.secadmin.call('POST', `/api/v1/secops/containments/${id}/lift`, { reason: '解除处置' });
    expect(res.statusCode, res.body).toBe(200);
  }

  it('containment holds on the next request: a suspended grant, a frozen dataset, a suspended key; lifting restores access', async () => {
    const a = await grantJourney(w);
    const b = await grantJourney(w);
    const read = (grantId: string) => w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?grant=${grantId}&limit=2`);
    const refused = async (grantId: string) => {
      const res = await read(grantId);
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error.code).toBe('contained');
      expect(res.body).not.toContain('朝阳市');
    };
    expect((await read(a.grantId)).statusCode).toBe(200);

    const suspended = await contain('suspend_grant', a.grantId);
    await refused(a.grantId);
    // Only the suspended grant: the organisation's other grant of the dataset still reads.
    expect((await read(b.grantId)).statusCode).toBe(200);
    await lift(suspended);
    expect((await read(a.grantId)).statusCode).toBe(200);

    const [dataset] = await t.db.query<{ id: string }>('SELECT id FROM datasets WHERE code = $1', [w.code]);
    const frozen = await contain('freeze_dataset', dataset!.id);
    await refused(a.grantId);
    await refused(b.grantId);
    await lift(frozen);
    expect((await read(b.grantId)).statusCode).toBe(200);

    const [key] = await t.db.query<{ id: string }>('SELECT id FROM api_keys WHERE org_id = $1 AND revoked_at IS NULL ORDER BY created_at LIMIT 1', [
      w.civilOrg,
    ]);
    const keyHold = await contain('suspend_key', key!.id);
    const res = await read(a.grantId);
    // Refused by authentication (401) or by the data path (403 contained): never data.
    expect([401, 403]).toContain(res.statusCode);
    expect(res.body).not.toContain('朝阳市');
    await lift(keyHold);
    expect((await read(a.grantId)).statusCode).toBe(200);
  });

  it('audit before answer: when the audit log cannot be written, no data is sent', async () => {
    const { grantId } = await grantJourney(w);
    expect((await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?grant=${grantId}&limit=3`)).statusCode).toBe(200);
    await t.services.audit.close();
    for (const accept of ['application/json', 'application/x-ndjson', 'text/csv']) {
      const res = await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?grant=${grantId}&limit=3`, undefined, { accept });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('audit_unavailable');
      expect(res.body).not.toContain('朝阳市');
      expect(res.body).not.toContain('rows');
    }
    const verify = await w.keyClient.call('POST', `/api/v1/datasets/${w.code}/verify`, { match: { 手机号: '13800000000' }, grant: grantId });
    expect(verify.statusCode).toBe(503);
    expect(verify.body).not.toContain('match');
  });
});
