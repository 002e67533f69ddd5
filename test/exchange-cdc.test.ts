/**
 * CDC bindings (issue 16 point 2) on a real throwaway PostgreSQL cluster with wal_level=logical:
 * pdx creates a replication slot per binding (and the publication when its user may; otherwise the
 * DBA's publication is used, and without one the bind is refused naming the privilege); the
 * initial snapshot and then inserts, updates and deletes at the source reach the records API; the
 * lag is in the API; unbinding drops the slot (and only the publication pdx made).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Caller } from '../src/http/kit.ts';
import { ADMIN_PASSWORDS, createOrg, provisionUser, startTestApp, type Client, type TestApp } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { startPgCluster, type PgCluster } from './helpers/pg-cluster.ts';
import { until } from './scripts/ingest-world.ts';
import { CONDITION_MS } from './helpers/bounds.ts';

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster({ walLevel: 'logical' });
});
afterAll(() => cluster?.stop());

const DDL = `CREATE TABLE firms (id integer PRIMARY KEY, "名称" text NOT NULL, "状态" text NOT NULL, "身份证号" text)`;

describeEachBackend('CDC bindings', ({ use }) => {
  let t: TestApp;
  let officer: Client;
  let other: Client;
  let consumer: Client;
  let outsider: Client;
  let caller: Caller;
  let dept: pg.Client;
  let url: URL;
  const db = `dept_${randomBytes(4).toString('hex')}`;
  const cdcUser = `cdc_${randomBytes(4).toString('hex')}`;

  async function dataset(name: string): Promise<string> {
    const d = await t.services.catalog.create(caller, {
      name,
      summary: '部门库表变更同步',
      domain: '市场监管',
      category: '经济/市场主体',
      format: '库表',
      share_type: 'unconditional',
      share_conditions: '',
      share_methods: ['api'],
      open_type: 'none',
      update_cycle: 'realtime',
      related_codes: [],
      tags: [],
      contact: {},
      on_invalid: 'reject',
    });
    return d.code;
  }

  const slots = async () =>
    (await dept.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots WHERE database = current_database() ORDER BY 1')).rows.map(
      (r) => r.slot_name,
    );
  const publications = async () => (await dept.query<{ pubname: string }>('SELECT pubname FROM pg_publication ORDER BY 1')).rows.map((r) => r.pubname);

  async function addSource(name: string, user: string) {
    const res = await officer.call('POST', '/api/v1/exchange/sources', {
      name,
      kind: 'postgresql',
      host: url.hostname,
      port: Number(url.port),
      database: db,
      user,
      password: 'trust',
      tls: 'off',
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  }

  beforeAll(async () => {
    t = await startTestApp(use().db, { PDX_UPSTREAM_ALLOW: '127.0.0.1/32' });
    const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    const orgA = await createOrg(admin, '省市场监督管理局');
    const orgB = await createOrg(admin, '省公安厅');
    const a = await provisionUser(t, admin, 'sj-officer', ['data_officer'], orgA);
    officer = a.client;
    caller = { principal: { kind: 'user', userId: a.id, username: 'sj-officer', orgId: orgA, roles: ['data_officer'] }, requestId: 'test' };
    other = (await provisionUser(t, admin, 'ga-officer', ['data_officer'], orgB)).client;
    consumer = (await provisionUser(t, admin, 'sj-consumer', ['consumer'], orgA)).client;
    outsider = (await provisionUser(t, admin, 'ga-consumer', ['consumer'], orgB)).client;

    const root = new pg.Client(cluster.url);
    await root.connect();
    await root.query(`CREATE DATABASE ${db}`);
    await root.query(`CREATE ROLE ${cdcUser} LOGIN REPLICATION`).catch(() => undefined);
    await root.end();
    url = new URL(cluster.url);
    url.pathname = `/${db}`;
    dept = new pg.Client(url.toString());
    await dept.connect();
    await dept.query(DDL);
    await dept.query(`GRANT SELECT ON firms TO ${cdcUser}`);
    await dept.query(
      `INSERT INTO firms VALUES (1, '沈阳甲公司', '存续', '610831195410236046'), (2, '大连乙公司', '存续', '441821194608183762'), (3, '鞍山丙公司', '存续', '42022219440416127X')`,
    );
    t.services.exchange.cdc.start();
  });

  afterAll(async () => {
    await t?.close();
    await dept?.end();
  });

  it('binds with a REPLICATION user once the DBA made the publication; snapshot, insert, update and delete reach the records API; lag in the API; unbinding drops the slot only', async () => {
    const code = await dataset('市场主体登记(CDC)');
    const sourceId = await addSource('市场主体库(复制用户)', cdcUser);
    const body = { sourceId, schema: 'public', table: 'firms', mode: 'cdc', keyColumn: 'id' };

    // Refused, nothing left at the source: no key; no publication and no right to create one.
    expect((await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { ...body, keyColumn: undefined })).json().error.code).toBe('key_required');
    const refused = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, body, { 'accept-language': 'zh-CN' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code, refused.body).toBe('cdc_privilege');
    expect(refused.json().error.message).toContain('CREATE PUBLICATION');
    expect(await slots()).toEqual([]);
    // Wrong role, another organisation: nothing.
    expect((await consumer.call('PUT', `/api/v1/datasets/${code}/binding`, body)).statusCode).toBe(403);
    expect((await other.call('PUT', `/api/v1/datasets/${code}/binding`, body)).statusCode).toBe(404);

    await dept.query('CREATE PUBLICATION dept_firms FOR TABLE firms');
    const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, body);
    expect(bound.statusCode, bound.body).toBe(201);
    const slot = bound.json().cdc.slot as string;
    expect(bound.json()).toMatchObject({ mode: 'cdc', keyColumn: 'id', cdc: { publication: 'dept_firms', lsn: null } });
    expect(await slots()).toEqual([slot]);
    // No run to request: the server applies changes continuously.
    expect((await officer.call('POST', `/api/v1/datasets/${code}/sync`)).json().error.code).toBe('cdc_continuous');

    // The snapshot becomes version 1; then the dataset is published for readers of any organisation.
    await until('the snapshot', async () => (await t.services.catalog.byCode(code))!.current_version > 0, CONDITION_MS, 100);
    expect((await officer.call('PUT', `/api/v1/datasets/${code}/classification`, { columns: [] })).statusCode).toBe(200);
    expect((await officer.call('POST', `/api/v1/datasets/${code}/publish`)).statusCode).toBe(200);
    const read = async () => {
      const res = await outsider.call('GET', `/api/v1/datasets/${code}/records?limit=100`);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().rows as Record<string, unknown>[]).map((r) => [String(r.id), r['名称'], r['状态']]).sort();
    };
    expect(await read()).toEqual([
      ['1', '沈阳甲公司', '存续'],
      ['2', '大连乙公司', '存续'],
      ['3', '鞍山丙公司', '存续'],
    ]);
    // The 身份证号 column is stored encrypted (4级), as an upload's would be.
    const d = (await t.services.catalog.byCode(code))!;
    expect((await t.services.catalog.columnsOf(d.id)).find((c) => c.name === '身份证号')?.encrypted).toBe(true);

    // Insert, update, delete (and an update of a key) at the source.
    await dept.query(`INSERT INTO firms VALUES (4, '本溪丁公司', '存续', NULL)`);
    await dept.query(`UPDATE firms SET "状态" = '注销' WHERE id = 2`);
    await dept.query('DELETE FROM firms WHERE id = 3');
    await dept.query('BEGIN');
    await dept.query(`INSERT INTO firms VALUES (5, '丹东戊公司', '存续', NULL)`);
    await dept.query('UPDATE firms SET id = 6 WHERE id = 1');
    await dept.query('COMMIT');
    const expected = [
      ['2', '大连乙公司', '注销'],
      ['4', '本溪丁公司', '存续'],
      ['5', '丹东戊公司', '存续'],
      ['6', '沈阳甲公司', '存续'],
    ];
    await until('the changes in the records API', async () => JSON.stringify(await read()) === JSON.stringify(expected), CONDITION_MS, 200);

    // The lag: WAL bytes unconfirmed at the source and the time of the last applied change.
    await until(
      'the source confirms what pdx applied',
      async () => {
        const lag = (await officer.call('GET', `/api/v1/datasets/${code}/binding/lag`)).json();
        return lag.streaming === true && lag.bytes !== null && lag.bytes < 1_000_000 && lag.appliedAt !== null;
      },
      CONDITION_MS,
      200,
    );
    const lag = (await officer.call('GET', `/api/v1/datasets/${code}/binding/lag`)).json();
    expect(lag).toMatchObject({ streaming: true, error: null });
    expect(lag.secondsSinceApplied).toBeGreaterThanOrEqual(0);
    expect((await consumer.call('GET', `/api/v1/datasets/${code}/binding/lag`)).statusCode).toBe(403);
    // Another organisation's officer: the published dataset is not theirs to manage.
    expect([403, 404]).toContain((await other.call('GET', `/api/v1/datasets/${code}/binding/lag`)).statusCode);
    expect((await t.anonymous.call('GET', `/api/v1/datasets/${code}/binding/lag`)).statusCode).toBe(401);
    // Run history: the snapshot and the batches, each with its LSN.
    const runs = (await officer.call('GET', `/api/v1/datasets/${code}/binding/runs`)).json() as { state: string; highWater: string }[];
    expect(runs.every((r) => r.state === 'succeeded')).toBe(true);
    expect(runs.at(-1)!.highWater).toBe('0/0');

    // Unbinding ends the stream and drops the slot; the DBA's publication stays.
    expect([403, 404]).toContain((await other.call('DELETE', `/api/v1/datasets/${code}/binding`)).statusCode);
    expect((await officer.call('DELETE', `/api/v1/datasets/${code}/binding`)).statusCode).toBe(204);
    expect(await slots()).toEqual([]);
    expect(await publications()).toEqual(['dept_firms']);
    await dept.query('DROP PUBLICATION dept_firms');
  });

  it('a disabled source streams nothing until enabled again; a column added at the source stops the stream naming it (a failed run, counted) until the table is as bound', async () => {
    const code = await dataset('市场主体登记(CDC 停用与结构变化)');
    const sourceId = await addSource('市场主体库(属主,停用)', 'postgres');
    const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { sourceId, schema: 'public', table: 'firms', mode: 'cdc', keyColumn: 'id' });
    expect(bound.statusCode, bound.body).toBe(201);
    const bindingId = bound.json().id as string;
    const atSource = async () => (await dept.query<{ n: number }>('SELECT count(*)::int AS n FROM firms')).rows[0]!.n;
    const stored = async () => (await t.services.catalog.byCode(code))!.row_count;
    const lag = async () => (await officer.call('GET', `/api/v1/datasets/${code}/binding/lag`)).json() as { streaming: boolean };
    const worker = t.services.exchange.cdc;
    const base = await atSource();
    await until('the snapshot', async () => (await stored()) === base && (await lag()).streaming, CONDITION_MS, 100);

    // Disabled: the stream ends, and no process takes the binding while it stays so.
    expect((await officer.call('POST', `/api/v1/exchange/sources/${sourceId}/state`, { state: 'disabled' })).statusCode).toBe(200);
    await worker.tick();
    await until('the stream ends', async () => !(await lag()).streaming, CONDITION_MS, 100);
    await dept.query(`INSERT INTO firms VALUES (20, '朝阳庚公司', '存续', NULL)`);
    await worker.tick();
    expect(worker.sessions.has(bindingId)).toBe(false);
    expect(await stored()).toBe(base);
    // Enabled again: what changed meanwhile arrives.
    expect((await officer.call('POST', `/api/v1/exchange/sources/${sourceId}/state`, { state: 'active' })).statusCode).toBe(200);
    await until('the change made while disabled', async () => (await stored()) === base + 1, CONDITION_MS, 200);

    // A column added at the source: the stream stops before the change that follows it, naming the column.
    await dept.query(`ALTER TABLE firms ADD COLUMN "注册资本" numeric`);
    await dept.query(`INSERT INTO firms VALUES (21, '葫芦岛辛公司', '存续', NULL, 500)`);
    const runs = async () =>
      (await officer.call('GET', `/api/v1/datasets/${code}/binding/runs`, undefined, { 'accept-language': 'zh-CN' })).json() as {
        state: string;
        error: { code: string; message: string } | null;
      }[];
    await until('the failed run', async () => (await runs()).some((r) => r.error?.code === 'schema_drift'), CONDITION_MS, 200);
    const failed = (await runs()).find((r) => r.error?.code === 'schema_drift')!;
    expect(failed.state).toBe('failed');
    expect(JSON.stringify(failed.error)).toContain('注册资本');
    const binding = (await officer.call('GET', `/api/v1/datasets/${code}/binding`)).json();
    expect(binding.consecutiveFailures).toBeGreaterThanOrEqual(1);
    // The run is stored before its event is recorded.
    await until(
      'the sync_failed event',
      () => t.events.some((e) => e.action === 'exchange.sync_failed' && (e.details as { error?: string }).error === 'schema_drift'),
      CONDITION_MS,
      100,
    );
    expect(await stored()).toBe(base + 1);

    // The DBA takes the column away again: the stream resumes and the row arrives.
    await dept.query(`ALTER TABLE firms DROP COLUMN "注册资本"`);
    await until('the row after the drift', async () => (await stored()) === base + 2, CONDITION_MS, 200);
    expect((await officer.call('DELETE', `/api/v1/datasets/${code}/binding`)).statusCode).toBe(204);
    await dept.query('DELETE FROM firms WHERE id IN (20, 21)');
  });

  it('with a user that owns the table pdx creates the publication, and drops it with the slot', async () => {
    const code = await dataset('市场主体登记(CDC 属主)');
    const sourceId = await addSource('市场主体库(属主)', 'postgres');
    const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { sourceId, schema: 'public', table: 'firms', mode: 'cdc', keyColumn: 'id' });
    expect(bound.statusCode, bound.body).toBe(201);
    const { slot, publication } = bound.json().cdc as { slot: string; publication: string };
    expect(publication).toBe(slot);
    expect(await slots()).toEqual([slot]);
    expect(await publications()).toEqual([publication]);
    await until('the snapshot', async () => (await t.services.catalog.byCode(code))!.current_version > 0, CONDITION_MS, 100);
    await dept.query(`INSERT INTO firms VALUES (7, '营口己公司', '存续', NULL)`);
    await until(
      'the insert',
      async () => {
        const d = (await t.services.catalog.byCode(code))!;
        return d.row_count === 5;
      },
      CONDITION_MS,
      200,
    );
    expect((await officer.call('DELETE', `/api/v1/datasets/${code}/binding`)).statusCode).toBe(204);
    expect(await slots()).toEqual([]);
    expect(await publications()).toEqual([]);
  });
});
