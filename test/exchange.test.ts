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
import { newDataKeyVersion } from '../src/modules/protect/keyring.ts';
import { JOB_WAIT_MS } from './helpers/bounds.ts';
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
const PEOPLE_DDL_MY =
  'CREATE TABLE people (id integer PRIMARY KEY, `姓名` varchar(40), `身份证号` varchar(18), `手机号` varchar(20), `出生日期` date) DEFAULT CHARSET utf8mb4';

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
  /** A consumer of another organisation: reads published datasets through the records API. */
  let outsider: Client;
  let caller: Caller;
  let officerId: string;
  let source: { url: string; drop(): Promise<void> };
  let pgAdmin: pg.Client;
  const reader = `pdx_reader_${randomBytes(4).toString('hex')}`;
  const readerPassword = `Rd-${randomBytes(6).toString('hex')}`;
  const myDb = `dept_${randomBytes(4).toString('hex')}`;
  const myUser = `u_${randomBytes(4).toString('hex')}`;
  const myPassword = `My-${randomBytes(6).toString('hex')}`;

  async function dataset(name: string, shareType: 'conditional' | 'unconditional' = 'conditional'): Promise<string> {
    const d = await t.services.catalog.create(caller, {
      name,
      summary: '部门库表汇聚',
      domain: '公共安全',
      category: '社会/人口/户籍',
      format: '库表',
      share_type: shareType,
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
    officerId = a.id;
    caller = { principal: { kind: 'user', userId: a.id, username: 'ga-officer', orgId: orgA, roles: ['data_officer'] }, requestId: 'test' };
    other = (await provisionUser(t, admin, 'sj-officer', ['data_officer'], orgB)).client;
    consumer = (await provisionUser(t, admin, 'ga-consumer', ['consumer'], orgA)).client;
    outsider = (await provisionUser(t, admin, 'sj-consumer', ['consumer'], orgB)).client;

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
    const writer = await addSource(officer, {
      name: '户籍库(属主)',
      ...pgSource(),
      user: decodeURIComponent(owner.username),
      password: decodeURIComponent(owner.password) || 'none',
    });
    const writes = (await officer.call('POST', `/api/v1/exchange/sources/${writer.json().id}/test`)).json();
    expect(writes.ok).toBe(true);
    expect(writes.canWrite).toBe(true);
    expect(writes.warnings.map((w: { en: string }) => w.en).join(' ')).toMatch(/read-only user/);

    // The harness's PostgreSQL trusts local connections: MariaDB checks the password.
    const wrong = 'Not-The-Password-42';
    const bad = await addSource(officer, {
      name: '错误口令',
      kind: 'mysql',
      host: maria.host,
      port: maria.port,
      database: myDb,
      user: myUser,
      password: wrong,
      tls: 'off',
    });
    const failed = await officer.call('POST', `/api/v1/exchange/sources/${bad.json().id}/test`);
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({ ok: false, error: { code: 'source_auth_failed' } });
    expect(failed.body).not.toContain(wrong);
    expect(JSON.stringify(t.events)).not.toContain(wrong);

    const my = await addSource(officer, {
      name: '市场主体库',
      kind: 'mysql',
      host: maria.host,
      port: maria.port,
      database: myDb,
      user: myUser,
      password: myPassword,
      tls: 'off',
    });
    expect(my.statusCode, my.body).toBe(201);
    const myTest = (await officer.call('POST', `/api/v1/exchange/sources/${my.json().id}/test`)).json();
    expect(myTest).toMatchObject({ ok: true, canWrite: false });
    expect(myTest.version).toMatch(/MariaDB/);
    expect(JSON.stringify(myTest)).not.toContain(myPassword);

    const nowhere = await addSource(officer, { name: '不可达', ...pgSource(), port: 1, user: reader, password: readerPassword });
    expect((await officer.call('POST', `/api/v1/exchange/sources/${nowhere.json().id}/test`)).json()).toMatchObject({
      ok: false,
      error: { code: 'source_unreachable' },
    });
  });

  it('edits a source (a blank password keeps the stored one) and previews a table classified as an upload would be; the password never comes back', async () => {
    const made = await addSource(officer, { name: '预览库', ...pgSource(), user: reader, password: readerPassword });
    const id = made.json().id as string;
    const sealed = async () =>
      Buffer.from(
        (await t.db.query<{ password_sealed: Uint8Array }>('SELECT password_sealed FROM exchange_sources WHERE id = $1', [id]))[0]!.password_sealed,
      ).toString('hex');
    const before = await sealed();
    const renamed = await officer.call('PATCH', `/api/v1/exchange/sources/${id}`, { name: '预览库(改)', password: '' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: '预览库(改)', user: reader, host: pgSource().host });
    expect(await sealed()).toBe(before);
    expect((await officer.call('POST', `/api/v1/exchange/sources/${id}/test`)).json()).toMatchObject({ ok: true });
    const newPassword = `New-${randomBytes(6).toString('hex')}`;
    const changed = await officer.call('PATCH', `/api/v1/exchange/sources/${id}`, { password: newPassword });
    expect(changed.statusCode).toBe(200);
    expect(await sealed()).not.toBe(before);
    expect((await officer.call('PATCH', `/api/v1/exchange/sources/${id}`, { tls: 'verify-full' })).json().error).toMatchObject({
      code: 'ca_required',
      details: { field: 'ca' },
    });
    expect((await officer.call('PATCH', `/api/v1/exchange/sources/${id}`, { name: '户籍库' })).json().error.code).toBe('source_exists');
    const update = t.events.filter((e) => e.action === 'exchange.source_update');
    expect(update.at(-1)!.details).toMatchObject({ fields: ['password'] });

    const preview = await officer.call('GET', `/api/v1/exchange/sources/${id}/preview?schema=public&table=people&limit=5`);
    expect(preview.statusCode, preview.body).toBe(200);
    const p = preview.json();
    expect(p.rows).toHaveLength(5);
    expect(p.grade).toBe(4);
    const col = (n: string) => p.columns.find((c: { name: string }) => c.name === n);
    expect(col('身份证号')).toMatchObject({ sourceType: 'text', types: ['cn_resident_id'], grade: 4, encrypted: true, dataType: 'text' });
    expect(col('手机号')).toMatchObject({ types: ['cn_mobile'], encrypted: false });
    expect(col('出生日期')).toMatchObject({ dataType: 'date' });
    // 4级 values are shown masked; the first person's number never appears.
    const idAt = p.columns.findIndex((c: { name: string }) => c.name === '身份证号');
    const firstId = people(1, 1, 3)[0]![2] as string;
    expect(preview.body).not.toContain(firstId);
    expect(p.rows[0][idAt]).toMatch(/^\d{3}\*+/);

    // No response, event or export carries either password; others get nothing.
    for (const body of [made.body, renamed.body, changed.body, preview.body, (await officer.call('GET', '/api/v1/exchange/sources')).body]) {
      expect(body).not.toContain(readerPassword);
      expect(body).not.toContain(newPassword);
    }
    expect(JSON.stringify(t.events)).not.toContain(newPassword);
    expect((await other.call('PATCH', `/api/v1/exchange/sources/${id}`, { name: 'x' })).statusCode).toBe(404);
    expect((await other.call('GET', `/api/v1/exchange/sources/${id}/preview?schema=public&table=people`)).statusCode).toBe(404);
    expect((await consumer.call('PATCH', `/api/v1/exchange/sources/${id}`, { name: 'x' })).statusCode).toBe(403);
    expect((await consumer.call('GET', `/api/v1/exchange/sources/${id}/preview?schema=public&table=people`)).statusCode).toBe(403);
    expect((await t.anonymous.call('GET', `/api/v1/exchange/sources/${id}/preview?schema=public&table=people`)).statusCode).toBe(401);
    await officer.call('PATCH', `/api/v1/exchange/sources/${id}`, { password: readerPassword });
    expect((await officer.call('POST', `/api/v1/exchange/sources/${id}/state`, { state: 'disabled' })).json()).toMatchObject({ state: 'disabled' });
  });

  it('replace: each run loads a full snapshot as a new version through the pipeline, 身份证号 encrypted; the schedule queues due runs', async () => {
    const sourceId = (await officer.call('GET', '/api/v1/exchange/sources')).json().find((s: { name: string }) => s.name === '户籍库').id as string;
    const tables = (await officer.call('GET', `/api/v1/exchange/sources/${sourceId}/tables`)).json();
    expect(tables).toEqual([{ schema: 'public', table: 'people', kind: 'table' }]);
    const code = await dataset('户籍人口(库表)');

    const columns = ['id', '姓名', '身份证号', '手机号', '出生日期'].map((c) => ({ source: c, name: c }));
    // Another organisation's officer does not see a draft dataset at all.
    expect((await other.call('PUT', `/api/v1/datasets/${code}/binding`, { sourceId, schema: 'public', table: 'people', mode: 'replace' })).statusCode).toBe(
      404,
    );
    expect((await consumer.call('PUT', `/api/v1/datasets/${code}/binding`, { sourceId, schema: 'public', table: 'people', mode: 'replace' })).statusCode).toBe(
      403,
    );
    const missing = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { sourceId, schema: 'public', table: 'nope', mode: 'replace' });
    expect(missing.json().error.code).toBe('source_table_missing');
    const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, {
      sourceId,
      schema: 'public',
      table: 'people',
      columns,
      mode: 'replace',
      intervalMinutes: 60,
    });
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
    const firstId = people(1, 1, 3)[0]![2] as string;
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

  it('schedules: a cron expression in Asia/Shanghai gives the next run, a bad one is refused naming the field; a due binding is queued once; each run is in the history', async () => {
    const sourceId = (await officer.call('GET', '/api/v1/exchange/sources')).json().find((s: { name: string }) => s.name === '户籍库').id as string;
    const code = await dataset('户籍人口(定时)');
    const body = { sourceId, schema: 'public', table: 'people', columns: ['id', '姓名', '手机号'].map((c) => ({ source: c, name: c })), mode: 'replace' };
    const bad = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { ...body, cron: '61 * * * *' }, { 'accept-language': 'zh-CN' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'invalid_cron', details: { field: 'cron' } });
    expect(bad.json().error.message).toContain('字段 cron');
    const both = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { ...body, cron: '0 2 * * *', intervalMinutes: 5 });
    expect(both.json().error).toMatchObject({ code: 'schedule_ambiguous', details: { field: 'cron' } });

    const shanghai = (d: string) =>
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(d));
    const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { ...body, cron: '0 2 * * *' });
    expect(bound.statusCode, bound.body).toBe(201);
    expect(bound.json()).toMatchObject({ cron: '0 2 * * *', intervalMinutes: null });
    const next = bound.json().nextRunAt as string;
    expect(shanghai(next)).toBe('02:00');
    expect(Date.parse(next) - Date.now()).toBeGreaterThan(0);
    expect(Date.parse(next) - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    // Due now: two schedule ticks at once (as two pdx processes would) queue it once; the next run is the following 02:00.
    const d = (await t.services.catalog.byCode(code))!;
    await t.db.query(`UPDATE exchange_bindings SET next_run_at = now() - interval '1 minute' WHERE dataset_id = $1`, [d.id]);
    const ticks = await Promise.all([t.services.exchange.service.tick(), t.services.exchange.service.tick()]);
    expect(ticks[0]! + ticks[1]!).toBe(1);
    const after = (await officer.call('GET', `/api/v1/datasets/${code}/binding`)).json();
    expect(after.nextRunAt).toBe(next);
    const [{ pending_job: job }] = (await t.db.query<{ pending_job: string }>('SELECT pending_job FROM exchange_bindings WHERE dataset_id = $1', [d.id])) as [
      { pending_job: string },
    ];
    expect((await waitForJob(officer, job)).state).toBe('succeeded');

    const runs = await officer.call('GET', `/api/v1/datasets/${code}/binding/runs`);
    expect(runs.statusCode, runs.body).toBe(200);
    expect(runs.json()).toHaveLength(1);
    expect(runs.json()[0]).toMatchObject({ jobId: job, state: 'succeeded', version: 1, rowsRead: 30, rowsApplied: 30, rowsQuarantined: 0, error: null });
    expect(runs.json()[0].durationMs).toBeGreaterThanOrEqual(0);

    // A failed run is in the history with its error.
    await pgAdmin.query('ALTER TABLE people ADD COLUMN "备注" text');
    expect((await syncAndWait(code)).state).toBe('failed');
    await pgAdmin.query('ALTER TABLE people DROP COLUMN "备注"');
    const failed = (await officer.call('GET', `/api/v1/datasets/${code}/binding/runs`)).json()[0];
    expect(failed).toMatchObject({ state: 'failed', rowsApplied: 0, error: { code: 'schema_drift' } });

    // Changing the schedule: an interval instead, next run one interval on.
    const changed = await officer.call('PUT', `/api/v1/datasets/${code}/binding/schedule`, { intervalMinutes: 30 });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ intervalMinutes: 30, cron: null });
    expect(Math.abs(Date.parse(changed.json().nextRunAt) - Date.now() - 30 * 60_000)).toBeLessThan(60_000);
    expect((await officer.call('PUT', `/api/v1/datasets/${code}/binding/schedule`, { cron: 'nope' })).json().error.code).toBe('invalid_cron');

    const list = await officer.call('GET', '/api/v1/exchange/bindings');
    expect(list.json().find((x: { dataset: string }) => x.dataset === code)).toMatchObject({
      datasetName: '户籍人口(定时)',
      sourceName: '户籍库',
      intervalMinutes: 30,
    });
    expect(list.body).not.toContain(readerPassword);

    // Another organisation's officer, a consumer, nobody: nothing.
    expect((await other.call('GET', '/api/v1/exchange/bindings')).json()).toEqual([]);
    expect((await consumer.call('GET', '/api/v1/exchange/bindings')).statusCode).toBe(403);
    expect((await t.anonymous.call('GET', '/api/v1/exchange/bindings')).statusCode).toBe(401);
    expect((await other.call('GET', `/api/v1/datasets/${code}/binding/runs`)).statusCode).toBe(404);
    expect((await other.call('PUT', `/api/v1/datasets/${code}/binding/schedule`, { intervalMinutes: 5 })).statusCode).toBe(404);
    expect((await consumer.call('GET', `/api/v1/datasets/${code}/binding/runs`)).statusCode).toBe(403);
    expect((await consumer.call('PUT', `/api/v1/datasets/${code}/binding/schedule`, { intervalMinutes: 5 })).statusCode).toBe(403);
    expect((await t.anonymous.call('GET', `/api/v1/datasets/${code}/binding/runs`)).statusCode).toBe(401);
  });

  it('incremental (MariaDB): only rows beyond the high-water mark are applied; a failed run and schema drift change nothing stored', async () => {
    await maria.admin(`CREATE TABLE ${myDb}.people ${PEOPLE_DDL_MY.slice('CREATE TABLE people '.length)}`);
    const insert = async (from: number, count: number, seed: number) => {
      for (const r of people(from, count, seed)) await maria.admin(`INSERT INTO ${myDb}.people VALUES (?, ?, ?, ?, ?)`, r);
    };
    await insert(1, 25, 11);
    const sourceId = (await officer.call('GET', '/api/v1/exchange/sources')).json().find((s: { name: string }) => s.name === '市场主体库').id as string;
    // Browsing and previewing a MariaDB table, as the binding wizard does: tables, columns, classified first rows.
    const tables = (await officer.call('GET', `/api/v1/exchange/sources/${sourceId}/tables`)).json() as { schema: string; table: string }[];
    expect(tables).toContainEqual(expect.objectContaining({ schema: myDb, table: 'people', kind: 'table' }));
    const columns = (await officer.call('GET', `/api/v1/exchange/sources/${sourceId}/columns?schema=${myDb}&table=people`)).json() as {
      name: string;
      type: string;
    }[];
    expect(columns.map((c) => c.name)).toEqual(['id', '姓名', '身份证号', '手机号', '出生日期']);
    const preview = await officer.call('GET', `/api/v1/exchange/sources/${sourceId}/preview?schema=${myDb}&table=people&limit=3`);
    expect(preview.statusCode, preview.body).toBe(200);
    const p = preview.json();
    expect(p.rows).toHaveLength(3);
    expect(p.columns.find((c: { name: string }) => c.name === '身份证号')).toMatchObject({ types: ['cn_resident_id'], grade: 4, encrypted: true });
    expect(p.columns.find((c: { name: string }) => c.name === '出生日期')).toMatchObject({ dataType: 'date' });
    expect(preview.body).not.toContain(people(1, 1, 11)[0]![2] as string);
    // Editing the MariaDB source: a wrong password is a clear error on test, the right one works again; neither comes back.
    expect((await officer.call('PATCH', `/api/v1/exchange/sources/${sourceId}`, { password: 'wrong-password' })).statusCode).toBe(200);
    const wrong = await officer.call('POST', `/api/v1/exchange/sources/${sourceId}/test`);
    expect(wrong.json()).toMatchObject({ ok: false, error: { code: 'source_auth_failed' } });
    expect(wrong.body).not.toContain('wrong-password');
    expect((await officer.call('PATCH', `/api/v1/exchange/sources/${sourceId}`, { password: myPassword })).statusCode).toBe(200);
    expect((await officer.call('POST', `/api/v1/exchange/sources/${sourceId}/test`)).json()).toMatchObject({ ok: true });
    const code = await dataset('市场主体(增量)');
    const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, {
      sourceId,
      schema: myDb,
      table: 'people',
      mode: 'incremental',
      cursorColumn: 'id',
    });
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
    await maria.admin(
      `CREATE TABLE ${myDb}.firms (id integer PRIMARY KEY, \`名称\` varchar(40), \`状态\` varchar(10), change_no integer NOT NULL) DEFAULT CHARSET utf8mb4`,
    );
    await maria.admin(`INSERT INTO ${myDb}.firms VALUES (1, '沈阳甲公司', '存续', 1), (2, '大连乙公司', '存续', 2), (3, '鞍山丙公司', '存续', 3)`);
    const sourceId = (await officer.call('GET', '/api/v1/exchange/sources')).json().find((s: { name: string }) => s.name === '市场主体库').id as string;
    const code = await dataset('市场主体登记(按键更新)');
    const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, {
      sourceId,
      schema: myDb,
      table: 'firms',
      mode: 'incremental',
      cursorColumn: 'change_no',
      keyColumn: 'id',
    });
    expect(bound.statusCode, bound.body).toBe(201);
    expect((await syncAndWait(code)).result).toMatchObject({ version: 1, rows: 3 });

    await maria.admin(`UPDATE ${myDb}.firms SET \`状态\` = '注销', change_no = 4 WHERE id = 2`);
    await maria.admin(`INSERT INTO ${myDb}.firms VALUES (4, '抚顺丁公司', '存续', 5)`);
    expect((await syncAndWait(code)).result).toMatchObject({ version: 2, rows: 2, highWater: '5' });
    const d = (await t.services.catalog.byCode(code))!;
    const cols = await t.services.catalog.columnsOf(d.id);
    const col = (name: string) => cols.find((c) => c.name === name)!.physical;
    const visible = await t.db.query<Record<string, string>>(`SELECT * FROM ${d.relation} ORDER BY ${col('id')}`);
    expect(visible.map((r) => [String(r[col('id')]), r[col('状态')]])).toEqual([
      ['1', '存续'],
      ['2', '注销'],
      ['3', '存续'],
      ['4', '存续'],
    ]);
    expect(d.row_count).toBe(4);
  });

  it('many runs of a keyed binding: the dataset stays on a few tables (the newest merged), shows the source exactly, keeps every version in its history, and a correction keeps one row per key', async () => {
    await pgAdmin.query(`CREATE TABLE firms_many (id integer PRIMARY KEY, "状态" text NOT NULL, change_no integer NOT NULL)`);
    await pgAdmin.query(`INSERT INTO firms_many SELECT g, '存续', g FROM generate_series(1, 60) g`);
    await pgAdmin.query(`GRANT SELECT ON firms_many TO ${reader}`);
    const sourceId = (await officer.call('GET', '/api/v1/exchange/sources')).json().find((s: { name: string }) => s.name === '户籍库').id as string;
    const code = await dataset('市场主体登记(多次按键更新)');
    const columns = ['id', '状态', 'change_no'].map((c) => ({ source: c, name: c }));
    const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, {
      sourceId,
      schema: 'public',
      table: 'firms_many',
      columns,
      mode: 'incremental',
      cursorColumn: 'change_no',
      keyColumn: 'id',
    });
    expect(bound.statusCode, bound.body).toBe(201);
    expect((await syncAndWait(code)).result).toMatchObject({ version: 1, rows: 60 });
    const d = (await t.services.catalog.byCode(code))!;
    const col = async (name: string) => (await t.services.catalog.columnsOf(d.id)).find((c) => c.name === name)!.physical;
    const [idCol, stateCol] = [await col('id'), await col('状态')];
    const tables = async () =>
      (await t.db.query<{ relation: string }>(`SELECT DISTINCT relation FROM dataset_versions WHERE dataset_id = $1 AND state = 'active'`, [d.id])).map(
        (r) => r.relation,
      );
    const shown = async () => (await rows(code)).map((r) => [Number(r[idCol]), r[stateCol]]).sort((a, b) => Number(a[0]) - Number(b[0]));
    const atSource = async () =>
      (await pgAdmin.query<{ id: number; s: string }>(`SELECT id, "状态" AS s FROM firms_many ORDER BY id`)).rows.map((r) => [r.id, r.s]);
    const everTables = new Set<string>(await tables());

    for (let run = 1; run <= 14; run++) {
      // Two rows change and one is added per run, as a busy department's table would.
      await pgAdmin.query(`UPDATE firms_many SET "状态" = $1, change_no = 3000 + $2 * 10 + id % 2 WHERE id IN ($2, $2 + 20)`, [`变更${run}`, run]);
      await pgAdmin.query(`INSERT INTO firms_many VALUES (60 + $1, '存续', 3000 + $1 * 10 + 5)`, [run]);
      expect((await syncAndWait(code)).state).toBe('succeeded');
      const now = await tables();
      for (const r of now) everTables.add(r);
      expect(now.length).toBeLessThanOrEqual(8);
    }
    expect(await shown()).toEqual(await atSource());
    expect((await t.services.catalog.byCode(code))!.row_count).toBe(74);
    const history = (await officer.call('GET', `/api/v1/datasets/${code}/versions`)).json().items as { version: number; state: string }[];
    expect(history.map((v) => v.state)).toEqual(Array(15).fill('active'));
    // Tables merged away are gone from the database, not left behind.
    const live = new Set(await tables());
    for (const r of everTables) {
      const [{ exists }] = (await t.db.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [r])) as [{ exists: boolean }];
      expect(exists, r).toBe(live.has(r));
    }

    // A correction of one firm's state: the dataset still shows one row per key, with the corrected value.
    const [target] = (await t.db.query<{ _row: string }>(`SELECT _row FROM ${d.relation} WHERE ${idCol} = 3`)) as [{ _row: string }];
    await t.services.ingest.correct({
      datasetId: d.id,
      userId: officerId,
      reason: '核实更正',
      cells: [{ row: Number(target._row), column: '状态', value: '吊销' }],
    });
    const corrected = await shown();
    expect(corrected).toHaveLength(74);
    expect(corrected.find((r) => r[0] === 3)).toEqual([3, '吊销']);
    // The next change at the source wins over the correction.
    await pgAdmin.query(`UPDATE firms_many SET "状态" = '注销', change_no = 9000 WHERE id = 3`);
    expect((await syncAndWait(code)).state).toBe('succeeded');
    expect(await shown()).toEqual(await atSource());
  });

  it('a table left behind by a process that died after its commit is dropped by the next run; a key rotation alongside merging runs still moves every value', async () => {
    await pgAdmin.query(`CREATE TABLE residents_rot AS SELECT id, "姓名", "身份证号", id AS change_no FROM people`);
    await pgAdmin.query(`GRANT SELECT ON residents_rot TO ${reader}`);
    const sourceId = (await officer.call('GET', '/api/v1/exchange/sources')).json().find((s: { name: string }) => s.name === '户籍库').id as string;
    const code = await dataset('户籍人口(轮换与合并)');
    const columns = ['id', '姓名', '身份证号', 'change_no'].map((c) => ({ source: c, name: c }));
    const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, {
      sourceId,
      schema: 'public',
      table: 'residents_rot',
      columns,
      mode: 'incremental',
      cursorColumn: 'change_no',
      keyColumn: 'id',
    });
    expect(bound.statusCode, bound.body).toBe(201);
    expect((await syncAndWait(code)).state).toBe('succeeded');
    const d = (await t.services.catalog.byCode(code))!;
    const exists = async (table: string) => ((await t.db.query<{ e: boolean }>('SELECT to_regclass($1) IS NOT NULL AS e', [table])) as [{ e: boolean }])[0].e;
    const activeTables = async () =>
      (await t.db.query<{ relation: string }>(`SELECT DISTINCT relation FROM dataset_versions WHERE dataset_id = $1 AND state = 'active'`, [d.id])).map(
        (r) => r.relation,
      );

    // What a process killed between a load's commit and its drops leaves: tables no version reads.
    const [live] = (await activeTables()) as [string];
    for (const stray of [`${d.relation}_v90`, `${d.relation}_m91`]) await t.db.query(`CREATE TABLE ${stray} (LIKE ${live})`);
    let change = 1000;
    const bump = async () => {
      change += 1;
      await pgAdmin.query(`UPDATE residents_rot SET change_no = $1 WHERE id = (SELECT min(id) FROM residents_rot WHERE change_no < 1000)`, [change]);
    };
    await bump();
    expect((await syncAndWait(code)).state).toBe('succeeded');
    expect(await exists(`${d.relation}_v90`)).toBe(false);
    expect(await exists(`${d.relation}_m91`)).toBe(false);
    for (const table of await activeTables()) expect(await exists(table), table).toBe(true);

    // Eight more runs (each one changed person) keep merging version tables while the data key rotates.
    const version = await newDataKeyVersion(t.db, t.services.keyring, d.id);
    const rotation = await t.services.rotation.schedule(d.id);
    for (let run = 0; run < 8; run++) {
      await bump();
      expect((await syncAndWait(code)).state).toBe('succeeded');
    }
    await expect.poll(async () => (await t.services.jobs.get(rotation))?.state, { timeout: JOB_WAIT_MS }).toMatch(/^(succeeded|failed)$/);
    const job = (await t.services.jobs.get(rotation))!;
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    // Nothing is left under the old key in any table the dataset reads (a later run's values are
    // written under the new key anyway: the rotation made it current).
    const cipher = await t.services.keyring.fieldCipher(d.id);
    expect(cipher.version).toBe(version);
    const idColumn = (await t.services.catalog.columnsOf(d.id)).find((c) => c.name === '身份证号')!.physical;
    for (const table of await activeTables()) {
      const stale = await t.db.query(`SELECT 1 FROM ${table} WHERE ${idColumn} IS NOT NULL AND left(${idColumn}, 4) <> $1`, [cipher.currentPrefix]);
      expect(stale, table).toHaveLength(0);
    }
    const people = (await pgAdmin.query<{ id: number }>('SELECT id FROM residents_rot')).rows;
    expect(await rows(code)).toHaveLength(people.length);
  });

  // Soft deletes: PostgreSQL with a boolean column (true when deleted), MariaDB with a datetime (set when deleted).
  for (const kind of ['postgresql', 'mysql'] as const) {
    it(`incremental with a soft-delete column (${kind}): insert, update, soft-delete; the deleted key's row leaves the records API in the run that reads it, a failed run removes nothing`, async () => {
      const flag = kind === 'postgresql' ? '已删除' : 'deleted_at';
      const deleted = kind === 'postgresql' ? 'true' : 'now()';
      const exec = async (sql: string) =>
        kind === 'postgresql' ? pgAdmin.query(sql.replaceAll('`', '"')) : maria.admin(sql.replaceAll('firms_sd', `${myDb}.firms_sd`));
      await exec(
        kind === 'postgresql'
          ? 'CREATE TABLE firms_sd (id integer PRIMARY KEY, `名称` text, `成立日期` text, `状态` text, change_no integer NOT NULL, `已删除` boolean NOT NULL DEFAULT false)'
          : 'CREATE TABLE firms_sd (id integer PRIMARY KEY, `名称` varchar(40), `成立日期` varchar(20), `状态` varchar(10), change_no integer NOT NULL, deleted_at datetime NULL) DEFAULT CHARSET utf8mb4',
      );
      if (kind === 'postgresql') await pgAdmin.query(`GRANT SELECT ON firms_sd TO ${reader}`);
      await exec(
        "INSERT INTO firms_sd (id, `名称`, `成立日期`, `状态`, change_no) VALUES (1, '沈阳甲公司', '2001-03-04', '存续', 1), (2, '大连乙公司', '2002-05-06', '存续', 2), (3, '鞍山丙公司', '2003-07-08', '存续', 3), (4, '抚顺丁公司', '2004-09-10', '存续', 4)",
      );
      await exec(`UPDATE firms_sd SET \`${flag}\` = ${deleted}, change_no = 5 WHERE id = 4`);

      const sourceId = (await officer.call('GET', '/api/v1/exchange/sources'))
        .json()
        .find((s: { name: string }) => s.name === (kind === 'postgresql' ? '户籍库' : '市场主体库')).id as string;
      const code = await dataset(`市场主体登记(软删除 ${kind})`, 'unconditional');
      const schema = kind === 'postgresql' ? 'public' : myDb;
      const columns = ['id', '名称', '成立日期', '状态', 'change_no'].map((c) => ({ source: c, name: c }));
      const body = { sourceId, schema, table: 'firms_sd', columns, mode: 'incremental', cursorColumn: 'change_no', keyColumn: 'id', softDeleteColumn: flag };

      // Refused, naming the field: no key, replace mode, a column of another type.
      const noKey = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { ...body, keyColumn: undefined }, { 'accept-language': 'zh-CN' });
      expect(noKey.statusCode).toBe(400);
      expect(noKey.json().error).toMatchObject({ code: 'soft_delete_needs_key', details: { field: 'softDeleteColumn' } });
      expect(noKey.json().error.message).toContain('字段 softDeleteColumn');
      expect((await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { ...body, mode: 'replace' })).json().error.code).toBe('soft_delete_needs_key');
      const text = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { ...body, softDeleteColumn: '状态' });
      expect(text.json().error).toMatchObject({ code: 'soft_delete_type', details: { field: 'softDeleteColumn', column: '状态' } });
      expect((await officer.call('PUT', `/api/v1/datasets/${code}/binding`, { ...body, softDeleteColumn: 'nope' })).json().error).toMatchObject({
        code: 'unknown_source_column',
        details: { field: 'softDeleteColumn' },
      });
      expect((await consumer.call('PUT', `/api/v1/datasets/${code}/binding`, body)).statusCode).toBe(403);
      expect((await other.call('PUT', `/api/v1/datasets/${code}/binding`, body)).statusCode).toBe(404);

      const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, body);
      expect(bound.statusCode, bound.body).toBe(201);
      expect(bound.json()).toMatchObject({ softDeleteColumn: flag, keyColumn: 'id' });
      // A row deleted before the first run is never loaded.
      expect((await syncAndWait(code)).result).toMatchObject({ version: 1, rows: 3, deleted: 1, highWater: '5' });
      expect((await officer.call('PUT', `/api/v1/datasets/${code}/classification`, { columns: [] })).statusCode).toBe(200);
      const published = await officer.call('POST', `/api/v1/datasets/${code}/publish`);
      expect(published.statusCode, published.body).toBe(200);

      const read = async () => {
        const res = await outsider.call('GET', `/api/v1/datasets/${code}/records?limit=100`);
        expect(res.statusCode, res.body).toBe(200);
        return (res.json().rows as Record<string, unknown>[]).map((r) => [String(r.id), r['状态']]).sort();
      };
      expect(await read()).toEqual([
        ['1', '存续'],
        ['2', '存续'],
        ['3', '存续'],
      ]);

      // Insert, update, soft-delete in one run.
      await exec("INSERT INTO firms_sd (id, `名称`, `成立日期`, `状态`, change_no) VALUES (5, '本溪戊公司', '2005-01-02', '存续', 6)");
      await exec("UPDATE firms_sd SET `状态` = '注销', change_no = 7 WHERE id = 2");
      await exec(`UPDATE firms_sd SET \`${flag}\` = ${deleted}, change_no = 8 WHERE id = 3`);
      expect((await syncAndWait(code)).result).toMatchObject({ version: 2, rows: 2, deleted: 1, highWater: '8' });
      expect(await read()).toEqual([
        ['1', '存续'],
        ['2', '注销'],
        ['5', '存续'],
      ]);
      expect((await t.services.catalog.byCode(code))!.row_count).toBe(3);

      // A run that fails (an invalid 成立日期 in a dataset that rejects invalid rows) removes nothing and keeps the mark.
      await exec(`UPDATE firms_sd SET \`${flag}\` = ${deleted}, change_no = 9 WHERE id = 1`);
      await exec("INSERT INTO firms_sd (id, `名称`, `成立日期`, `状态`, change_no) VALUES (6, '丹东己公司', '不是日期', '存续', 10)");
      expect((await syncAndWait(code)).state).toBe('failed');
      expect(await read()).toEqual([
        ['1', '存续'],
        ['2', '注销'],
        ['5', '存续'],
      ]);
      expect((await officer.call('GET', `/api/v1/datasets/${code}/binding`)).json()).toMatchObject({ highWater: '8', lastVersion: 2 });

      // Corrected at the source: the next run (version 3 was the failed one) applies the deletion and the row together.
      await exec("UPDATE firms_sd SET `成立日期` = '2006-03-04', change_no = 11 WHERE id = 6");
      expect((await syncAndWait(code)).result).toMatchObject({ version: 4, rows: 1, deleted: 1, highWater: '11' });
      expect(await read()).toEqual([
        ['2', '注销'],
        ['5', '存续'],
        ['6', '存续'],
      ]);

      const runs = (await officer.call('GET', `/api/v1/datasets/${code}/binding/runs`)).json();
      expect(runs.map((r: { state: string; rowsApplied: number; rowsDeleted: number }) => [r.state, r.rowsApplied, r.rowsDeleted])).toEqual([
        ['succeeded', 1, 1],
        ['failed', 0, 0],
        ['succeeded', 2, 1],
        ['succeeded', 3, 1],
      ]);
    });
  }

  it('soft delete by an encrypted key: the deleted person is matched through the blind index of 身份证号 (timestamp column set when deleted)', async () => {
    await pgAdmin.query(`CREATE TABLE residents_sd AS SELECT id, "姓名", "身份证号", id AS change_no, NULL::timestamptz AS "注销时间" FROM people`);
    await pgAdmin.query(`GRANT SELECT ON residents_sd TO ${reader}`);
    const sourceId = (await officer.call('GET', '/api/v1/exchange/sources')).json().find((s: { name: string }) => s.name === '户籍库').id as string;
    const code = await dataset('户籍人口(软删除)');
    const columns = ['id', '姓名', '身份证号', 'change_no'].map((c) => ({ source: c, name: c }));
    const bound = await officer.call('PUT', `/api/v1/datasets/${code}/binding`, {
      sourceId,
      schema: 'public',
      table: 'residents_sd',
      columns,
      mode: 'incremental',
      cursorColumn: 'change_no',
      keyColumn: '身份证号',
      softDeleteColumn: '注销时间',
    });
    expect(bound.statusCode, bound.body).toBe(201);
    const first = (await syncAndWait(code)).result!;
    const d = (await t.services.catalog.byCode(code))!;
    expect((await t.services.catalog.columnsOf(d.id)).find((c) => c.name === '身份证号')).toMatchObject({ encrypted: true, blind_index: true });
    const [{ id: gone }] = (await pgAdmin.query<{ id: number }>('SELECT min(id) AS id FROM residents_sd')).rows as [{ id: number }];
    await pgAdmin.query(`UPDATE residents_sd SET "注销时间" = now(), change_no = 1000 WHERE id = $1`, [gone]);
    expect((await syncAndWait(code)).result).toMatchObject({ rows: 0, deleted: 1, highWater: '1000' });
    const idColumn = (await t.services.catalog.columnsOf(d.id)).find((c) => c.name === 'id')!.physical;
    const left = (await rows(code)).map((r) => Number(r[idColumn]));
    expect(left).toHaveLength(Number(first.rows) - 1);
    expect(left).not.toContain(gone);
    expect((await t.services.catalog.byCode(code))!.row_count).toBe(Number(first.rows) - 1);
  });
});
