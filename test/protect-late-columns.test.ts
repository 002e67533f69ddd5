/**
 * A 4级 column that only shows itself after the classification sample (issue 23, finding 2): a file
 * whose 证件号码 column is empty in its first 21,000 rows and holds resident IDs afterwards. The load
 * must never write those IDs in clear, not even for a moment: after a CHECKPOINT neither the
 * PostgreSQL WAL written during the load, nor the database's files, nor the PGlite data directory
 * hold one of them. One bad line among them is quarantined exactly once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/db/index.ts';
import { openPostgres } from '../src/db/postgres.ts';
import type { Platform } from '../src/main.ts';
import { Random } from './corpus/random.ts';
import { personName, residentId, residentIdBadCheck } from './corpus/values.ts';
import { startTestApp, type TestApp } from './helpers/api.ts';
import { createServerDatabase } from './helpers/db.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const EMPTY_ROWS = 21_500;
const ID_ROWS = 3_000;
/** Data line (1-based, header excluded) whose ID fails its checksum: quarantined. */
const BAD_LINE = EMPTY_ROWS + 1_500;

/** Writes the file and returns the valid IDs it holds (the bad one excluded) and some names. */
function writeLateIds(file: string, seed: number): { ids: string[]; names: string[] } {
  const r = new Random(seed);
  const ids: string[] = [];
  const names: string[] = [];
  let text = '姓名,证件号码,户籍地\n';
  for (let line = 1; line <= EMPTY_ROWS + ID_ROWS; line++) {
    const name = personName(r);
    let id = '';
    if (line > EMPTY_ROWS) {
      id = line === BAD_LINE ? residentIdBadCheck(r) : residentId(r);
      if (line !== BAD_LINE) ids.push(id);
    }
    if (line % 1000 === 0) names.push(name);
    text += `${name},${id},朝阳市\n`;
  }
  fs.writeFileSync(file, text);
  return { ids, names };
}

/** Loads the file as a new dataset (invalid rows quarantined) and waits for the job. */
async function load(services: Platform['services'], file: string) {
  const { identity, catalog, ingest, jobs } = services;
  const org = await identity.createOrg({}, { name: '省公安厅', type: 'department', level: 'province', uscc: null, regionCode: '210000', parentId: null });
  const { user } = await identity.createUser(
    {},
    { username: 'ga-late', displayName: 'x', orgId: org.id, roles: ['data_officer'], password: 'Liaoning-Police-2026' },
  );
  const caller = { principal: { kind: 'user' as const, userId: user.id, username: user.username, orgId: org.id, roles: user.roles } };
  const dataset = await catalog.create(caller, {
    name: '人员证件信息',
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
    on_invalid: 'quarantine',
  });
  const jobId = await ingest.importFile(caller, dataset.code, file, { mode: 'replace', options: {} });
  let job = await jobs.get(jobId);
  for (let i = 0; i < 4800 && job?.state !== 'succeeded' && job?.state !== 'failed'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    job = await jobs.get(jobId);
  }
  expect(job?.state, JSON.stringify(job?.error)).toBe('succeeded');
  return {
    dataset,
    /** Checked after the disk was searched: what the load reported and what the catalogue says. */
    async check() {
      expect(job?.result).toMatchObject({ rows: EMPTY_ROWS + ID_ROWS - 1, quarantined: 1 });
      const columns = await catalog.columnsOf(dataset.id);
      expect(columns.find((c) => c.name === '证件号码')).toMatchObject({ encrypted: true, blind_index: true, grade: 4 });
    },
  };
}

/** Every file under `dir` (recursively) whose name passes `keep`, concatenated. */
function bytesUnder(dir: string, keep: (file: string) => boolean = () => true): Buffer {
  const parts: Buffer[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && keep(full)) parts.push(fs.readFileSync(full));
    }
  };
  walk(dir);
  return Buffer.concat(parts);
}

