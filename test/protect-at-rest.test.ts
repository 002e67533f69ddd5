/**
 * Encryption at rest, seen from outside pdx: after loading a file of known values, neither a
 * pg_dump of the server database nor the files of the PGlite data directory hold a 4级 value in
 * clear. Key rotation moves every value to the new key while the dataset stays readable, and a
 * wrong master key stops the server before it serves.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startServer } from '../src/main.ts';
import { newDataKeyVersion } from '../src/modules/protect/keyring.ts';
import { blindIndexer } from '../src/modules/protect/blind-index.ts';
import { ADMIN_PASSWORDS, createOrg, multipart, provisionUser, startTestApp, waitForJob, type Client, type TestApp } from './helpers/api.ts';
import { JOB_WAIT_MS } from './helpers/bounds.ts';
import { createServerDatabase } from './helpers/db.ts';
import { fetchSignIn } from './helpers/http.ts';
import { peopleCsv } from './fixtures/people.ts';
import { findPgBin } from './helpers/pg-cluster.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { TEST_ENV } from './helpers/env.ts';

const CSV = peopleCsv(500, 99);
const ROWS = CSV.trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(','));
const IDS = ROWS.map((r) => r[1]!);
const NAMES = ROWS.map((r) => r[0]!);

/** Registers, loads and returns the dataset code, through the same API the console uses. */
async function loadPeople(officer: Client): Promise<string> {
  const code = (await officer.call('POST', '/api/v1/datasets', { name: '户籍人口信息', tags: ['人口'] })).json().code as string;
  const { body, contentType } = multipart('people.csv', iconv.encode(CSV, 'gbk'));
  const res = await officer.call('POST', `/api/v1/datasets/${code}/versions`, body, { 'content-type': contentType });
  const job = await waitForJob(officer, res.json().jobId);
  if (job.state !== 'succeeded') throw new Error(JSON.stringify(job.error));
  return code;
}

/** Waits for a job of this process to end and returns its final state. */
async function finished(jobs: TestApp['services']['jobs'], jobId: string): Promise<string | undefined> {
  await expect.poll(async () => (await jobs.get(jobId))?.state, { timeout: JOB_WAIT_MS }).toMatch(/^(succeeded|failed)$/);
  return (await jobs.get(jobId))?.state;
}

async function setUp(t: TestApp): Promise<Client> {
  const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
  const org = await createOrg(admin, '省公安厅');
  return (await provisionUser(t, admin, 'ga-officer', ['data_officer'], org)).client;
}

describe('encryption at rest on a PostgreSQL server', () => {
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let t: TestApp;
  let code: string;

  beforeAll(async () => {
    server = await createServerDatabase({ migrated: true });
    const { openPostgres } = await import('../src/db/postgres.ts');
    const { migrate } = await import('../src/db/index.ts');
    const db = await openPostgres(server.url, 10);
    await migrate(db);
    t = await startTestApp(db);
    code = await loadPeople(await setUp(t));
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.close();
    await server?.drop();
  });

  it('leaves no 4级 value in clear in pg_dump, while 3级 names are there as loaded', () => {
    const dump = execFileSync(findPgBin('pg_dump'), ['--data-only', server.url], { maxBuffer: 1 << 28 }).toString('utf8');
    expect(dump.length).toBeGreaterThan(10_000);
    expect(NAMES.filter((n) => dump.includes(n)).length).toBeGreaterThan(400);
    expect(IDS.filter((id) => dump.includes(id))).toEqual([]);
  });

  it('rotates the data key and re-encrypts in the background while the data stays readable', async () => {
    const dataset = (await t.services.catalog.byCode(code))!;
    const cipherBefore = await t.services.keyring.fieldCipher(dataset.id);
    const read = async () => t.db.query<{ c002: string; c002_bi: string }>(`SELECT c002, c002_bi FROM ${dataset.relation} ORDER BY _row`);
    const before = await read();
    const version = await newDataKeyVersion(t.db, t.services.keyring, dataset.id);
    expect(version).toBe(2);
    const jobId = await t.services.rotation.schedule(dataset.id);
    expect(await finished(t.services.jobs, jobId)).toBe('succeeded');
    const after = await read();
    const cipher = await t.services.keyring.fieldCipher(dataset.id);
    expect(after.every((r) => r.c002.startsWith(cipher.currentPrefix))).toBe(true);
    expect(after.map((r) => cipher.decrypt(r.c002))).toEqual(before.map((r) => cipherBefore.decrypt(r.c002)));
    expect(after.map((r) => cipher.decrypt(r.c002))).toEqual(IDS);
    // Equality lookups through the blind index find the row under the new key.
    const indexer = await blindIndexer(t.services.keyring, dataset.id);
    const hit = await t.db.query(`SELECT _row FROM ${dataset.relation} WHERE c002_bi = ANY($1)`, [indexer.terms(IDS[7]!, 'cn_resident_id')]);
    expect(hit).toHaveLength(1);
  });
});

