import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMigrations } from '../src/db/migrate.ts';
import { createServerDatabase } from './helpers/db.ts';

const run = promisify(execFile);

describe('migrations from two real processes at once', () => {
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  beforeAll(async () => {
    server = await createServerDatabase();
  });
  afterAll(() => server.drop());

  it('applies each migration exactly once', async () => {
    const env = { ...process.env, PDX_DATABASE_URL: server.url };
    const results = await Promise.all([1, 2, 3].map(() => run('node', ['bin/pdx.js', 'migrate'], { env })));
    const outputs = results.map((r) => r.stdout.trim());
    // Exactly one process applied the migrations; the others found the database up to date.
    expect(outputs.filter((o) => o.startsWith('applied migrations'))).toHaveLength(1);
    expect(outputs.filter((o) => o === 'database is up to date')).toHaveLength(2);
    const client = new pg.Client(server.url);
    await client.connect();
    const { rows } = await client.query('SELECT version FROM schema_migrations ORDER BY version');
    await client.end();
    expect(rows.map((r) => r.version)).toEqual(listMigrations().map((m) => m.version));
  });
});
