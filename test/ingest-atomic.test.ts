/**
 * Atomic versions (issue 4, part 2): a real `pdx import` process killed with SIGKILL in the middle of
 * loading version 2 leaves version 1 exactly as it was; the next worker that picks the job up marks
 * the dead version failed ('interrupted') and loads the file again. A file that breaks mid-way does
 * not touch the visible version either. Runs on a PostgreSQL server database and on embedded PGlite
 * (where killing pdx kills the database too, so its data directory must come back after the crash).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/index.ts';
import { SAMPLE_ROWS } from '../src/modules/ingest/ingest.service.ts';
import { PROCESS_START_MS } from './helpers/bounds.ts';
import { createServerDatabase, seedPgliteDir } from './helpers/db.ts';
import { tempDir, type TempDir } from './fixtures/tables.ts';
import { createWorld, importHere, spawnPdx, until, withPlatform, writePeopleCsv, type World } from './scripts/ingest-world.ts';

// Real processes and 100,000-row loads: the time bounds of vitest.config.ts are sized for them.

const BACKENDS = ['postgres', 'pglite'] as const;
/**
 * Version 1 and version 2, large enough that the kill lands mid-load: the kill follows the first
 * progress line (a few hundred ms into the load), the load of v2 takes several seconds even on an
 * idle machine. Halved on 2026-12-04 to keep the suite's CPU time down (issue 25).
 */
const SIZES = { postgres: { v1: 10_000, v2: 80_000 }, pglite: { v1: 10_000, v2: 50_000 } };

/** The content of the dataset as readers see it: count and a digest of every visible row. */
async function visible(db: Db, relation: string) {
  const [row] = await db.query<{ n: number; digest: string }>(
    `SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY _row)) AS digest FROM ${relation} t`,
  );
  return row!;
}

