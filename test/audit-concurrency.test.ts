/**
 * Two real pdx processes and in-process writers append to one PostgreSQL database at once: the
 * result must be one gap-free chain whose every record and signed head verifies.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type Db } from '../src/db/index.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { createAuditModule } from '../src/modules/audit/audit.module.ts';
import { createServerDatabase } from './helpers/db.ts';

const PER_CHILD = 1500;
const IN_PROCESS = 1000;

function startWriter(url: string, id: string): { child: ChildProcessWithoutNullStreams; ready: Promise<void>; done: Promise<number> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'audit-writer.ts')], {
    env: { ...process.env, PDX_DATABASE_URL: url, WRITER_ID: id, COUNT: String(PER_CHILD), CONCURRENCY: '16' },
  });
  let out = '';
  let err = '';
  let onReady = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('ready\n')) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const done = new Promise<number>((resolve, reject) =>
    child.on('exit', (code) => {
      const m = /done (\d+)/.exec(out);
      if (code === 0 && m) resolve(Number(m[1]));
      else reject(new Error(`writer ${id} exited ${code}: ${err || out}`));
    }),
  );
  // A writer that dies before "ready" must fail the test rather than hang it.
  done.catch(() => onReady());
  return { child, ready, done };
}

describe('audit chain from two processes and in-process writers at once', () => {
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let db: Db;

  beforeAll(async () => {
    server = await createServerDatabase({ migrated: true });
    db = await openPostgres(server.url, 8);
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await server?.drop();
  });

  it('produces one gap-free valid chain', async () => {
    const same = (b: Buffer) => Buffer.from(b);
    const { audit } = await createAuditModule({ db, hash: 'sha256', sealer: { seal: same, unseal: same }, checkpointEvery: { seconds: 0 } });
    const writers = [startWriter(server.url, 'child-a'), startWriter(server.url, 'child-b')];
    await Promise.all(writers.map((w) => w.ready));
    for (const w of writers) w.child.stdin.write('go\n');

    let next = 0;
    const local = Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < IN_PROCESS) {
          const i = next++;
          await audit.record({ action: 'data.read', result: 'success', actor: { username: 'parent' }, details: { i } });
        }
      }),
    );
    const [a, b] = await Promise.all([...writers.map((w) => w.done), local]);
    expect([a, b]).toEqual([PER_CHILD, PER_CHILD]);
    await audit.checkpoint();
    await audit.close();

    const total = PER_CHILD * 2 + IN_PROCESS;
    const rows = await db.query<{ n: number; lo: number; hi: number }>('SELECT count(*)::int AS n, min(seq) AS lo, max(seq) AS hi FROM audit_records');
    expect(rows[0]).toEqual({ n: total, lo: 1, hi: total });
    const perWriter = await db.query<{ who: string; n: number; lo: number; hi: number; records: number }>(
      `SELECT actor_username AS who, count(*)::int AS n, min(seq) AS lo, max(seq) AS hi,
              count(DISTINCT details ->> 'i')::int AS records
         FROM audit_records GROUP BY actor_username ORDER BY actor_username`,
    );
    expect(perWriter.map((w) => [w.who, w.n, w.records])).toEqual([
      ['child-a', PER_CHILD, PER_CHILD],
      ['child-b', PER_CHILD, PER_CHILD],
      ['parent', IN_PROCESS, IN_PROCESS],
    ]);
    // The writers really ran at the same time: each one's records interleave with another's.
    const [ca, cb] = perWriter;
    expect(ca!.lo < cb!.hi && cb!.lo < ca!.hi).toBe(true);

    const report = await audit.verify();
    expect(report).toMatchObject({ ok: true, checked: total });
    expect(report.checkpoints).toBeGreaterThanOrEqual(3);
    // One signing key for every process.
    expect((await db.query('SELECT key_id FROM audit_signing_keys')).length).toBe(1);
  });
});
