import { describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../test/helpers/db.ts';
import { one } from './db.ts';
import { checksum, listMigrations, migrate, MigrationChangedError } from './migrate.ts';
import { csvLine, ident } from './sql.ts';

describe('identifier guard', () => {
  it('quotes catalogue names and refuses anything else', () => {
    expect(ident('ds_0001')).toBe('"ds_0001"');
    for (const bad of ['a"b', 'Robert; DROP TABLE x', '', '1abc', 'a b', 'A']) expect(() => ident(bad)).toThrow();
  });
  it('encodes CSV for COPY with NULL distinct from the empty string', () => {
    expect(csvLine([null, '', 'a"b', 3])).toBe(',"","a""b","3"\n');
  });
});

describeEachBackend('data layer', ({ backend, use }) => {
  it('binds parameters, so a hostile value is only a value', async () => {
    const { db } = use();
    const evil = "'); DROP TABLE settings; --";
    await db.query('INSERT INTO settings (key, value) VALUES ($1, $2)', [evil, JSON.stringify({ v: 1 })]);
    const row = await one<{ key: string }>(db, 'SELECT key FROM settings WHERE key = $1', [evil]);
    expect(row.key).toBe(evil);
    expect(db.backend).toBe(backend);
  });

  it('reads values the same way on both backends', async () => {
    const { db } = use();
    const row = await one(
      db,
      `SELECT 42::int8 AS big, 1.50::numeric AS dec, DATE '2027-06-30' AS d, TIMESTAMPTZ '2026-01-02 03:04:05+00' AS ts,
              '\\x01ff'::bytea AS bin, '{"a":[1]}'::jsonb AS doc, true AS flag`,
    );
    expect(row).toEqual({
      big: 42,
      dec: '1.50',
      d: '2027-06-30',
      ts: new Date('2026-01-02T03:04:05Z'),
      bin: Buffer.from([1, 255]),
      doc: { a: [1] },
      flag: true,
    });
  });

  it('rolls a failed transaction back completely', async () => {
    const { db } = use();
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO settings (key, value) VALUES ($1, $2)', ['tx-1', '{}']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.query('SELECT 1 FROM settings WHERE key = $1', ['tx-1'])).toHaveLength(0);
  });

  it('bulk-loads awkward values with COPY inside a transaction', async () => {
    const { db } = use();
    await db.query('CREATE TABLE copy_t (id int, name text, note text)');
    const awkward = ['逗号,引号"与换行\n第二行', '', null, 'back\\slash', '户籍人口'];
    async function* rows() {
      for (let i = 0; i < 25_000; i++) yield [i, awkward[i % awkward.length], i % 2 ? null : `n${i}`];
    }
    const count = await db.transaction((tx) => tx.copyRows('copy_t', ['id', 'name', 'note'], rows()));
    expect(count).toBe(25_000);
    const got = await db.query<{ id: number; name: string | null }>('SELECT id, name FROM copy_t WHERE id < 5 ORDER BY id');
    expect(got.map((r) => r.name)).toEqual(awkward);
    expect((await one<{ n: number }>(db, 'SELECT count(*)::int AS n FROM copy_t')).n).toBe(25_000);
  });

  it('leaves nothing behind when a bulk load fails half way', async () => {
    const { db } = use();
    await db.query('CREATE TABLE copy_fail (id int NOT NULL)');
    async function* rows() {
      for (let i = 0; i < 50_000; i++) yield [i === 40_000 ? null : i];
    }
    await expect(db.transaction((tx) => tx.copyRows('copy_fail', ['id'], rows()))).rejects.toThrow();
    expect((await one<{ n: number }>(db, 'SELECT count(*)::int AS n FROM copy_fail')).n).toBe(0);
  });

  it('migrates idempotently', async () => {
    const { db } = use();
    expect(await migrate(db)).toEqual([]);
    const versions = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(versions.map((v) => v.version)).toEqual(listMigrations().map((m) => m.version));
  });

  it('records the checksum of every migration, also on the first start of a database migrated before checksums', async () => {
    const { db } = use();
    const checksums = async () =>
      db.query<{ version: number; name: string; sha256: string }>('SELECT version, name, sha256 FROM schema_migration_checksums ORDER BY version');
    const expected = listMigrations().map((m) => ({ version: m.version, name: m.name, sha256: checksum(m.sql) }));
    expect(await checksums()).toEqual(expected);
    // A database from before migration 0015: no checksum table, every other migration applied.
    await db.exec('DROP TABLE schema_migration_checksums; DELETE FROM schema_migrations WHERE version = 15;');
    expect(await migrate(db)).toEqual([15]);
    expect(await checksums()).toEqual(expected);
  });

  it('refuses to start on a landed migration whose file was edited, saying which and what to do', async () => {
    const { db } = use();
    const edited = listMigrations().map((m) => (m.version === 3 ? { ...m, sql: `${m.sql}\nALTER TABLE datasets ADD COLUMN sneaky int;\n` } : m));
    const later = { version: 9999, name: 'later', sql: 'CREATE TABLE later_migration (id int);' };
    const refused = await migrate(db, [...edited, later]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MigrationChangedError);
    const error = refused as MigrationChangedError;
    expect(error.code).toBe('migration_changed');
    expect(error.text.zh).toContain('0003_catalog.sql');
    expect(error.text.zh).toContain('已应用的迁移不得修改');
    expect(error.text.en).toContain('Database migration 0003_catalog.sql was changed after it was applied');
    // Nothing ran: neither the edit nor a later migration.
    expect(await db.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'datasets' AND column_name = 'sneaky'")).toEqual([]);
    expect(await db.query("SELECT to_regclass('later_migration')::text AS t")).toEqual([{ t: null }]);
    // A CRLF checkout of the same file is the same migration.
    const crlf = listMigrations().map((m) => ({ ...m, sql: m.sql.replace(/\n/g, '\r\n') }));
    expect(await migrate(db, crlf)).toEqual([]);
  });

  it('serialises work under an advisory lock', async () => {
    const { db } = use();
    const events: string[] = [];
    const section = (name: string) =>
      db.withAdvisoryLock(42n, async () => {
        events.push(`${name}:in`);
        await new Promise((r) => setTimeout(r, 50));
        events.push(`${name}:out`);
      });
    await Promise.all([section('a'), section('b')]);
    expect(events[0]?.split(':')[0]).toBe(events[1]?.split(':')[0]);
  });
});