describe('encryption of 3级 columns too, by the secadmin policy, on a PostgreSQL server', () => {
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let t: TestApp;

  beforeAll(async () => {
    server = await createServerDatabase();
    const { openPostgres } = await import('../src/db/postgres.ts');
    const { migrate } = await import('../src/db/index.ts');
    const db = await openPostgres(server.url, 10);
    await migrate(db);
    t = await startTestApp(db);
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.close();
    await server?.drop();
  });

  it('leaves neither 4级 IDs nor 3级 names and phones in clear in pg_dump', async () => {
    const secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    const policy = (await secadmin.call('GET', '/api/v1/classification/policy')).json();
    expect(policy.encryptFromGrade).toBe(4);
    const saved = await secadmin.call('PUT', '/api/v1/classification/policy', { ...policy, encryptFromGrade: 3 });
    expect(saved.statusCode, saved.body).toBe(200);
    const code = await loadPeople(await setUp(t));
    const dataset = (await t.services.catalog.byCode(code))!;
    const columns = await t.services.catalog.columnsOf(dataset.id);
    expect(Object.fromEntries(columns.map((c) => [c.name, c.encrypted]))).toMatchObject({
      姓名: true,
      身份证号: true,
      手机号: true,
      住址: true,
      人口数: false,
    });
    const dump = execFileSync(findPgBin('pg_dump'), ['--data-only', server.url], { maxBuffer: 1 << 28 }).toString('utf8');
    expect(dump).toContain('户籍人口信息');
    expect(NAMES.filter((n) => dump.includes(n))).toEqual([]);
    expect(IDS.filter((id) => dump.includes(id))).toEqual([]);
    expect(ROWS.map((r) => r[2]!).filter((phone) => dump.includes(phone))).toEqual([]);
  });
});

describe('encryption at rest in the embedded database', () => {
  let server: TestServer;
  const key = randomBytes(32).toString('base64');

  beforeAll(async () => {
    server = await startTestServer({ PDX_MASTER_KEY: key, PDX_ADMIN_PASSWORD: ADMIN_PASSWORDS.sysadmin });
  });
  afterAll(() => server?.close());

  it('leaves no 4级 value in clear in the PGlite data directory', async () => {
    const login = await fetchSignIn(server.url, 'sysadmin', ADMIN_PASSWORDS.sysadmin);
    expect(login.status).toBe(200);
    // Drive the services directly: the HTTP path is covered above; here the point is the bytes on disk.
    const { identity, catalog, ingest, jobs } = server.platform.services;
    const org = await identity.createOrg({}, { name: '省公安厅', type: 'department', level: 'province', uscc: null, regionCode: '210000', parentId: null });
    const { user } = await identity.createUser(
      {},
      { username: 'ga-disk', displayName: 'x', orgId: org.id, roles: ['data_officer'], password: 'Liaoning-Police-2026' },
    );
    const caller = { principal: { kind: 'user' as const, userId: user.id, username: user.username, orgId: org.id, roles: user.roles } };
    const dataset = await catalog.create(caller, {
      name: '户籍人口信息',
      summary: '',
      domain: '',
      category: '',
      format: '库表',
      share_type: 'conditional',
      share_conditions: '',
      share_methods: ['api'],
      open_type: 'none',
      update_cycle: 'monthly',
      related_codes: [],
      tags: [],
      contact: {},
      on_invalid: 'reject',
    });
    const file = path.join(server.dataDir, 'people.csv');
    fs.writeFileSync(file, iconv.encode(CSV, 'gbk'));
    const jobId = await ingest.importFile(caller, dataset.code, file, { mode: 'replace', options: {} });
    // The server's own worker picks the job up.
    expect(await finished(jobs, jobId)).toBe('succeeded');
    fs.rmSync(file);
    await server.db.query('CHECKPOINT');

    const bytes: Buffer[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else bytes.push(fs.readFileSync(full));
      }
    };
    walk(server.dataDir);
    const all = Buffer.concat(bytes);
    // The directory holds tens of MB (the catalogue, the audit log, WAL): one pass collects every
    // 18-character window that looks like a resident ID (ASCII, so latin1 keeps one byte per char),
    // instead of searching the whole directory once per value (500 × tens of MB took minutes under load).
    const windows = new Set<string>();
    for (const [run] of all.toString('latin1').matchAll(/[\dX]{18,}/g)) for (let i = 0; i + 18 <= run.length; i++) windows.add(run.slice(i, i + 18));
    expect(IDS.filter((id) => windows.has(id))).toEqual([]);
    // The search does see the loaded rows: a sample of the 3级 names is there in clear.
    const sample = NAMES.slice(0, 20);
    expect(sample.filter((n) => all.includes(Buffer.from(n))).length).toBeGreaterThan(15);
  });
});

describe('the wrong master key', () => {
  it('stops the server before it serves, with a clear message', async () => {
    const first = await startTestServer({ PDX_MASTER_KEY: randomBytes(32).toString('base64') });
    const dataDir = first.dataDir;
    await first.app.close();
    await first.platform.services.audit.close();
    await first.db.close();
    const config = loadConfig({
      ...TEST_ENV,
      PDX_PORT: '0',
      PDX_DATA_DIR: dataDir,
      PDX_LOG_LEVEL: 'silent',
      PDX_MASTER_KEY: randomBytes(32).toString('base64'),
    });
    await expect(startServer(config)).rejects.toThrow(/master key does not match|主密钥/i);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
