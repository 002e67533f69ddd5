/**
 * Database exchange (issue 16) end to end on real servers: a PostgreSQL source is a throwaway
 * database on the harness's cluster, a MySQL source is a real MariaDB server started here. Data
 * sources are registered and tested through the API; bound tables are pulled through the ingest
 * pipeline (classification, 4级 encryption, validation, versions); a failed run changes nothing.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Caller } from '../src/http/kit.ts';
import { ADMIN_PASSWORDS, createOrg, provisionUser, startTestApp, waitForJob, type Client, type TestApp } from './helpers/api.ts';
import { createServerDatabase, describeEachBackend } from './helpers/db.ts';
import { startMariaDb, type MariaDb } from './helpers/mariadb.ts';
import { peopleRows } from './fixtures/people.ts';

let maria: MariaDb;
beforeAll(async () => {
  maria = await startMariaDb();
});
afterAll(async () => {
  await maria?.stop();
});

const PEOPLE_DDL_PG = `CREATE TABLE people (id integer PRIMARY KEY, "姓名" text, "身份证号" text, "手机号" text, "出生日期" date, updated_at timestamptz NOT NULL DEFAULT now())`;
const PEOPLE_DDL_MY = 'CREATE TABLE people (id integer PRIMARY KEY, `姓名` varchar(40), `身份证号` varchar(18), `手机号` varchar(20), `出生日期` date) DEFAULT CHARSET utf8mb4';

function people(from: number, count: number, seed: number): unknown[][] {
  let id = from;
  return [...peopleRows(count, seed)].map(([name, rid, phone, , , birth]) => [id++, name, rid, phone, birth]);
}

describeEachBackend('database exchange', ({ use }) => {
  let t: TestApp;
  let admin: Client;
  let officer: Client;
  let other: Client;
  let consumer: Client;
  let caller: Caller;
  let source: { url: string; drop(): Promise<void> };
  let pgAdmin: pg.Client;
  const reader = `pdx_reader_${randomBytes(4).toString('hex')}`;
  const readerPassword = `Rd-${randomBytes(6).toString('hex')}`;
  const myDb = `dept_${randomBytes(4).toString('hex')}`;
  const myUser = `u_${randomBytes(4).toString('hex')}`;
  const myPassword = `My-${randomBytes(6).toString('hex')}`;

  async function dataset(name: string): Promise<string> {
    const d = await t.services.catalog.create(caller, {
      name,
      summary: '部门库表汇聚',
      domain: '公共安全',
      category: '社会/人口/户籍',
      format: '库表',
      share_type: 'conditional',
      share_conditions: '法定职责',
      share_methods: ['api'],
      open_type: 'none',
      update_cycle: 'daily',
      related_codes: [],
      tags: [],
      contact: {},
      on_invalid: 'reject',
    });
    return d.code;
  }

  async function addSource(c: Client, body: Record<string, unknown>) {
    return c.call('POST', '/api/v1/exchange/sources', body);
  }

  const pgSource = () => {
    const u = new URL(source.url);
    return { kind: 'postgresql', host: u.hostname, port: Number(u.port), database: u.pathname.slice(1), tls: 'off' };
  };

  async function syncAndWait(code: string) {
    const res = await officer.call('POST', `/api/v1/datasets/${code}/sync`);
    expect(res.statusCode, res.body).toBe(202);
    return waitForJob(officer, res.json().jobId);
  }

  async function rows(code: string): Promise<Record<string, unknown>[]> {
    const d = (await t.services.catalog.byCode(code))!;
    return t.db.query(`SELECT * FROM ${d.relation} ORDER BY _row`);
  }

  beforeAll(async () => {
    t = await startTestApp(use().db, { PDX_UPSTREAM_ALLOW: '127.0.0.1/32' });
    admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    const orgA = await createOrg(admin, '省公安厅');
    const orgB = await createOrg(admin, '省市场监督管理局');
    const a = await provisionUser(t, admin, 'ga-officer', ['data_officer'], orgA);
    officer = a.client;
    caller = { principal: { kind: 'user', userId: a.id, username: 'ga-officer', orgId: orgA, roles: ['data_officer'] }, requestId: 'test' };
    other = (await provisionUser(t, admin, 'sj-officer', ['data_officer'], orgB)).client;
    consumer = (await provisionUser(t, admin, 'ga-consumer', ['consumer'], orgA)).client;

    source = await createServerDatabase();
    pgAdmin = new pg.Client(source.url);
    await pgAdmin.connect();
    await pgAdmin.query(PEOPLE_DDL_PG);
    for (const r of people(1, 40, 3)) await pgAdmin.query('INSERT INTO people (id, "姓名", "身份证号", "手机号", "出生日期") VALUES ($1, $2, $3, $4, $5)', r);
    await pgAdmin.query(`CREATE ROLE ${reader} LOGIN PASSWORD '${readerPassword}'`);
    await pgAdmin.query(`GRANT SELECT ON people TO ${reader}`);

    await maria.admin(`CREATE DATABASE ${myDb}`);
    await maria.admin(`CREATE USER '${myUser}'@'127.0.0.1' IDENTIFIED BY '${myPassword}'`);
    await maria.admin(`GRANT SELECT ON ${myDb}.* TO '${myUser}'@'127.0.0.1'`);
    await maria.admin(`USE ${myDb}`);
  });

  afterAll(async () => {
    await t?.close();
    await pgAdmin?.query(`DROP OWNED BY ${reader}`).catch(() => undefined);
    await pgAdmin?.end();
    await source?.drop();
    const c = new pg.Client(source.url.replace(/\/[^/]+$/, '/postgres'));
    await c.connect();
    await c.query(`DROP ROLE IF EXISTS ${reader}`);
    await c.end();
    await maria.admin(`DROP DATABASE IF EXISTS ${myDb}`);
    await maria.admin(`DROP USER IF EXISTS '${myUser}'@'127.0.0.1'`);
  });

  it('registers a source with its password sealed, never returned, logged or stored in clear; only its own organisation sees it', async () => {
    const res = await addSource(officer, { name: '户籍库', ...pgSource(), user: reader, password: readerPassword });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.body).not.toContain(readerPassword);
    expect(res.json()).toMatchObject({ name: '户籍库', kind: 'postgresql', user: reader, tls: 'off', state: 'active' });
    const id = res.json().id as string;

    const list = await officer.call('GET', '/api/v1/exchange/sources');
    expect(list.json().map((s: { id: string }) => s.id)).toEqual([id]);
    expect(list.body).not.toContain(readerPassword);
    const [stored] = await t.db.query<{ password_sealed: Uint8Array }>('SELECT password_sealed FROM exchange_sources WHERE id = $1', [id]);
    expect(Buffer.from(stored!.password_sealed).includes(Buffer.from(readerPassword))).toBe(false);
    expect(JSON.stringify(t.events)).not.toContain(readerPassword);
    expect(t.events.some((e) => e.action === 'exchange.source_add')).toBe(true);

    // Authorization boundaries: another organisation's officer, a consumer, nobody.
    expect((await other.call('GET', `/api/v1/exchange/sources/${id}`)).statusCode).toBe(404);
    expect((await other.call('POST', `/api/v1/exchange/sources/${id}/test`)).statusCode).toBe(404);
    expect((await other.call('GET', `/api/v1/exchange/sources/${id}/tables`)).statusCode).toBe(404);
    expect((await other.call('POST', `/api/v1/exchange/sources/${id}/state`, { state: 'disabled' })).statusCode).toBe(404);
    expect((await other.call('GET', '/api/v1/exchange/sources')).json()).toEqual([]);
    expect((await consumer.call('GET', '/api/v1/exchange/sources')).statusCode).toBe(403);
    expect((await consumer.call('POST', '/api/v1/exchange/sources', { name: 'x', ...pgSource(), user: reader, password: 'x' })).statusCode).toBe(403);
    expect((await t.anonymous.call('GET', `/api/v1/exchange/sources/${id}`)).statusCode).toBe(401);
    expect((await t.anonymous.call('POST', `/api/v1/exchange/sources/${id}/test`)).statusCode).toBe(401);
    expect((await admin.call('GET', '/api/v1/exchange/sources')).statusCode).toBe(403);
  });

  it('tests a connection: version and privileges, a warning for a user that can write, a clear error for a wrong password', async () => {
    const ro = (await officer.call('GET', '/api/v1/exchange/sources')).json()[0].id as string;
    const good = (await officer.call('POST', `/api/v1/exchange/sources/${ro}/test`)).json();
    expect(good).toMatchObject({ ok: true, canWrite: false });
    expect(good.version).toMatch(/PostgreSQL/);
    expect(good.privileges[0]).toMatch(/SELECT on 1 tables/);

    const owner = new URL(source.url);
    const writer = await addSource(officer, { name: '户籍库(属主)', ...pgSource(), user: decodeURIComponent(owner.username), password: decodeURIComponent(owner.password) || 'none' });
    const writes = (await officer.call('POST', `/api/v1/exchange/sources/${writer.json().id}/test`)).json();
    expect(writes.ok).toBe(true);
    expect(writes.canWrite).toBe(true);
    expect(writes.warnings.map((w: { en: string }) => w.en).join(' ')).toMatch(/read-only user/);

    // The harness's PostgreSQL trusts local connections: MariaDB checks the password.
    const wrong = 'Not-The-Password-42';
    const bad = await addSource(officer, { name: '错误口令', kind: 'mysql', host: maria.host, port: maria.port, database: myDb, user: myUser, password: wrong, tls: 'off' });
    const failed = await officer.call('POST', `/api/v1/exchange/sources/${bad.json().id}/test`);
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({ ok: false, error: { code: 'source_auth_failed' } });
    expect(failed.body).not.toContain(wrong);
    expect(JSON.stringify(t.events)).not.toContain(wrong);

    const my = await addSource(officer, { name: '市场主体库', kind: 'mysql', host: maria.host, port: maria.port, database: myDb, user: myUser, password: myPassword, tls: 'off' });
    expect(my.statusCode, my.body).toBe(201);
    const myTest = (await officer.call('POST', `/api/v1/exchange/sources/${my.json().id}/test`)).json();
    expect(myTest).toMatchObject({ ok: true, canWrite: false });
    expect(myTest.version).toMatch(/MariaDB/);
    expect(JSON.stringify(myTest)).not.toContain(myPassword);

    const nowhere = await addSource(officer, { name: '不可达', ...pgSource(), port: 1, user: reader, password: readerPassword });
    expect((await officer.call('POST', `/api/v1/exchange/sources/${nowhere.json().id}/test`)).json()).toMatchObject({ ok: false, error: { code: 'source_unreachable' } });
  });

  it('replace: each run loads a full snapshot as a new version through the pipeline, 身份证号 encrypted; the schedule queues due runs', async () => {
    const sourceId = (await officer.call('GET', '/api/v1/exchange/sources')).json().find((s: { name: string }) => s.name === '户籍库').id as string;
    const tables = (await officer.call('GET', `/api/v1/exchange/sources/${sourceId}/tables`)).json();
    expect(tables).toEqual([{ schema: 'public', table: 'people', kind: 'table' }]);
    const code = await dataset('户籍人口(库表)');

    const columns = ['id', '姓名', '身份证号', '手机号', '出生日期'].map((c) => ({ source: c, name: c }));
    // Another organisation's officer does not see a draft dataset at all.
    expect((await other.call('PUT', `/api/v1/datasets/${code}/binding`, { sourceId, schema: 'public', table: 'people', mode: 'replace' })).statusCode).toBe(404);
    expect((await consumer.call('PUT', `/api/v1/datasets/${code}/binding`, { sourceId, schema: 'public', table: 'people', mode: 'replace' })).statusCode).toBe(403);
    const missing = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { sourceId, schema: 'public', table: 'nope', mode: 'replace' });
    expect(missing.json().error.code).toBe('source_table_missing');
    const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { sourceId, schema: 'public', table: 'people', columns, mode: 'replace', intervalMinutes: 60 });
    expect(bound.statusCode, bound.body).toBe(201);
    expect((await other.call('POST', `/api/v1/datasets/${code}/sync`)).statusCode).toBe(404);
    expect((await other.call('GET', `/api/v1/datasets/${code}/binding`)).statusCode).toBe(404);
    expect((await other.call('DELETE', `/api/v1/datasets/${code}/binding`)).statusCode).toBe(404);
    expect((await consumer.call('POST', `/api/v1/datasets/${code}/sync`)).statusCode).toBe(403);
    expect((await t.anonymous.call('POST', `/api/v1/datasets/${code}/sync`)).statusCode).toBe(401);

    const job = await syncAndWait(code);
    expect(job.error).toBeNull();
    expect(job.result).toMatchObject({ version: 1, rows: 40, quarantined: 0 });
    const d = (await t.services.catalog.byCode(code))!;
    const cols = await t.services.catalog.columnsOf(d.id);
    expect(cols.find((c) => c.name === '身份证号')).toMatchObject({ encrypted: true });
    const loaded = await rows(code);
    expect(loaded).toHaveLength(40);
    const idColumn = cols.find((c) => c.name === '身份证号')!.physical;
    const firstId = (people(1, 1, 3)[0]![2]) as string;
    expect(loaded.some((r) => r[idColumn] === firstId)).toBe(false);

    // A full snapshot again: the new version replaces the old one.
    await pgAdmin.query('DELETE FROM people WHERE id > 30');
    expect((await syncAndWait(code)).result).toMatchObject({ version: 2, rows: 30 });
    expect(await rows(code)).toHaveLength(30);

    // The schedule: the binding was due when made; a tick queues it once, the next finds nothing due.
    await t.db.query(`UPDATE exchange_bindings SET next_run_at = now() - interval '1 minute' WHERE dataset_id = $1`, [d.id]);
    expect(await t.services.exchange.service.tick()).toBe(1);
    expect(await t.services.exchange.service.tick()).toBe(0);
    const [b] = await t.db.query<{ pending_job: string | null }>('SELECT pending_job FROM exchange_bindings WHERE dataset_id = $1', [d.id]);
    if (b!.pending_job) expect((await waitForJob(officer, b!.pending_job)).state).toBe('succeeded');
  });

  it('incremental (MariaDB): only rows beyond the high-water mark are applied; a failed run and schema drift change nothing stored', async () => {
    await maria.admin(`CREATE TABLE ${myDb}.people ${PEOPLE_DDL_MY.slice('CREATE TABLE people '.length)}`);
    const insert = async (from: number, count: number, seed: number) => {
      for (const r of people(from, count, seed)) await maria.admin(`INSERT INTO ${myDb}.people VALUES (?, ?, ?, ?, ?)`, r);
    };
    await insert(1, 25, 11);
    const sourceId = (await officer.call('GET', '/api/v1/exchange/sources')).json().find((s: { name: string }) => s.name === '市场主体库').id as string;
    const code = await dataset('市场主体(增量)');
    const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { sourceId, schema: myDb, table: 'people', mode: 'incremental', cursorColumn: 'id' });
    expect(bound.statusCode, bound.body).toBe(201);

    expect((await syncAndWait(code)).result).toMatchObject({ version: 1, rows: 25, highWater: '25' });
    await insert(26, 5, 12);
    expect((await syncAndWait(code)).result).toMatchObject({ version: 2, rows: 5, highWater: '30' });
    expect(await rows(code)).toHaveLength(30);
    // Nothing new: no version.
    expect((await syncAndWait(code)).result).toMatchObject({ version: null, unchanged: true });

    // An invalid 身份证号 in a dataset that rejects invalid rows: the run fails, nothing moves.
    const d = (await t.services.catalog.byCode(code))!;
    await maria.admin(`INSERT INTO ${myDb}.people VALUES (31, '错号', '210102199001011235', '13800000000', '1990-01-01')`);
    const failed = await syncAndWait(code);
    expect(failed.state).toBe('failed');
    const after = (await t.services.catalog.byCode(code))!;
    expect(after.current_version).toBe(d.current_version);
    expect(await rows(code)).toHaveLength(30);
    const binding = (await officer.call('GET', `/api/v1/datasets/${code}/binding`)).json();
    expect(binding).toMatchObject({ highWater: '30', lastVersion: 2, consecutiveFailures: 1 });

    // Schema drift names the column and stops the run before reading.
    await maria.admin(`DELETE FROM ${myDb}.people WHERE id = 31`);
    await maria.admin(`ALTER TABLE ${myDb}.people ADD COLUMN \`注册资本\` decimal(12,2)`);
    const drift = await syncAndWait(code);
    expect(drift.state).toBe('failed');
    expect(drift.error).toMatchObject({ code: 'schema_drift' });
    expect(drift.error!.message).toContain('注册资本');
    expect((await officer.call('GET', `/api/v1/datasets/${code}/binding`)).json()).toMatchObject({ highWater: '30', consecutiveFailures: 2 });

    // The third failure in a row raises an alert in security operations.
    expect((await syncAndWait(code)).state).toBe('failed');
    while ((await t.services.secops.service.processBatch()) > 0);
    const alerts = await t.services.secops.service.listAlerts({ detector: 'syncFailures' });
    expect(alerts).toHaveLength(1);
  });

  it('incremental with a key column: a changed row replaces its earlier version of the same key (upsert)', async () => {
    await maria.admin(`CREATE TABLE ${myDb}.firms (id integer PRIMARY KEY, \`名称\` varchar(40), \`状态\` varchar(10), change_no integer NOT NULL) DEFAULT CHARSET utf8mb4`);
    await maria.admin(`INSERT INTO ${myDb}.firms VALUES (1, '沈阳甲公司', '存续', 1), (2, '大连乙公司', '存续', 2), (3, '鞍山丙公司', '存续', 3)`);
    const sourceId = (await officer.call('GET', '/api/v1/exchange/sources')).json().find((s: { name: string }) => s.name === '市场主体库').id as string;
    const code = await dataset('市场主体登记(按键更新)');
    const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { sourceId, schema: myDb, table: 'firms', mode: 'incremental', cursorColumn: 'change_no', keyColumn: 'id' });
    expect(bound.statusCode, bound.body).toBe(201);
    expect((await syncAndWait(code)).result).toMatchObject({ version: 1, rows: 3 });

    await maria.admin(`UPDATE ${myDb}.firms SET \`状态\` = '注销', change_no = 4 WHERE id = 2`);
    await maria.admin(`INSERT INTO ${myDb}.firms VALUES (4, '抚顺丁公司', '存续', 5)`);
    expect((await syncAndWait(code)).result).toMatchObject({ version: 2, rows: 2, highWater: '5' });
    const d = (await t.services.catalog.byCode(code))!;
    const cols = await t.services.catalog.columnsOf(d.id);
    const col = (name: string) => cols.find((c) => c.name === name)!.physical;
    const visible = await t.db.query<Record<string, string>>(`SELECT * FROM ${d.relation} ORDER BY ${col('id')}`);
    expect(visible.map((r) => [String(r[col('id')]), r[col('状态')]])).toEqual([['1', '存续'], ['2', '注销'], ['3', '存续'], ['4', '存续']]);
    expect(d.row_count).toBe(4);
  });
});
