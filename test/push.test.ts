/**
 * Push subscriptions (库表推送, issue 16 point 3) end to end on real servers: the consumer
 * 朝阳市民政局 registers a database of its own (a throwaway database on the harness's PostgreSQL
 * cluster; a MariaDB server started here) and subscribes to the view of its grant of 户籍人口. What
 * arrives in the target table is exactly what the records API answers under that grant; every
 * delivery is in the audit log; revocation stops the next delivery, containment holds it; a target
 * that is down or refuses the rows fails the run with a clear error and leaves the table as it was.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { peopleCsv } from './fixtures/people.ts';
import { multipart, waitForJob, type Client } from './helpers/api.ts';
import { createServerDatabase, describeEachBackend } from './helpers/db.ts';
import { startMariaDb, type MariaDb } from './helpers/mariadb.ts';
import { grantJourney, shareWorld, startShareApp, uploadCsv, type ShareTestApp, type ShareWorld } from './share-helpers.ts';

let maria: MariaDb;
beforeAll(async () => {
  maria = await startMariaDb();
});
afterAll(async () => {
  await maria?.stop();
});

type Row = Record<string, unknown>;

/** Rows as comparable text: every value as a string (bigint comes back as text from pg), sorted. */
function canonical(rows: Row[], columns: string[]): string[] {
  return rows.map((r) => JSON.stringify(columns.map((c) => (r[c] === null || r[c] === undefined ? null : String(r[c]))))).sort();
}

