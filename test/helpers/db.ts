/**
 * Every database test runs on both backends: PGlite in memory and a fresh database on the real
 * PostgreSQL server the global setup started.
 */
import { randomBytes } from 'node:crypto';
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

/** Creates an empty database on the test server and returns its URL. */
export async function createServerDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = inject('pgAdminUrl');
  const name = `pdx_t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client(admin);
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
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

/** Opens a fresh, migrated (unless told otherwise) database on the given backend. */
export async function openTestDatabase(backend: Backend, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  let result: TestDatabase;
  if (backend === 'pglite') {
    const db = await openPglite();
    result = { db, close: () => db.close() };
  } else {
    const server = await createServerDatabase();
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
  if (options.migrate !== false) await migrate(result.db);
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