async function datasetState(db: Db, world: World) {
  const [dataset] = await db.query<{ current_version: number; row_count: number }>(
    'SELECT current_version, row_count::int AS row_count FROM datasets WHERE id = $1',
    [world.datasetId],
  );
  const versions = await db.query<{
    version: number;
    state: string;
    error: { code: string; message: { zh: string; en: string } } | null;
    relation: string;
    rows_loaded: number;
    job_id: string;
  }>('SELECT version, state, error, relation, rows_loaded::int AS rows_loaded, job_id FROM dataset_versions WHERE dataset_id = $1 ORDER BY version', [
    world.datasetId,
  ]);
  const tables = await db.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE tablename LIKE $1 ORDER BY 1`, [`${world.relation}_v%`]);
  return { dataset: dataset!, versions, tables: tables.map((t) => t.name) };
}

for (const backend of BACKENDS) {
  describe(`atomic versions under a killed pdx process [${backend}]`, () => {
    const sizes = SIZES[backend];
    let dir: TempDir;
    let env: Record<string, string>;
    let drop = async () => {};
    let world: World;
    let before: { n: number; digest: string };

    beforeAll(async () => {
      dir = tempDir('pdx-atomic-');
      env = { PDX_DATA_DIR: dir.file('data') };
      if (backend === 'postgres') {
        const server = await createServerDatabase({ migrated: true });
        drop = server.drop;
        env = { ...env, PDX_DATABASE_URL: server.url, PDX_MASTER_KEY: randomBytes(32).toString('base64') };
      } else {
        seedPgliteDir(dir.file('data/pglite'));
      }
      const v1 = dir.file('v1.csv');
      writePeopleCsv(v1, sizes.v1, { seed: 1 });
      writePeopleCsv(dir.file('v2.csv'), sizes.v2, { seed: 2 });
      ({ world, before } = await withPlatform(env, async (services, db) => {
        const w = await createWorld(services);
        await importHere(services, w, v1);
        return { world: w, before: await visible(db, w.relation) };
      }));
      expect(before.n).toBe(sizes.v1);
    });
    afterAll(async () => {
      await drop();
      dir?.remove();
    });

    it('a SIGKILL while loading version 2 leaves version 1 whole; the job is taken over, the dead version marked interrupted', async () => {
      const pdx = spawnPdx(['import', dir.file('v2.csv'), '--dataset', world.code], env);
      // The CLI prints its job's progress (read back from the database) several times a second.
      await until('rows loaded before the kill', () => pdx.rows() > 0 || pdx.child.exitCode !== null, PROCESS_START_MS, 5);
      const rowsAtKill = pdx.rows();
      pdx.child.kill('SIGKILL');
      expect(await pdx.exited).toBe('SIGKILL');
      expect(rowsAtKill).toBeGreaterThan(0);
      expect(rowsAtKill).toBeLessThan(sizes.v2);

      const afterKill = await withPlatform(env, async (_services, db) => {
        const job = (
          await db.query<{ id: string; state: string; attempts: number; progress: { rows: number } }>(
            `SELECT id, state, attempts, progress FROM jobs WHERE kind = 'ingest' ORDER BY created_at DESC LIMIT 1`,
          )
        )[0]!;
        return { job, state: await datasetState(db, world), rows: await visible(db, world.relation) };
      });
      // Readers still see exactly version 1: same rows, same bytes, none of version 2.
      expect(afterKill.rows).toEqual(before);
      expect(afterKill.state.dataset).toEqual({ current_version: 1, row_count: sizes.v1 });
      // What the dead process left: a job still "running" (until its heartbeat is stale) and a
      // version still "loading" whose partly filled table is not part of the dataset's relation.
      expect(afterKill.job).toMatchObject({ state: 'running', attempts: 1 });
      expect(afterKill.job.progress.rows).toBeGreaterThan(0);
      expect(afterKill.job.progress.rows).toBeLessThan(sizes.v2);
      expect(afterKill.state.versions.map((v) => [v.version, v.state])).toEqual([
        [1, 'active'],
        [2, 'loading'],
      ]);

      // A new pdx process on the same database picks the job up once its heartbeat is stale (60 s;
      // the test ages it instead of waiting).
      const retried = await withPlatform(env, async (services, db) => {
        await db.query(`UPDATE jobs SET heartbeat_at = now() - interval '10 minutes' WHERE id = $1`, [afterKill.job.id]);
        const ran = await services.jobs.drain();
        return { ran, job: (await services.jobs.get(afterKill.job.id))!, state: await datasetState(db, world), rows: await visible(db, world.relation) };
      });
      expect(retried.ran).toBe(1);
      expect(retried.job.error).toBeNull();
      expect(retried.job).toMatchObject({ state: 'succeeded', attempts: 2, result: { version: 3, rows: sizes.v2, quarantined: 0 } });
      const [v1, v2, v3] = retried.state.versions;
      expect(v1).toMatchObject({ version: 1, state: 'superseded' });
      expect(v2).toMatchObject({ version: 2, state: 'failed', rows_loaded: 0, error: { code: 'interrupted' } });
      expect(v2!.error!.message.zh).toContain('中断');
      expect(v3).toMatchObject({ version: 3, state: 'active', rows_loaded: sizes.v2, job_id: afterKill.job.id });
      // The interrupted table and the superseded one are gone; readers see version 3 only.
      expect(retried.state.tables).toEqual([v3!.relation]);
      expect(retried.state.dataset).toEqual({ current_version: 3, row_count: sizes.v2 });
      expect(retried.rows.n).toBe(sizes.v2);
    });

    // The break lies past the rows the column types are inferred from (SAMPLE_ROWS, 20,000) and past
    // two 10,000-row chunks, so the reader fails deep in the file, not in its sample.
    it('a file that breaks on line 25,000 of 30,000 leaves the visible version exactly as it was', async () => {
      const bad = dir.file('bad.csv');
      expect(25_000).toBeGreaterThan(SAMPLE_ROWS);
      writePeopleCsv(bad, 30_000, { seed: 3, breakLine: 25_000 });
      const result = await withPlatform(env, async (services, db) => {
        const before = { rows: await visible(db, world.relation), state: await datasetState(db, world) };
        const jobId = await services.ingest.importFile(world.caller, world.code, bad, { mode: 'replace', options: {} });
        await services.jobs.drain();
        return { before, job: (await services.jobs.get(jobId))!, rows: await visible(db, world.relation), state: await datasetState(db, world) };
      });
      expect(result.job.state).toBe('failed');
      // Data line 25,000 is file line 25,001 (after the header).
      expect(result.job.error).toMatchObject({ code: 'wrong_field_count' });
      expect(JSON.stringify(result.job.error)).toContain('25001');
      expect(result.rows).toEqual(result.before.rows);
      expect(result.state.dataset).toEqual(result.before.state.dataset);
      expect(result.state.tables).toEqual(result.before.state.tables);
      expect(result.state.versions.at(-1)).toMatchObject({
        version: result.before.state.versions.length + 1,
        state: 'failed',
        error: { code: 'wrong_field_count' },
      });
    });
  });
}

describe('an interrupted append that the officer already ran again [postgres]', () => {
  let dir: TempDir;
  let env: Record<string, string>;
  let drop = async () => {};
  let world: World;

  /** The appended file: large enough that the kill lands mid-load (see SIZES). */
  const MORE = 50_000;

  beforeAll(async () => {
    dir = tempDir('pdx-atomic-append-');
    const server = await createServerDatabase({ migrated: true });
    drop = server.drop;
    env = { PDX_DATA_DIR: dir.file('data'), PDX_DATABASE_URL: server.url, PDX_MASTER_KEY: randomBytes(32).toString('base64') };
    writePeopleCsv(dir.file('v1.csv'), 10_000, { seed: 1 });
    writePeopleCsv(dir.file('more.csv'), MORE, { seed: 2 });
    world = await withPlatform(env, async (services) => {
      const w = await createWorld(services);
      await importHere(services, w, dir.file('v1.csv'));
      return w;
    });
  });
  afterAll(async () => {
    await drop();
    dir?.remove();
  });

  // The killed process's job stays 'running' until its heartbeat goes stale; a new load of the same
  // dataset waits for that, then marks the dead version and its job interrupted, so a later worker
  // never appends the same file a second time.
  it('the dead job is not run again after the officer re-imported the file: rows are appended once', async () => {
    const killed = spawnPdx(['import', dir.file('more.csv'), '--dataset', world.code, '--mode', 'append'], env);
    await until('rows loaded before the kill', () => killed.rows() > 0 || killed.child.exitCode !== null, PROCESS_START_MS, 5);
    killed.child.kill('SIGKILL');
    expect(await killed.exited).toBe('SIGKILL');

    // Time passes: the dead job's heartbeat is older than the takeover limit.
    await withPlatform(env, (_services, db) => db.query(`UPDATE jobs SET heartbeat_at = now() - interval '10 minutes' WHERE state = 'running'`));
    // The officer says when the file was extracted (数据截至): the end of that day in China.
    const again = spawnPdx(['import', dir.file('more.csv'), '--dataset', world.code, '--mode', 'append', '--as-of', '2026-01-31'], env);
    expect(await again.exited).toBe(0);
    expect(again.stdout()).toContain('loaded version 3');

    const later = await withPlatform(env, async (services, db) => {
      await db.query(`UPDATE jobs SET heartbeat_at = now() - interval '10 minutes' WHERE state = 'running'`);
      await services.jobs.drain();
      const jobs = await db.query<{ state: string; error: { code: string } | null }>(`SELECT state, error FROM jobs WHERE kind = 'ingest' ORDER BY created_at`);
      const [v3] = await db.query<{ as_of: string | null }>(`SELECT source->>'asOf' AS as_of FROM dataset_versions WHERE dataset_id = $1 AND version = 3`, [
        world.datasetId,
      ]);
      return { jobs, state: await datasetState(db, world), rows: await visible(db, world.relation), asOf: v3!.as_of };
    });
    expect(later.state.versions[1]).toMatchObject({ version: 2, state: 'failed', error: { code: 'interrupted' } });
    expect(later.asOf).toBe('2026-01-31T16:00:00.000Z');
    expect(later.rows.n).toBe(10_000 + MORE);
    expect(later.state.dataset.row_count).toBe(10_000 + MORE);
    expect(later.jobs.map((j) => [j.state, j.error?.code ?? null])).toEqual([
      ['succeeded', null],
      ['failed', 'interrupted'],
      ['succeeded', null],
    ]);
  });
});
