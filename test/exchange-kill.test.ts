/**
 * A sync run killed at any point resumes from the last committed mark (issue 16 point 2): a real
 * `pdx sync` of an incremental binding is killed with SIGKILL while it loads; readers still see no
 * version, the high-water mark has not moved; the next `pdx sync` (once the dead job's heartbeat is
 * stale) takes the dead run's job over and loads every source row exactly once, rows added meanwhile
 * included; the killed run shows as interrupted in the run history. The source is a table on the harness's PostgreSQL server; pdx runs on a server database
 * and on embedded PGlite (where killing pdx kills the database too). A binding with a soft-delete
 * column: a run killed while loading removes none of the rows deleted at the source; the next run
 * removes all of them, with the new rows.
 *
 * CDC: a `pdx serve` streaming a cdc binding of a wal_level=logical source is killed with SIGKILL
 * while a few thousand inserts, updates and deletes arrive; after the restart (the dead stream's
 * job stale) the dataset equals the source table: no duplicates, no gaps.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/index.ts';
import { tempDir, type TempDir } from './fixtures/tables.ts';
import { PROCESS_START_MS } from './helpers/bounds.ts';
import { createServerDatabase, seedPgliteDir } from './helpers/db.ts';
import { startPgCluster, type PgCluster } from './helpers/pg-cluster.ts';
import { createWorld, spawnPdx, until, withPlatform, type World } from './scripts/ingest-world.ts';

// Real processes and 50,000-row pulls (the kill follows the first progress line, seconds before the
// pull could end): the time bounds of vitest.config.ts are sized for them.
const ROWS = 50_000;
const LATER = 1_000;

/** What readers see of the dataset, and the binding's mark. */
async function state(db: Db, world: World) {
  const [dataset] = await db.query<{ current_version: number }>('SELECT current_version FROM datasets WHERE id = $1', [world.datasetId]);
  const [binding] = await db.query<{ high_water: string | null }>('SELECT high_water FROM exchange_bindings WHERE dataset_id = $1', [world.datasetId]);
  // The source's key as pdx stores it (a physical column name from the catalogue).
  const [key] = await db.query<{ physical: string }>(`SELECT physical FROM dataset_columns WHERE dataset_id = $1 AND name = '编号'`, [world.datasetId]);
  const rows = dataset!.current_version
    ? (await db.query<{ n: number; ids: number }>(`SELECT count(*)::int AS n, count(DISTINCT "${key!.physical}")::int AS ids FROM ${world.relation}`))[0]!
    : { n: 0, ids: 0 };
  return { version: dataset!.current_version, highWater: binding!.high_water, ...rows };
}