const found = (bytes: Buffer, values: string[]) => values.filter((v) => bytes.includes(Buffer.from(v)));

const ID_LENGTH = 18;
const CHUNK = 64 * 1024 * 1024;

/**
 * The resident IDs among `ids` that occur anywhere in `bytes`: one pass over the bytes (every
 * 18-character window of every run of ID characters looked up in a set) instead of one search of
 * the whole directory per ID, which for 3,000 IDs took a minute.
 */
function foundIds(bytes: Buffer, ids: string[]): string[] {
  const wanted = new Set(ids);
  const seen = new Set<string>();
  // Chunks overlap by one ID less a character, so an ID across a boundary is still whole in one of them.
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const text = bytes.subarray(start, Math.min(bytes.length, start + CHUNK + ID_LENGTH - 1)).toString('latin1');
    for (const run of text.matchAll(/[0-9Xx]{18,}/g)) {
      for (let i = 0; i + ID_LENGTH <= run[0].length; i++) {
        const window = run[0].slice(i, i + ID_LENGTH);
        if (wanted.has(window)) seen.add(window);
      }
    }
  }
  return ids.filter((id) => seen.has(id));
}

describe('a 4级 column first seen after the sample, on a PostgreSQL server', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-late-'));
  const file = path.join(dir, 'late-ids.csv');
  const { ids, names } = writeLateIds(file, 2301);
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let admin: pg.Client;
  let t: TestApp;

  beforeAll(async () => {
    server = await createServerDatabase();
    admin = new pg.Client(server.url);
    await admin.connect();
    const db = await openPostgres(server.url, 10);
    await migrate(db);
    t = await startTestApp(db);
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.close();
    await admin?.end();
    await server?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes no ID in clear to the WAL or the database files, and quarantines the bad line once', async () => {
    const dataDir = (await admin.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
    const firstWal = (await admin.query<{ name: string }>('SELECT pg_walfile_name(pg_current_wal_lsn()) AS name')).rows[0]!.name;
    const dbOid = (await admin.query<{ oid: number }>('SELECT oid FROM pg_database WHERE datname = current_database()')).rows[0]!.oid;

    const { dataset, check } = await load(t.services, file);
    await admin.query('CHECKPOINT');

    const wal = bytesUnder(path.join(dataDir, 'pg_wal'), (f) => /^[0-9A-F]{24}$/.test(path.basename(f)) && path.basename(f) >= firstWal);
    expect(wal.length).toBeGreaterThan(0);
    // The load is in this WAL (its 3级 names are stored in clear), its IDs are not.
    expect(found(wal, names).length).toBeGreaterThan(names.length / 2);
    // The scan finds every ID where they are in clear: the source file.
    expect(foundIds(fs.readFileSync(file), ids)).toHaveLength(ids.length);
    expect(foundIds(wal, ids)).toEqual([]);
    const files = bytesUnder(path.join(dataDir, 'base', String(dbOid)));
    expect(found(files, names).length).toBeGreaterThan(names.length / 2);
    expect(foundIds(files, ids)).toEqual([]);
    await check();
    const quarantined = await t.db.query<{ line: number }>('SELECT line FROM quarantined_rows WHERE dataset_id = $1', [dataset.id]);
    expect(quarantined.map((q) => Number(q.line))).toEqual([BAD_LINE + 1]);
  });
});

describe('a 4级 column first seen after the sample, in the embedded database', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-late-'));
  const file = path.join(dir, 'late-ids.csv');
  const { ids, names } = writeLateIds(file, 2302);
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('leaves no ID in clear anywhere in the data directory', async () => {
    const { check } = await load(server.platform.services, file);
    await server.db.query('CHECKPOINT');
    const all = bytesUnder(server.dataDir);
    expect(found(all, names).length).toBeGreaterThan(names.length / 2);
    expect(foundIds(all, ids)).toEqual([]);
    await check();
  });
});
