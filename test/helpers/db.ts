/**
 * Every database test runs on both backends: PGlite in memory and a fresh database on the real
 * PostgreSQL server the global setup started. Both start as copies of the migrated templates the
 * global setup made (test/setup/postgres.ts), so no suite pays for initdb or the migrations.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { migrate, type Backend, type Db } from '../../src/db/index.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';

export const BACKENDS: readonly Backend[] = ['pglite', 'postgres'];

export interface TestDatabase {
  db: Db;
  /** Set on the postgres backend: the URL of this test's own database. */
  url?: string;
  close(): Promise<void>;
}

/**
 * Creates a database on the test server and returns its URL: empty, or with `migrated` a copy of
 * the migrated template (a file copy on the server instead of running every migration).
 */
export async function createServerDatabase(options: { migrated?: boolean } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = inject('pgAdminUrl');
  const name = `pdx_t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client(admin);
  await client.connect();
  await client.query(`CREATE DATABASE ${name}${options.migrated ? ` TEMPLATE ${inject('pgTemplate')}` : ''}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client(admin);
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

let pgliteDump: Blob | undefined;

/** The migrated PGlite template as a dump to load, read once per test worker. */
function migratedPgliteDump(): Blob {
  pgliteDump ??= new Blob([new Uint8Array(fs.readFileSync(inject('pgliteTemplate').dump))]);
  return pgliteDump;
}

/**
 * Makes `dir` (a pdx data directory's `pglite` folder, which must not exist yet) a copy of the
 * migrated PGlite template, so the process that opens it finds a migrated database.
 */
export function seedPgliteDir(dir: string): void {
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) throw new Error(`${dir} already holds a database`);
  fs.cpSync(inject('pgliteTemplate').dir, dir, { recursive: true });
}

/** Opens a fresh, migrated (unless told otherwise) database on the given backend. */
export async function openTestDatabase(backend: Backend, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const migrated = options.migrate !== false;
  let result: TestDatabase;
  if (backend === 'pglite') {
    const db = await openPglite(undefined, migrated ? { loadDataDir: migratedPgliteDump() } : {});
    result = { db, close: () => db.close() };
  } else {
    const server = await createServerDatabase({ migrated });
    const db = await openPostgres(server.url, 20);
    result = {
      db,
      url: server.url,
      async close() {
        await db.close();
        await server.drop();
      },
    };
  }
  // Nothing is pending on a template copy; this only checks so, in one query.
  if (migrated) await migrate(result.db);
  return result;
}

/**
 * Declares the suite once per backend. `use()` inside returns the suite's database, opened in
 * beforeAll and closed in afterAll.
 */
export function describeEachBackend(
  title: string,
  body: (ctx: { backend: Backend; use: () => TestDatabase }) => void,
  options: { migrate?: boolean } = {},
): void {
  for (const backend of BACKENDS) {
    describe(`${title} [${backend}]`, () => {
      let current: TestDatabase | undefined;
      beforeAll(async () => {
        current = await openTestDatabase(backend, options);
      });
      afterAll(async () => {
        await current?.close();
      });
      body({
        backend,
        use: () => {
          if (!current) throw new Error('test database not open yet');
          return current;
        },
      });
    });
  }
}