describeEachBackend('push subscriptions', ({ use }) => {
  let t: ShareTestApp;
  let w: ShareWorld;
  let grantId: string;
  let target: { url: string; drop(): Promise<void> };
  let targetDb: pg.Client;
  let targetId: string;
  const password = `Tg-${randomBytes(6).toString('hex')}`;

  const call = (c: Client, method: string, url: string, body?: unknown) => c.call(method, `/api/v1${url}`, body);

  async function deliver(c: Client, id: string) {
    const res = await call(c, 'POST', `/exchange/subscriptions/${id}/deliver`);
    expect(res.statusCode, res.body).toBe(202);
    return waitForJob(c, res.json().jobId);
  }

  /** The records API's whole answer under the grant. */
  async function recordsUnder(grant: string): Promise<{ rows: Row[]; columns: string[] }> {
    const res = await w.consumer.call('GET', `/api/v1/datasets/${w.code}/records?limit=10000&grant=${grant}`);
    expect(res.statusCode, res.body).toBe(200);
    const rows = res.json().rows as Row[];
    return { rows, columns: Object.keys(rows[0]!) };
  }

  const tableRows = async (table: string) => (await targetDb.query(`SELECT * FROM public.${table}`)).rows as Row[];

  async function subscribe(c: Client, body: Record<string, unknown>) {
    return call(c, 'POST', '/exchange/subscriptions', { grantId, targetId, mode: 'full', intervalMinutes: 60, ...body });
  }

  beforeAll(async () => {
    t = await startShareApp(use().db, { PDX_UPSTREAM_ALLOW: '127.0.0.1/32' });
    w = await shareWorld(t, 300);
    ({ grantId } = await grantJourney(w));
    target = await createServerDatabase();
    targetDb = new pg.Client(target.url);
    await targetDb.connect();
  });

  afterAll(async () => {
    await t?.close();
    await targetDb?.end();
    await target?.drop();
  });

  const pgTarget = () => {
    const u = new URL(target.url);
    return {
      kind: 'postgresql',
      host: u.hostname,
      port: Number(u.port),
      database: u.pathname.slice(1),
      user: decodeURIComponent(u.username),
      password,
      tls: 'off',
    };
  };

  it("registers a target of the consumer's own organisation: password sealed and never returned; other organisations and roles get nothing", async () => {
    const res = await call(w.consumer, 'POST', '/exchange/targets', { name: '民政前置库', ...pgTarget() });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.body).not.toContain(password);
    targetId = res.json().id;
    const [stored] = await t.db.query<{ password_sealed: Uint8Array; purpose: string }>('SELECT password_sealed, purpose FROM exchange_sources WHERE id = $1', [
      targetId,
    ]);
    expect(stored!.purpose).toBe('target');
    expect(Buffer.from(stored!.password_sealed).includes(Buffer.from(password))).toBe(false);
    expect(JSON.stringify(t.events)).not.toContain(password);

    // The consumer organisation's data officer sees it too; it is not a data source.
    expect((await call(w.civilOfficer, 'GET', '/exchange/targets')).json().map((s: { id: string }) => s.id)).toEqual([targetId]);
    expect((await call(w.civilOfficer, 'GET', '/exchange/sources')).json()).toEqual([]);
    expect((await call(w.civilOfficer, 'GET', `/exchange/sources/${targetId}`)).statusCode).toBe(404);
    // Another organisation: nothing.
    expect((await call(w.otherConsumer, 'GET', '/exchange/targets')).json()).toEqual([]);
    expect((await call(w.otherConsumer, 'POST', `/exchange/targets/${targetId}/test`)).statusCode).toBe(404);
    expect((await call(w.otherConsumer, 'POST', `/exchange/targets/${targetId}/state`, { state: 'disabled' })).statusCode).toBe(404);
    expect((await call(w.officer, 'GET', '/exchange/targets')).json()).toEqual([]);
    // Administrators and callers without a session: refused.
    expect((await call(w.admin, 'GET', '/exchange/targets')).statusCode).toBe(403);
    expect((await call(w.secadmin, 'POST', '/exchange/targets', { name: 'x', ...pgTarget() })).statusCode).toBe(403);
    expect((await call(t.anonymous, 'GET', '/exchange/targets')).statusCode).toBe(401);
    expect((await call(w.keyClient, 'GET', '/exchange/targets')).statusCode).toBe(403);

    const tested = (await call(w.consumer, 'POST', `/exchange/targets/${targetId}/test`)).json();
    expect(tested).toMatchObject({ ok: true, canWrite: true });
    expect(tested.version).toMatch(/PostgreSQL/);
  });

  it('full: the target table holds exactly the records API answer under the grant (masked, pseudonymised, generalised; verify-only and hidden columns absent; row filter applied), audited per delivery', async () => {
    // Subscribing: only the consumer organisation, on its own grant and target.
    expect((await subscribe(w.otherConsumer, { table: 'hukou' })).statusCode).toBe(404);
    expect((await subscribe(w.officer, { table: 'hukou' })).statusCode).toBe(404);
    expect((await subscribe(w.admin, { table: 'hukou' })).statusCode).toBe(403);
    expect((await subscribe(w.consumer, { table: 'bad name;' })).json().error.details).toBeDefined();
    expect((await subscribe(w.consumer, { table: 'bad name;' })).statusCode).toBe(400);

    const res = await subscribe(w.consumer, { table: 'hukou' });
    expect(res.statusCode, res.body).toBe(201);
    const sub = res.json();
    expect(sub).toMatchObject({ dataset: w.code, schema: 'public', table: 'hukou', mode: 'full', state: 'active' });
    expect((await subscribe(w.consumer, { table: 'hukou' })).statusCode).toBe(409);
    for (const c of [w.otherConsumer, w.officer]) {
      expect((await call(c, 'GET', `/exchange/subscriptions/${sub.id}`)).statusCode).toBe(404);
      expect((await call(c, 'POST', `/exchange/subscriptions/${sub.id}/deliver`)).statusCode).toBe(404);
      expect((await call(c, 'GET', `/exchange/subscriptions/${sub.id}/deliveries`)).statusCode).toBe(404);
      expect((await call(c, 'POST', `/exchange/subscriptions/${sub.id}/state`, { state: 'paused' })).statusCode).toBe(404);
      expect((await call(c, 'DELETE', `/exchange/subscriptions/${sub.id}`)).statusCode).toBe(404);
    }
    expect((await call(w.otherConsumer, 'GET', '/exchange/subscriptions')).json()).toEqual([]);
    expect((await call(w.auditor, 'GET', '/exchange/subscriptions')).statusCode).toBe(403);
    expect((await call(t.anonymous, 'POST', `/exchange/subscriptions/${sub.id}/deliver`)).statusCode).toBe(401);

    const job = await deliver(w.consumer, sub.id);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const expected = await recordsUnder(grantId);
    expect(job.result).toMatchObject({ status: 'delivered', mode: 'full', rows: expected.rows.length });

    const delivered = await tableRows('hukou');
    const { rows: columns } = await targetDb.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'hukou'`);
    expect(columns.map((c) => c.column_name).sort()).toEqual([...expected.columns].sort());
    expect(expected.columns).not.toContain('手机号');
    expect(expected.rows.every((r) => r['户籍地'] === '朝阳市')).toBe(true);
    expect(canonical(delivered, expected.columns)).toEqual(canonical(expected.rows, expected.columns));
    // Masked names, pseudonyms instead of 身份证号: no clear 18-digit ID number at the target.
    expect(JSON.stringify(delivered)).not.toMatch(/\d{17}[\dX]/);

    // The audit log: a data.push record per chunk (columns, forms, target) and the delivery's record.
    const push = t.events.filter((e) => e.action === 'exchange.push').at(-1)!;
    expect(push).toMatchObject({ dataset: w.code, result: 'success', target: { type: 'subscription', id: sub.id } });
    expect(push.details).toMatchObject({
      rowCount: expected.rows.length,
      grantId,
      mode: 'full',
      target: { table: 'hukou', schema: 'public', name: '民政前置库' },
    });
    expect((push.details as { columns: { name: string; mode: string }[] }).columns).toContainEqual({ name: '身份证号', mode: 'pseudonym' });
    const chunk = t.events.filter((e) => e.action === 'data.push').at(-1)!;
    expect(chunk.details).toMatchObject({ grantId, target: { table: 'hukou' } });
    const [audited] = await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_records WHERE action = 'exchange.push' AND target_id = $1`, [sub.id]);
    expect(Number(audited!.n)).toBe(1);

    // Again: the content is replaced, not added to.
    expect((await deliver(w.consumer, sub.id)).result).toMatchObject({ status: 'delivered', rows: expected.rows.length });
    expect(await tableRows('hukou')).toHaveLength(expected.rows.length);
    const history = (await call(w.consumer, 'GET', `/exchange/subscriptions/${sub.id}/deliveries`)).json();
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({ status: 'delivered', rows: expected.rows.length, error: null });
    expect(history[0].durationMs).toBeGreaterThanOrEqual(0);

    // The schedule: due when made; a tick queues it once, the next finds nothing due.
    expect(await t.services.exchange.push.tick()).toBe(1);
    expect(await t.services.exchange.push.tick()).toBe(0);
    const [row] = await t.db.query<{ pending_job: string | null }>('SELECT pending_job FROM exchange_subscriptions WHERE id = $1', [sub.id]);
    if (row!.pending_job) expect((await waitForJob(w.consumer, row!.pending_job)).state).toBe('succeeded');
  });

  it('incremental: the first delivery is the whole view, then only rows of appended versions; a replaced version is delivered in full', async () => {
    const sub = (await subscribe(w.consumer, { table: 'hukou_inc', mode: 'incremental' })).json();
    const first = await deliver(w.consumer, sub.id);
    const before = await recordsUnder(grantId);
    expect(first.result).toMatchObject({ status: 'delivered', mode: 'full', rows: before.rows.length });
    expect((await deliver(w.consumer, sub.id)).result).toMatchObject({ status: 'unchanged', rows: 0 });

    // The provider appends a version: only its rows (under the grant's filter) go.
    const { body, contentType } = multipart('more.csv', Buffer.from(peopleCsv(120, 99)));
    const up = await w.officer.call('POST', `/api/v1/datasets/${w.code}/versions?mode=append`, body, { 'content-type': contentType });
    expect(up.statusCode, up.body).toBe(202);
    expect((await waitForJob(w.officer, up.json().jobId)).state).toBe('succeeded');
    const after = await recordsUnder(grantId);
    expect(after.rows.length).toBeGreaterThan(before.rows.length);
    expect((await deliver(w.consumer, sub.id)).result).toMatchObject({
      status: 'delivered',
      mode: 'incremental',
      rows: after.rows.length - before.rows.length,
    });
    expect(canonical(await tableRows('hukou_inc'), after.columns)).toEqual(canonical(after.rows, after.columns));

    // A replace changes rows already delivered: the whole view again.
    await uploadCsv(w.officer, w.code, peopleCsv(200, 5));
    const replaced = await recordsUnder(grantId);
    expect((await deliver(w.consumer, sub.id)).result).toMatchObject({ status: 'delivered', mode: 'full', rows: replaced.rows.length });
    expect(canonical(await tableRows('hukou_inc'), replaced.columns)).toEqual(canonical(replaced.rows, replaced.columns));
  });

  it('an unreachable target fails with a clear error and no secret, retried with backoff; three failures in a row raise an alert', async () => {
    const down = await call(w.consumer, 'POST', '/exchange/targets', { name: '停机的前置库', ...pgTarget(), port: 1 });
    expect(down.statusCode, down.body).toBe(201);
    const sub = (await subscribe(w.consumer, { targetId: down.json().id, table: 'hukou_down' })).json();
    const failed = await deliver(w.consumer, sub.id);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'target_unreachable' });
    expect(failed.error!.message).toContain('目标库');
    expect(JSON.stringify(failed)).not.toContain(password);
    const state = (await call(w.consumer, 'GET', `/exchange/subscriptions/${sub.id}`)).json();
    expect(state).toMatchObject({ consecutiveFailures: 1, state: 'active', lastError: { code: 'target_unreachable' } });
    // Backoff: the next try in a minute (the interval is an hour).
    const wait = new Date(state.nextRunAt).getTime() - Date.now();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(61_000);
    const history = (await call(w.consumer, 'GET', `/exchange/subscriptions/${sub.id}/deliveries`)).json();
    expect(history[0]).toMatchObject({ status: 'failed', rows: 0, error: { code: 'target_unreachable' } });

    await deliver(w.consumer, sub.id);
    await deliver(w.consumer, sub.id);
    while ((await t.services.secops.service.processBatch()) > 0);
    const alerts = await t.services.secops.service.listAlerts({ detector: 'syncFailures' });
    expect(alerts.some((a) => JSON.stringify(a).includes(sub.id))).toBe(true);
  });

  it('a delivery the target refuses is rolled back: the table keeps what it had; a missing column is named', async () => {
    const { columns } = await recordsUnder(grantId);
    await targetDb.query(`CREATE TABLE public.hukou_guarded (${columns.map((c) => `"${c}" text`).join(', ')}, CHECK ("户籍地" = '哨兵'))`);
    await targetDb.query(`INSERT INTO public.hukou_guarded ("户籍地") VALUES ('哨兵')`);
    const sub = (await subscribe(w.consumer, { table: 'hukou_guarded' })).json();
    const failed = await deliver(w.consumer, sub.id);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'target_error' });
    expect((await tableRows('hukou_guarded')).map((r) => r['户籍地'])).toEqual(['哨兵']);
    expect(t.events.some((e) => e.action === 'exchange.push' && e.target?.id === sub.id)).toBe(false);

    // The delivery's audit record cannot be written: the target's transaction does not commit.
    const audited = (await subscribe(w.consumer, { table: 'hukou_audited' })).json();
    expect((await deliver(w.consumer, audited.id)).state).toBe('succeeded');
    const kept = canonical(await tableRows('hukou_audited'), columns);
    await targetDb.query(`DELETE FROM public.hukou_audited WHERE ctid IN (SELECT ctid FROM public.hukou_audited LIMIT 1)`);
    const reduced = canonical(await tableRows('hukou_audited'), columns);
    expect(reduced.length).toBe(kept.length - 1);
    await t.db.exec(`
      CREATE FUNCTION test_refuse_push_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.action = 'exchange.push' THEN RAISE EXCEPTION 'audit store refused'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER test_refuse_push_audit BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION test_refuse_push_audit();`);
    try {
      expect((await deliver(w.consumer, audited.id)).state).toBe('failed');
    } finally {
      await t.db.exec('DROP TRIGGER test_refuse_push_audit ON audit_records; DROP FUNCTION test_refuse_push_audit();');
    }
    // The full delivery (delete, then insert every row) was rolled back: the table is as it was.
    expect(canonical(await tableRows('hukou_audited'), columns)).toEqual(reduced);
    expect((await deliver(w.consumer, audited.id)).state).toBe('succeeded');
    expect(canonical(await tableRows('hukou_audited'), columns)).toEqual(kept);

    await targetDb.query(`CREATE TABLE public.hukou_narrow ("姓名" text)`);
    const narrow = (await subscribe(w.consumer, { table: 'hukou_narrow' })).json();
    const missing = await deliver(w.consumer, narrow.id);
    expect(missing.error).toMatchObject({ code: 'target_column_missing' });
    expect(missing.error!.message).toMatch(/身份证号|住址|户籍地|出生日期|人口数/);
  });

  it('containment holds a delivery while it lasts; revocation stops the subscription for good, and the table stays as it was', async () => {
    const second = await grantJourney(w);
    const sub = (await subscribe(w.consumer, { grantId: second.grantId, table: 'hukou_rev', intervalMinutes: 1 })).json();
    expect((await deliver(w.consumer, sub.id)).result).toMatchObject({ status: 'delivered' });
    const rows = (await tableRows('hukou_rev')).length;
    expect(rows).toBeGreaterThan(0);

    const held = await w.secadmin.call('POST', '/api/v1/secops/containments', { kind: 'suspend_grant', targetId: second.grantId, reason: '安全处置测试' });
    expect(held.statusCode, held.body).toBe(201);
    expect((await deliver(w.consumer, sub.id)).result).toMatchObject({ status: 'refused', reason: 'contained' });
    expect((await call(w.consumer, 'GET', `/exchange/subscriptions/${sub.id}`)).json()).toMatchObject({ state: 'active', consecutiveFailures: 0 });
    const lifted = await w.secadmin.call('POST', `/api/v1/secops/containments/${held.json().id}/lift`, { reason: '解除处置' });
    expect(lifted.statusCode, lifted.body).toBe(200);
    expect((await deliver(w.consumer, sub.id)).result).toMatchObject({ status: 'delivered' });

    const revoked = await w.officer.call('POST', `/api/v1/share/grants/${second.grantId}/revoke`, { reason: '用途已完成' });
    expect(revoked.statusCode, revoked.body).toBe(200);
    const pushesBefore = t.events.filter((e) => e.action === 'exchange.push' && e.target?.id === sub.id).length;
    expect((await deliver(w.consumer, sub.id)).result).toMatchObject({ status: 'stopped', reason: 'grant_revoked' });
    const stopped = (await call(w.consumer, 'GET', `/exchange/subscriptions/${sub.id}`)).json();
    expect(stopped).toMatchObject({ state: 'stopped', stopReason: { code: 'grant_revoked' } });
    expect(t.events.filter((e) => e.action === 'exchange.push' && e.target?.id === sub.id)).toHaveLength(pushesBefore);
    expect(await tableRows('hukou_rev')).toHaveLength(rows);
    // No further delivery: neither on request nor by the schedule.
    expect((await call(w.consumer, 'POST', `/exchange/subscriptions/${sub.id}/deliver`)).json().error.code).toBe('subscription_stopped');
    expect((await call(w.consumer, 'POST', `/exchange/subscriptions/${sub.id}/state`, { state: 'active' })).statusCode).toBe(409);
    await t.db.query(`UPDATE exchange_subscriptions SET next_run_at = now() - interval '1 minute' WHERE id = $1`, [sub.id]);
    const due = await t.db.query<{ id: string }>(`SELECT id FROM exchange_subscriptions WHERE state = 'active' AND next_run_at <= now()`);
    await t.services.exchange.push.tick();
    expect(due.map((d) => d.id)).not.toContain(sub.id);
    expect((await call(w.consumer, 'GET', `/exchange/subscriptions/${sub.id}`)).json().state).toBe('stopped');

    // A revoked grant cannot be subscribed to.
    expect((await subscribe(w.consumer, { grantId: second.grantId, table: 'hukou_rev2' })).statusCode).toBe(403);

    // Expiry stops a subscription the same way.
    const third = await grantJourney(w);
    const expiring = (await subscribe(w.consumer, { grantId: third.grantId, table: 'hukou_exp' })).json();
    await t.db.query(`UPDATE share_grants SET expires_at = now() - interval '1 minute' WHERE id = $1`, [third.grantId]);
    expect((await deliver(w.consumer, expiring.id)).result).toMatchObject({ status: 'stopped', reason: 'grant_expired' });
    expect((await call(w.consumer, 'GET', `/exchange/subscriptions/${expiring.id}`)).json()).toMatchObject({
      state: 'stopped',
      stopReason: { code: 'grant_expired' },
    });
    expect((await targetDb.query(`SELECT to_regclass('public.hukou_exp') AS t`)).rows[0].t).toBeNull();
  });

  it('delivers into MariaDB the same rows as the records API answers', async () => {
    const db = `mz_${randomBytes(4).toString('hex')}`;
    const user = `mz_${randomBytes(4).toString('hex')}`;
    await maria.admin(`CREATE DATABASE ${db}`);
    await maria.admin(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'`);
    await maria.admin(`GRANT ALL ON ${db}.* TO '${user}'@'127.0.0.1'`);
    try {
      const added = await call(w.consumer, 'POST', '/exchange/targets', {
        name: '民政前置库(MariaDB)',
        kind: 'mysql',
        host: maria.host,
        port: maria.port,
        database: db,
        user,
        password,
        tls: 'off',
      });
      expect(added.statusCode, added.body).toBe(201);
      const sub = (await subscribe(w.consumer, { targetId: added.json().id, table: 'hukou' })).json();
      expect(sub.schema).toBe(db);
      const job = await deliver(w.consumer, sub.id);
      expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
      const expected = await recordsUnder(grantId);
      const rows = (await maria.admin(`SELECT * FROM ${db}.hukou`)) as Row[];
      expect(canonical(rows, expected.columns)).toEqual(canonical(expected.rows, expected.columns));
    } finally {
      await maria.admin(`DROP DATABASE IF EXISTS ${db}`);
      await maria.admin(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`);
    }
  });
});
