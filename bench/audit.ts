/**
 * Audit log throughput on a PostgreSQL server (durable commits, fsync on, as in production): appends
 * per second through the hash chain with 1, 8 and 64 concurrent writers (group commit), next to plain
 * INSERTs of the same records into a table of the same columns and indexes (no chain, no trigger) at
 * the same concurrency over as many connections as pdx's pool; then verification speed next to
 * reading the same rows, and inclusion proofs next to point SELECTs.
 *
 * Warm-up (a tenth of a round), then PDX_BENCH_ROUNDS alternating rounds; medians, the median ratio
 * and its spread.
 *
 * Knobs: PDX_BENCH_AUDIT_SCALE multiplies the appends per round (default 1: 1,000 / 4,000 / 12,000
 * records for 1 / 8 / 64 writers), PDX_BENCH_ROUNDS and PDX_BENCH_DATABASE_URL (lib.ts).
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { migrate } from '../src/db/index.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { createAuditLog } from '../src/modules/audit/audit.service.ts';
import type { AuditEvent } from '../src/modules/audit/events.ts';
import { draftOf } from '../src/modules/audit/record.ts';
import { generateSigner } from '../src/modules/audit/signer.ts';
import { alternate, benchDatabase, numberKnob, rate, report, section } from './lib.ts';

const WRITERS = [1, 8, 64];
const SCALE = numberKnob('PDX_BENCH_AUDIT_SCALE', 1, 0.01);
const APPENDS: Record<number, number> = { 1: Math.round(1000 * SCALE), 8: Math.round(4000 * SCALE), 64: Math.round(12000 * SCALE) };
/** pdx's connections (the default PDX_DB_POOL_SIZE); the baseline gets as many. */
const POOL = 10;

function event(i: number): AuditEvent {
  return {
    action: 'data.read',
    result: 'success',
    actor: { userId: `u-${i % 97}`, username: '朝阳市民政局应用', orgId: 'org-chaoyang-minzheng', apiKeyId: `key-${i % 13}`, roles: ['consumer'] },
    target: { type: 'dataset', id: 'ds_0001', label: '户籍人口' },
    dataset: 'huji_renkou',
    details: {
      columns: [
        { name: '姓名', mode: 'masked' },
        { name: '身份证号', mode: 'pseudonym' },
        { name: '住址', mode: 'generalized' },
      ],
      rowCount: 100 + (i % 900),
      grantId: 'g-2027-0001',
      purpose: '低保资格核验',
      filter: { 户籍地: '朝阳市' },
    },
    requestId: `req-${i}`,
    ip: '10.20.30.40',
  };
}

/** Runs `total` operations with `writers` concurrent callers; returns operations per second. */
async function throughput(writers: number, total: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = next++; i < total; i = next++) await op(i);
    }),
  );
  return total / ((performance.now() - start) / 1000);
}

export default async function run(): Promise<void> {
  const database = await benchDatabase('audit');
  const db = await openPostgres(database.url, POOL);
  const pool = new pg.Pool({ connectionString: database.url, max: POOL });
  try {
    await migrate(db);
    // The baseline table: same columns and indexes, no chain, no append-only trigger.
    await db.exec('CREATE TABLE bench_plain (LIKE audit_records INCLUDING ALL)');
    const audit = createAuditLog({ db, hash: 'sha256', signer: generateSigner(), checkpointEvery: { seconds: 0 } });

    section(`appends on PostgreSQL (durable commits; ${database.cluster ? 'throwaway cluster' : 'PDX_BENCH_DATABASE_URL'}; ${POOL} connections each side)`);
    let plainSeq = 0;
    let eventNo = 0;
    const zero = Buffer.alloc(32);
    const plainInsert = (i: number) => {
      const d = draftOf(event(i));
      return pool.query(
        `INSERT INTO bench_plain (seq, time, action, result, actor_user_id, actor_username, actor_org_id, actor_api_key_id, actor_roles,
           target_type, target_id, target_label, dataset, details, request_id, client_ip, prev_hash, hash)
         VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9, $10, $11, $12, $13::text::jsonb, $14, $15, $16, $16)`,
        [
          ++plainSeq,
          d.action,
          d.result,
          d.actorUserId,
          d.actorUsername,
          d.actorOrgId,
          d.actorApiKeyId,
          JSON.stringify(d.actorRoles),
          d.targetType,
          d.targetId,
          d.targetLabel,
          d.dataset,
          JSON.stringify(d.details),
          d.requestId,
          d.clientIp,
          zero,
        ],
      );
    };
    for (const writers of WRITERS) {
      const total = (round: number) => (round < 0 ? Math.ceil(APPENDS[writers]! / 10) : APPENDS[writers]!);
      const rounds = await alternate({
        pdx: (r) => throughput(writers, total(r), () => audit.record(event(eventNo++))),
        baseline: (r) => throughput(writers, total(r), () => plainInsert(eventNo++)),
      });
      report({
        name: `chained appends, ${writers} writer${writers > 1 ? 's' : ''}`,
        size: `${APPENDS[writers]!.toLocaleString('en-US')} records a round`,
        unit: 'rec/s',
        ...rounds,
        baselineName: 'plain INSERT',
      });
    }

    section('verification');
    const head = await audit.checkpoint();
    const records = head?.treeSize ?? 0;
    const pagedRead = async () => {
      let read = 0;
      for (let after = 0; ;) {
        const rows = await db.query<{ seq: number }>('SELECT * FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT 1000', [after]);
        if (rows.length === 0) break;
        read += rows.length;
        after = (rows.at(-1) as { seq: number }).seq;
      }
      return read;
    };
    const verify = await alternate({
      pdx: async () => {
        const start = performance.now();
        const result = await audit.verify();
        if (!result.ok) throw new Error(`bench log did not verify: ${result.reason}`);
        return result.checked / ((performance.now() - start) / 1000);
      },
      baseline: async () => {
        const start = performance.now();
        const read = await pagedRead();
        return read / ((performance.now() - start) / 1000);
      },
    });
    report({
      name: 'verify (chain + signed heads)',
      size: `${records.toLocaleString('en-US')} records`,
      unit: 'rec/s',
      ...verify,
      baselineName: 'paged SELECT',
    });

    section('proofs');
    const step = Math.max(1, Math.floor(records / 200));
    let proofSeq = 1;
    let pointSeq = 1;
    const next = (seq: number) => (seq + step > records ? 1 : seq + step);
    const proofs = await alternate({
      pdx: () => rate(1, async () => audit.proof((proofSeq = next(proofSeq)), records)),
      baseline: () => rate(1, async () => db.query('SELECT * FROM audit_records WHERE seq = $1', [(pointSeq = next(pointSeq))])),
    });
    report({
      name: 'inclusion proof (warm node cache)',
      size: `tree of ${records.toLocaleString('en-US')}`,
      unit: 'proofs/s',
      ...proofs,
      baselineName: 'point SELECT',
    });
    await audit.close();
  } finally {
    await pool.end();
    await db.close();
    await database.close();
  }
}