/** What readers see of the soft-delete world: rows, and how many of the keys 1..DELETED are still there. */
async function softState(db: Db, world: World) {
  const [dataset] = await db.query<{ current_version: number }>('SELECT current_version FROM datasets WHERE id = $1', [world.datasetId]);
  const [binding] = await db.query<{ high_water: string | null }>('SELECT high_water FROM exchange_bindings WHERE dataset_id = $1', [world.datasetId]);
  const [key] = await db.query<{ physical: string }>(`SELECT physical FROM dataset_columns WHERE dataset_id = $1 AND name = '编号'`, [world.datasetId]);
  const [rows] = await db.query<{ n: number; deleted: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE "${key!.physical}"::bigint <= ${DELETED})::int AS deleted FROM ${world.relation}`,
  );
  return { version: dataset!.current_version, highWater: binding!.high_water, ...rows! };
}

/** Rows of the soft-delete world marked deleted at the source (keys 1..DELETED). */
const DELETED = 1_000;

for (const backend of ['postgres', 'pglite'] as const) {
  describe(`a killed sync resumes from its last committed mark [${backend}]`, () => {
    let dir: TempDir;
    let env: Record<string, string>;
    let source: { url: string; drop(): Promise<void> };
    let drops: (() => Promise<void>)[] = [];
    let world: World;
    let soft: World;

    beforeAll(async () => {
      dir = tempDir('pdx-sync-kill-');
      source = await createServerDatabase();
      drops = [source.drop];
      const client = new pg.Client(source.url);
      await client.connect();
      try {
        await client.query(`CREATE TABLE people (编号 bigint PRIMARY KEY, 姓名 text NOT NULL, 户籍地 text NOT NULL, 人口数 integer NOT NULL)`);
        await client.query(
          `INSERT INTO people SELECT g, '居民' || g, (ARRAY['沈阳市', '朝阳市', '锦州市'])[1 + g % 3], 1 + g % 6 FROM generate_series(1, $1::int) g`,
          [ROWS],
        );
        // 变更号 moves on every change; 已删除 marks a soft-deleted row.
        await client.query(`CREATE TABLE firms (编号 bigint PRIMARY KEY, 名称 text NOT NULL, 变更号 bigint NOT NULL, 已删除 boolean NOT NULL DEFAULT false)`);
        await client.query(`INSERT INTO firms SELECT g, '企业' || g, g FROM generate_series(1, $1::int) g`, [ROWS]);
      } finally {
        await client.end();
      }
      // The department's source on 127.0.0.1 is allowed explicitly (pdx refuses loopback otherwise).
      env = { PDX_DATA_DIR: dir.file('data'), PDX_UPSTREAM_ALLOW: '127.0.0.1/32' };
      if (backend === 'postgres') {
        const server = await createServerDatabase({ migrated: true });
        drops.push(server.drop);
        env = { ...env, PDX_DATABASE_URL: server.url, PDX_MASTER_KEY: randomBytes(32).toString('base64') };
      } else {
        seedPgliteDir(dir.file('data/pglite'));
      }
      const u = new URL(source.url);
      world = await withPlatform(env, async (services) => {
        const w = await createWorld(services, '户籍人口（库表）');
        const added = await services.exchange.service.addSource(w.caller, {
          name: '公安人口库',
          kind: 'postgresql',
          host: u.hostname,
          port: Number(u.port),
          database: u.pathname.slice(1),
          user: decodeURIComponent(u.username),
          password: 'not-needed-with-trust',
          tls: 'off',
        });
        await services.exchange.service.bind(w.caller, w.code, {
          sourceId: added.id,
          schema: 'public',
          table: 'people',
          mode: 'incremental',
          cursorColumn: '编号',
        });
        soft = await createWorld(services, '市场主体（软删除）');
        await services.exchange.service.bind(soft.caller, soft.code, {
          sourceId: added.id,
          schema: 'public',
          table: 'firms',
          mode: 'incremental',
          cursorColumn: '变更号',
          keyColumn: '编号',
          softDeleteColumn: '已删除',
        });
        return w;
      });
    });
    afterAll(async () => {
      for (const drop of drops) await drop();
      dir?.remove();
    });

    it('a SIGKILL while loading leaves no version and the mark where it was', async () => {
      const pdx = spawnPdx(['sync', world.code], env);
      await until('rows loaded before the kill', () => pdx.rows() > 0 || pdx.child.exitCode !== null, PROCESS_START_MS, 5);
      pdx.child.kill('SIGKILL');
      expect(await pdx.exited, pdx.stdout()).toBe('SIGKILL');
      const after = await withPlatform(env, (_services, db) => state(db, world));
      // current_version 0: no version has ever been visible.
      expect(after).toMatchObject({ version: 0, highWater: null, n: 0 });
    });

    it('the next run takes the dead job over once it is stale and loads every row once, new ones included', async () => {
      const client = new pg.Client(source.url);
      await client.connect();
      try {
        await client.query(`INSERT INTO people SELECT g, '居民' || g, '朝阳市', 1 FROM generate_series($1::int + 1, $1::int + $2::int) g`, [ROWS, LATER]);
      } finally {
        await client.end();
      }
      // Time passes: the killed process's job heartbeat is older than the takeover limit.
      await withPlatform(env, (_services, db) => db.query(`UPDATE jobs SET heartbeat_at = now() - interval '10 minutes' WHERE state = 'running'`));
      const again = spawnPdx(['sync', world.code], env);
      expect(await again.exited, again.stderr()).toBe(0);
      expect(again.stdout()).toContain(`${ROWS + LATER} rows`);

      const after = await withPlatform(env, async (services, db) => {
        await services.jobs.drain();
        const jobs = await db.query<{ state: string; code: string | null }>(
          `SELECT state, error->>'code' AS code FROM jobs WHERE kind = 'exchange.sync' ORDER BY created_at`,
        );
        const runs = await db.query<{ state: string; code: string | null }>(`SELECT state, error->>'code' AS code FROM exchange_runs ORDER BY started_at`);
        return { ...(await state(db, world)), jobs, runs };
      });
      expect(after).toMatchObject({ n: ROWS + LATER, ids: ROWS + LATER, highWater: String(ROWS + LATER) });
      expect(after.version).toBeGreaterThan(0);
      // The new command took the dead run's job over (one sync of a binding at a time) and ran it
      // again from the committed mark: one job, succeeded, and each row above is there once.
      expect(after.jobs).toEqual([{ state: 'succeeded', code: null }]);
      // The run history never shows the killed run as running forever: it ended as interrupted.
      expect(after.runs).toEqual([
        { state: 'failed', code: 'interrupted' },
        { state: 'succeeded', code: null },
      ]);
    });

    it('soft deletes: a run killed while loading removes none of the rows deleted at the source; the next run removes them all, with the new rows', async () => {
      const first = spawnPdx(['sync', soft.code], env);
      expect(await first.exited, first.stderr()).toBe(0);
      const client = new pg.Client(source.url);
      await client.connect();
      try {
        await client.query(`UPDATE firms SET 已删除 = true, 变更号 = $1::int + 编号 WHERE 编号 <= $2::int`, [ROWS, DELETED]);
        await client.query(`INSERT INTO firms SELECT g, '企业' || g, $1::int + g FROM generate_series($1::int + 1, 2 * $1::int) g`, [ROWS]);
      } finally {
        await client.end();
      }
      const killed = spawnPdx(['sync', soft.code], env);
      await until('rows loaded before the kill', () => killed.rows() > 0 || killed.child.exitCode !== null, PROCESS_START_MS, 5);
      killed.child.kill('SIGKILL');
      expect(await killed.exited, killed.stdout()).toBe('SIGKILL');
      const before = await withPlatform(env, (_services, db) => softState(db, soft));
      expect(before).toMatchObject({ n: ROWS, deleted: DELETED, highWater: String(ROWS) });

      await withPlatform(env, (_services, db) => db.query(`UPDATE jobs SET heartbeat_at = now() - interval '10 minutes' WHERE state = 'running'`));
      const again = spawnPdx(['sync', soft.code], env);
      expect(await again.exited, again.stderr()).toBe(0);
      expect(again.stdout()).toContain(`${ROWS} rows, 0 quarantined, ${DELETED} deleted`);
      const after = await withPlatform(env, (_services, db) => softState(db, soft));
      expect(after).toMatchObject({ n: 2 * ROWS - DELETED, deleted: 0, highWater: String(3 * ROWS) });
      expect(after.version).toBeGreaterThan(before.version);
    });
  });
}

/** Transactions of changes at the CDC source per phase (each: an insert, an update, every third a delete). */
const CDC_TXS = 400;

/** Writes CDC_TXS transactions at the source, starting at transaction `from`. */
async function churn(client: pg.Client, from: number) {
  for (let i = from; i < from + CDC_TXS; i++) {
    await client.query('BEGIN');
    await client.query('INSERT INTO ledger VALUES ($1, $2)', [100_000 + i, i]);
    await client.query('UPDATE ledger SET n = n + 1 WHERE id = $1', [1 + (i % 1000)]);
    if (i % 3 === 0) await client.query('DELETE FROM ledger WHERE id = $1', [1000 - (i % 1000)]);
    await client.query('COMMIT');
  }
}

for (const backend of ['postgres', 'pglite'] as const) {
  describe(`a killed CDC stream resumes without duplicates or gaps [${backend}]`, () => {
    let dir: TempDir;
    let env: Record<string, string>;
    let cluster: PgCluster;
    let dropServer: (() => Promise<void>) | undefined;
    let world: World;

    beforeAll(async () => {
      dir = tempDir('pdx-cdc-kill-');
      cluster = await startPgCluster({ walLevel: 'logical' });
      const client = new pg.Client(cluster.url);
      await client.connect();
      try {
        await client.query('CREATE TABLE ledger (id bigint PRIMARY KEY, n integer NOT NULL)');
        await client.query('INSERT INTO ledger SELECT g, 0 FROM generate_series(1, 1000) g');
      } finally {
        await client.end();
      }
      env = { PDX_DATA_DIR: dir.file('data'), PDX_UPSTREAM_ALLOW: '127.0.0.1/32', PDX_PORT: '0' };
      if (backend === 'postgres') {
        const server = await createServerDatabase({ migrated: true });
        dropServer = server.drop;
        env = { ...env, PDX_DATABASE_URL: server.url, PDX_MASTER_KEY: randomBytes(32).toString('base64') };
      } else {
        seedPgliteDir(dir.file('data/pglite'));
      }
      world = await withPlatform(env, async (services) => {
        const w = await createWorld(services, '账目（CDC）');
        const added = await services.exchange.service.addSource(w.caller, {
          name: '账目库',
          kind: 'postgresql',
          host: '127.0.0.1',
          port: cluster.port,
          database: 'postgres',
          user: 'postgres',
          password: 'trust',
          tls: 'off',
        });
        await services.exchange.service.bind(w.caller, w.code, { sourceId: added.id, schema: 'public', table: 'ledger', mode: 'cdc', keyColumn: 'id' });
        return w;
      });
    });
    afterAll(async () => {
      cluster?.stop();
      await dropServer?.();
      dir?.remove();
    });

    it('SIGKILL mid-stream, restart: the dataset equals the source table', async () => {
      const source = new pg.Client(cluster.url);
      await source.connect();
      const confirmed = async () => (await source.query<{ lsn: string }>(`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots`)).rows[0]!.lsn;
      const reached = async (target: string) =>
        (await source.query<{ ok: boolean }>('SELECT confirmed_flush_lsn >= $1::pg_lsn AS ok FROM pg_replication_slots', [target])).rows[0]!.ok;
      try {
        const start = await confirmed();
        const first = spawnPdx(['start'], env);
        // Changes arrive while pdx takes its snapshot and streams; it dies once it has applied some.
        const writing = churn(source, 0);
        await until('pdx applied changes', async () => (await confirmed()) !== start || first.child.exitCode !== null, PROCESS_START_MS, 20);
        first.child.kill('SIGKILL');
        expect(await first.exited, first.stderr()).toBe('SIGKILL');
        await writing;
        await churn(source, CDC_TXS);
        const target = (await source.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;

        // Time passes: the killed stream's job heartbeat is older than the takeover limit.
        await withPlatform(env, (_services, db) => db.query(`UPDATE jobs SET heartbeat_at = now() - interval '10 minutes' WHERE state = 'running'`));
        const again = spawnPdx(['start'], env);
        await until('pdx caught up with the source', () => reached(target), PROCESS_START_MS, 100);
        again.child.kill('SIGTERM');
        expect(await again.exited, again.stderr()).toBe(0);

        const want = (await source.query<{ id: string; n: number }>('SELECT id::text AS id, n FROM ledger ORDER BY ledger.id')).rows.map(
          (r) => `${r.id}:${r.n}`,
        );
        const after = await withPlatform(env, async (_services, db) => {
          const columns = await db.query<{ name: string; physical: string }>('SELECT name, physical FROM dataset_columns WHERE dataset_id = $1', [
            world.datasetId,
          ]);
          const col = (name: string) => columns.find((c) => c.name === name)!.physical;
          const rows = await db.query<{ id: string; n: string }>(
            `SELECT "${col('id')}"::text AS id, "${col('n')}"::text AS n FROM ${world.relation} ORDER BY "${col('id')}"::bigint`,
          );
          const jobs = await db.query<{ state: string; code: string | null }>(
            `SELECT state, error->>'code' AS code FROM jobs WHERE kind = 'exchange.cdc' ORDER BY created_at`,
          );
          return { rows: rows.map((r) => `${r.id}:${r.n}`), jobs };
        });
        expect(after.rows.length).toBe(want.length);
        expect(new Set(after.rows.map((r) => r.split(':')[0])).size).toBe(want.length);
        expect(after.rows).toEqual(want);
        // The killed stream's job ended as interrupted when the restarted process took over; the second stopped cleanly.
        expect(after.jobs).toEqual([
          { state: 'failed', code: 'interrupted' },
          { state: 'succeeded', code: null },
        ]);
      } finally {
        await source.end();
      }
    });
  });
}
