import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.ts';
import type { Db, Queryable } from './db.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
/** Advisory lock key for migrations ("pdxmigr" as bytes); any constant shared by all processes. */
const MIGRATION_LOCK = 0x7064786d69677200n;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The table migration 0015 creates; before it exists, nothing is checked (and nothing recorded). */
const CHECKSUMS = 'schema_migration_checksums';

/**
 * Start-up refuses a database on which a migration was applied from a text that is not the file's
 * text now: the file was edited after it landed. A landed migration is never edited; a change is a
 * new migration.
 */
export class MigrationChangedError extends AppError {
  constructor(m: Migration, recorded: { name: string; sha256: string }) {
    const file = `${String(m.version).padStart(4, '0')}_${m.name}.sql`;
    super(
      503,
      'migration_changed',
      {
        zh: `数据库迁移 ${file} 在应用到本数据库之后被修改过（记录的 SHA-256 ${recorded.sha256.slice(0, 12)}…，现在文件的 ${checksum(m.sql).slice(0, 12)}…）。已应用的迁移不得修改：请恢复该文件的原文，把改动写成一个新的编号迁移。`,
        en: `Database migration ${file} was changed after it was applied to this database (recorded SHA-256 ${recorded.sha256.slice(0, 12)}…, the file now ${checksum(m.sql).slice(0, 12)}…). A landed migration is never edited: restore the file and put the change in a new numbered migration.`,
      },
      { version: m.version, name: m.name, recordedName: recorded.name, recorded: recorded.sha256, actual: checksum(m.sql) },
    );
  }
}

/** SHA-256 (hex) of a migration's text, line endings normalised so a CRLF checkout is the same file. */
export function checksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

async function hasChecksums(q: Queryable): Promise<boolean> {
  const [row] = await q.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [CHECKSUMS]);
  return Boolean(row?.t);
}

/** Refuses (MigrationChangedError) when an applied migration's file no longer has its recorded text. */
async function verifyChecksums(q: Queryable, migrations: Migration[]): Promise<void> {
  if (!(await hasChecksums(q))) return;
  const recorded = new Map(
    (await q.query<{ version: number; name: string; sha256: string }>(`SELECT version, name, sha256 FROM ${CHECKSUMS}`)).map((r) => [r.version, r]),
  );
  for (const m of migrations) {
    const r = recorded.get(m.version);
    if (r && (r.sha256 !== checksum(m.sql) || r.name !== m.name)) throw new MigrationChangedError(m, r);
  }
}

/**
 * Records the checksum of every applied migration that has none: those applied by this run, and on
 * the first start after migration 0015 every migration the database had before.
 */
async function recordChecksums(q: Queryable, migrations: Migration[]): Promise<void> {
  if (!(await hasChecksums(q))) return;
  const applied = new Set(
    (await q.query<{ version: number }>(`SELECT m.version FROM schema_migrations m LEFT JOIN ${CHECKSUMS} c USING (version) WHERE c.version IS NULL`)).map(
      (r) => r.version,
    ),
  );
  for (const m of migrations) {
    if (applied.has(m.version)) await q.query(`INSERT INTO ${CHECKSUMS} (version, name, sha256) VALUES ($1, $2, $3)`, [m.version, m.name, checksum(m.sql)]);
  }
}

/** Lists the numbered migration files (`0001_name.sql`) in order. */
export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: fs.readFileSync(path.join(dir, file), 'utf8'),
    }));
}

/**
 * Applies every migration not yet applied, each in its own transaction, under an advisory lock so
 * processes starting together against one server apply each migration exactly once. First refuses a
 * database whose applied migrations' files were edited since (MigrationChangedError); last records
 * the checksums not yet recorded. Returns the versions this call applied.
 */
export async function migrate(db: Db, migrations = listMigrations()): Promise<number[]> {
  return db.withAdvisoryLock(MIGRATION_LOCK, async () => {
    await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    await verifyChecksums(db, migrations);
    const done = new Set((await db.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await db.transaction(async (tx) => {
        await tx.exec(migration.sql);
        await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      });
      applied.push(migration.version);
    }
    await db.transaction((tx) => recordChecksums(tx, migrations));
    return applied;
  });
}
