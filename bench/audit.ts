/**
 * Audit log throughput on a PostgreSQL server: appends per second through the hash chain with 1, 8
 * and 64 concurrent writers (group commit), next to plain INSERTs of the same records with no chain
 * at the same concurrency, in the same run; then verification speed next to reading the same rows.
 * Uses PDX_BENCH_DATABASE_URL or a throwaway durable cluster (fsync on, as in production).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { migrate } from '../src/db/index.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { createAuditLog } from '../src/modules/audit/audit.service.ts';
import type { AuditEvent } from '../src/modules/audit/events.ts';
import { draftOf } from '../src/modules/audit/record.ts';
import { generateSigner } from '../src/modules/audit/signer.ts';
import { startPgCluster } from '../test/helpers/pg-cluster.ts';
import { report, section } from './lib.ts';

const WRITERS = [1, 8, 64];
const APPENDS: Record<number, number> = { 1: 1500, 8: 6000, 64: 24000 };

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
  const cluster = process.env.PDX_BENCH_DATABASE_URL ? undefined : await startPgCluster({ durable: true });
  const adminUrl = process.env.PDX_BENCH_DATABASE_URL ?? cluster!.url;
  const name = `pdx_bench_audit_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), 10);
  try {
    await migrate(db);
    // The baseline table: same columns and indexes, no chain, no append-only trigger.
    await db.exec('CREATE TABLE bench_plain (LIKE audit_records INCLUDING ALL)');
    const audit = createAuditLog({ db, hash: 'sha256', signer: generateSigner(), checkpointEvery: { seconds: 0 } });

    section(`appends on PostgreSQL (durable commits; ${cluster ? 'throwaway cluster' : 'PDX_BENCH_DATABASE_URL'})`);
    let plainSeq = 0;
    const zero = Buffer.alloc(32);
    for (const writers of WRITERS) {
      const total = APPENDS[writers] as number;
      const pool = new pg.Pool({ connectionString: url.toString(), max: Math.min(writers, 64) });
      const plain = await throughput(writers, total, (i) => {
        const d = draftOf(event(i));
        return pool.query(
          `INSERT INTO bench_plain (seq, time, action, result, actor_user_id, actor_username, actor_org_id, actor_api_key_id, actor_roles,
             target_type, target_id, target_label, dataset, details, request_id, client_ip, prev_hash, hash)
           VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9, $10, $11, $12, $13::text::jsonb, $14, $15, $16, $16)`,
          [++plainSeq, d.action, d.result, d.actorUserId, d.actorUsername, d.actorOrgId, d.actorApiKeyId, JSON.stringify(d.actorRoles),
            d.targetType, d.targetId, d.targetLabel, d.dataset, JSON.stringify(d.details), d.requestId, d.clientIp, zero],
        );
      });
      await pool.end();
      const chained = await throughput(writers, total, (i) => audit.record(event(i)));
      report({
        name: `chained appends, ${writers} writer${writers > 1 ? 's' : ''}`,
        size: `${total.toLocaleString('en-US')} records`,
        unit: 'rec/s',
        value: chained,
        baselineName: 'plain INSERT',
        baseline: plain,
        higherIsBetter: true,
      });
    }

    section('verification');
    const head = await audit.checkpoint();
    const records = head?.treeSize ?? 0;
    const verifyStart = performance.now();
    const result = await audit.verify();
    const verifyRate = result.checked / ((performance.now() - verifyStart) / 1000);
    if (!result.ok) throw new Error(`bench log did not verify: ${result.reason}`);
    const readStart = performance.now();
    let read = 0;
    for (let after = 0; ; ) {
      const rows = await db.query<{ seq: number }>('SELECT * FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT 1000', [after]);
      if (rows.length === 0) break;
      read += rows.length;
      after = (rows.at(-1) as { seq: number }).seq;
    }
    const readRate = read / ((performance.now() - readStart) / 1000);
    report({
      name: 'verify (chain + signed heads)',
      size: `${records.toLocaleString('en-US')} records`,
      unit: 'rec/s',
      value: verifyRate,
      baselineName: 'paged SELECT',
      baseline: readRate,
      higherIsBetter: true,
    });

    section('proofs');
    let proofs = 0;
    const proofStart = performance.now();
    for (let seq = 1; seq <= records; seq += Math.max(1, Math.floor(records / 200))) {
      await audit.proof(seq, records);
      proofs++;
    }
    const proofRate = proofs / ((performance.now() - proofStart) / 1000);
    let points = 0;
    const pointStart = performance.now();
    for (let seq = 1; seq <= records; seq += Math.max(1, Math.floor(records / 200))) {
      await db.query('SELECT * FROM audit_records WHERE seq = $1', [seq]);
      points++;
    }
    const pointRate = points / ((performance.now() - pointStart) / 1000);
    report({
      name: 'inclusion proof (warm node cache)',
      size: `tree of ${records.toLocaleString('en-US')}`,
      unit: 'proofs/s',
      value: proofRate,
      baselineName: 'point SELECT',
      baseline: pointRate,
      higherIsBetter: true,
    });
    await audit.close();
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
    cluster?.stop();
  }
}
