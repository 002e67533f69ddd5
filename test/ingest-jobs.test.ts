/**
 * The stored job queue (issue 4, parts 3 and 6): a job queued while no worker runs is carried out by
 * the next pdx process that starts; several pdx processes sharing one PostgreSQL database never run
 * one job twice; and two workers loading the same dataset at once must not break each other.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../src/db/postgres.ts';
import type { Db } from '../src/db/index.ts';
import { createPlatform } from '../src/main.ts';
import { loadConfig } from '../src/config.ts';
import { migrate } from '../src/db/index.ts';
import { bootstrapIdentity } from '../src/modules/identity/bootstrap.ts';
import { ADMIN_PASSWORDS } from './helpers/api.ts';
import { JOB_WAIT_MS, PROCESS_START_MS } from './helpers/bounds.ts';
import { createServerDatabase, seedPgliteDir } from './helpers/db.ts';
import { startTestServer } from './helpers/server.ts';
import { tempDir, type TempDir } from './fixtures/tables.ts';
import { createWorld, importHere, ROOT, spawnPdx, until, withPlatform, writePeopleCsv, type World } from './scripts/ingest-world.ts';
import { TEST_ENV } from './helpers/env.ts';

// Real processes and 60,000-row loads: the time bounds of vitest.config.ts are sized for them.

interface JobState {
  id: string;
  state: string;
  attempts: number;
  locked_by: string | null;
  error: { code: string } | null;
}

async function jobStates(db: Db, kind: string): Promise<JobState[]> {
  return db.query<JobState>('SELECT id, state, attempts, locked_by, error FROM jobs WHERE kind = $1 ORDER BY created_at', [kind]);
}

describe('jobs survive a restart', () => {
  for (const backend of ['postgres', 'pglite'] as const) {
    it(`a load queued while no worker runs is carried out by the next server that starts [${backend}]`, async () => {
      const dir = tempDir('pdx-jobs-restart-');
      let env: Record<string, string> = { PDX_DATA_DIR: dir.file('data') };
      let drop = async () => {};
      if (backend === 'postgres') {
        const server = await createServerDatabase({ migrated: true });
        drop = server.drop;
        env = { ...env, PDX_DATABASE_URL: server.url, PDX_MASTER_KEY: randomBytes(32).toString('base64') };
      } else {
        seedPgliteDir(dir.file('data/pglite'));
      }
      try {
        writePeopleCsv(dir.file('people.csv'), 2_000);
        // A process queues the load and exits without running it (no worker was started).
        const queued = await withPlatform(env, async (services) => {
          const world = await createWorld(services);
          const jobId = await services.ingest.importFile(world.caller, world.code, dir.file('people.csv'), { mode: 'replace', options: {} });
          return { world, jobId, job: (await services.jobs.get(jobId))! };
        });
        expect(queued.job.state).toBe('queued');

        const server = await startTestServer(env);
        try {
          await until(
            'the queued job to finish',
            async () => ['succeeded', 'failed'].includes((await server.platform.services.jobs.get(queued.jobId))!.state),
            JOB_WAIT_MS,
            50,
          );
          const job = (await server.platform.services.jobs.get(queued.jobId))!;
          expect(job.error).toBeNull();
          expect(job).toMatchObject({ state: 'succeeded', attempts: 1, result: { version: 1, rows: 2_000 } });
          expect(job.locked_by).toBe(server.platform.services.jobs.worker);
          const [count] = await server.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${queued.world.relation}`);
          expect(count!.n).toBe(2_000);
        } finally {
          await server.close();
        }
      } finally {
        await drop();
        dir.remove();
      }
    });
  }
});

describe('several pdx processes share one queue [postgres]', () => {
  let dir: TempDir;
  let url: string;
  let drop = async () => {};
  let db: Db;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = tempDir('pdx-jobs-shared-');
    const server = await createServerDatabase({ migrated: true });
    url = server.url;
    drop = server.drop;
    env = { PDX_DATA_DIR: dir.file('data'), PDX_DATABASE_URL: url, PDX_MASTER_KEY: randomBytes(32).toString('base64') };
    db = await openPostgres(url, 4);
    await migrate(db);
    await db.query('CREATE TABLE job_runs (job_id uuid NOT NULL, worker text NOT NULL)');
  });
  afterAll(async () => {
    await db?.close();
    await drop();
    dir?.remove();
  });

  it('two worker processes draining 60 synthetic jobs run each exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const id = randomUUID();
      ids.push(id);
      await db.query(`INSERT INTO jobs (id, kind, payload, progress) VALUES ($1, 'test.record', $2, '{}')`, [id, JSON.stringify({ ms: 5 + (i % 4) * 5 })]);
    }
    const workers = [0, 1].map(() => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/scripts/job-worker.ts', url], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return { child, out: () => out, exited: new Promise<number | null>((resolve) => child.on('exit', resolve)) };
    });
    await until('both workers ready', () => workers.every((w) => w.out().includes('ready')), PROCESS_START_MS);
    for (const w of workers) w.child.stdin.end('go\n');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    const reports = workers.map((w) => JSON.parse(w.out().trim().split('\n').at(-1)!) as { worker: string; ran: number });

    const runs = await db.query<{ job_id: string; n: number }>('SELECT job_id, count(*)::int AS n FROM job_runs GROUP BY job_id');
    expect(runs.length).toBe(60);
    expect(runs.every((r) => r.n === 1)).toBe(true);
    const jobs = await jobStates(db, 'test.record');
    expect(jobs.map((j) => [j.state, j.attempts])).toEqual(ids.map(() => ['succeeded', 1]));
    // Both processes took part (otherwise the test would prove nothing about sharing).
    expect(reports.every((r) => r.ran > 0)).toBe(true);
    expect(reports.reduce((n, r) => n + r.ran, 0)).toBe(60);
  });

  it('two `pdx start` servers load 6 queued uploads of 6 datasets, each once', async () => {
    const worlds: World[] = [];
    await withPlatform(env, async (services, pdb) => {
      await bootstrapIdentity(pdb, services.identity, ADMIN_PASSWORDS);
      for (let i = 0; i < 6; i++) {
        const world = await createWorld(services, `人口信息 ${i}`);
        const file = dir.file(`people-${i}.csv`);
        writePeopleCsv(file, 3_000 + i, { seed: 10 + i });
        await services.ingest.importFile(world.caller, world.code, file, { mode: 'replace', options: {} });
        worlds.push(world);
      }
    });
    const servers = [0, 1].map(() => spawnPdx(['start'], { ...env, PDX_PORT: '0' }));
    try {
      await until(
        'all 6 loads to finish',
        async () => (await jobStates(db, 'ingest')).every((j) => j.state === 'succeeded' || j.state === 'failed'),
        JOB_WAIT_MS,
        100,
      );
    } finally {
      for (const s of servers) s.child.kill('SIGTERM');
      await Promise.all(servers.map((s) => s.exited));
    }
    const jobs = await jobStates(db, 'ingest');
    expect(jobs.map((j) => [j.state, j.attempts, j.error])).toEqual(worlds.map(() => ['succeeded', 1, null]));
    for (const [i, world] of worlds.entries()) {
      const versions = await db.query<{ version: number; state: string }>('SELECT version, state FROM dataset_versions WHERE dataset_id = $1', [
        world.datasetId,
      ]);
      expect(versions).toEqual([{ version: 1, state: 'active' }]);
      const [count] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${world.relation}`);
      expect(count!.n).toBe(3_000 + i);
    }
  });
});

describe('two workers loading the same dataset at once [postgres]', () => {
  // KNOWN BUG (see the ingest report): nothing serialises the loads of one dataset. Both workers
  // compute the same next version number (the second fails on dataset_versions_pkey), or, when
  // the first has already inserted its 'loading' version, the second's cleanUpInterrupted takes
  // that live load for a dead one and drops its table. Remove `.fails` once a dataset's loads are
  // serialised and only dead jobs' versions are cleaned up.
  it('two appends queued together both land, in some order', async () => {
    const dir = tempDir('pdx-jobs-same-');
    const server = await createServerDatabase({ migrated: true });
    const env = { PDX_DATA_DIR: dir.file('data'), PDX_DATABASE_URL: server.url, PDX_MASTER_KEY: randomBytes(32).toString('base64'), PDX_LOG_LEVEL: 'silent' };
    const platforms: Awaited<ReturnType<typeof createPlatform>>[] = [];
    const dbs: Db[] = [];
    try {
      writePeopleCsv(dir.file('v1.csv'), 1_000, { seed: 9 });
      writePeopleCsv(dir.file('a.csv'), 60_000, { seed: 1 });
      writePeopleCsv(dir.file('b.csv'), 60_000, { seed: 2 });
      const world = await withPlatform(env, async (services) => {
        const w = await createWorld(services);
        await importHere(services, w, dir.file('v1.csv'));
        await services.ingest.importFile(w.caller, w.code, dir.file('a.csv'), { mode: 'append', options: {} });
        await services.ingest.importFile(w.caller, w.code, dir.file('b.csv'), { mode: 'append', options: {} });
        return w;
      });
      // Two processes' worth of services on the database, each with its own pool and worker.
      for (let i = 0; i < 2; i++) {
        const db = await openPostgres(server.url, 4);
        dbs.push(db);
        platforms.push(await createPlatform(loadConfig({ ...TEST_ENV, ...env }), db, { jobPollMs: 10 }));
      }
      for (const p of platforms) p.services.jobs.start();
      await until(
        'both loads to finish',
        async () => (await jobStates(dbs[0]!, 'ingest')).every((j) => j.state === 'succeeded' || j.state === 'failed'),
        JOB_WAIT_MS,
        50,
      );
      const jobs = await jobStates(dbs[0]!, 'ingest');
      expect(jobs.map((j) => [j.state, j.error?.code ?? null])).toEqual([
        ['succeeded', null],
        ['succeeded', null],
        ['succeeded', null],
      ]);
      const [count] = await dbs[0]!.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${world.relation}`);
      expect(count!.n).toBe(121_000);
    } finally {
      for (const p of platforms) {
        await p.services.jobs.stop();
        await p.services.audit.close();
      }
      for (const db of dbs) await db.close();
      await server.drop();
      dir.remove();
    }
  });
});
