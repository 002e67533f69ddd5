/**
 * Tampering as a database superuser would: the append-only triggers are disabled first, then the
 * log is edited with raw SQL. verify() must name the right sequence number every time.
 */
import { expect, it } from 'vitest';
import { describeEachBackend } from '../../../test/helpers/db.ts';
import type { Db } from '../../db/index.ts';
import { createAuditLog, type AuditLog } from './audit.service.ts';
import { chainHash, type AuditRecord } from './record.ts';
import { generateSigner } from './signer.ts';

/** Runs raw SQL with the table's append-only triggers disabled, and re-enables them. */
async function asSuperuser(db: Db, table: 'audit_records' | 'audit_checkpoints', sql: string, params: unknown[] = []) {
  await db.transaction(async (tx) => {
    await tx.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    await tx.query(sql, params);
    await tx.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
  });
}

async function snapshot(db: Db, seq: number) {
  return (await db.query('SELECT * FROM audit_records WHERE seq = $1', [seq]))[0] as Record<string, unknown>;
}

async function restore(db: Db, row: Record<string, unknown>) {
  await asSuperuser(db, 'audit_records', 'DELETE FROM audit_records WHERE seq = $1', [row.seq]);
  await asSuperuser(db, 'audit_records', `INSERT INTO audit_records SELECT * FROM jsonb_populate_record(NULL::audit_records, $1::text::jsonb)`, [
    JSON.stringify({ ...row, prev_hash: `\\x${(row.prev_hash as Buffer).toString('hex')}`, hash: `\\x${(row.hash as Buffer).toString('hex')}` }),
  ]);
}

describeEachBackend('audit verification finds tampering', ({ use }) => {
  let log: AuditLog;

  it('starts from a valid log with signed heads', async () => {
    log = createAuditLog({ db: use().db, hash: 'sha256', signer: generateSigner(), checkpointEvery: { seconds: 0 } });
    for (let i = 1; i <= 40; i++) {
      await log.record({ action: 'data.read', result: 'success', actor: { userId: `u${i}` }, dataset: 'huji_renkou', details: { rowCount: i } });
      if (i === 8 || i === 40) await log.checkpoint();
    }
    expect(await log.verify()).toEqual({ ok: true, checked: 40, checkpoints: 2 });
  });

  it('finds an edited record at its seq', async () => {
    const { db } = use();
    const original = await snapshot(db, 13);
    await asSuperuser(db, 'audit_records', `UPDATE audit_records SET actor_user_id = 'someone-else' WHERE seq = 13`);
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 13, checked: 12 });
    await asSuperuser(db, 'audit_records', `UPDATE audit_records SET details = '{"rowCount": 999}'::jsonb WHERE seq = 13`);
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 13 });
    await restore(db, original);
    expect((await log.verify()).ok).toBe(true);
  });

  it('finds a deleted record at its seq', async () => {
    const { db } = use();
    const original = await snapshot(db, 21);
    await asSuperuser(db, 'audit_records', 'DELETE FROM audit_records WHERE seq = 21');
    const report = await log.verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: 21, checked: 20 });
    expect(report.reason).toContain('missing');
    await restore(db, original);
    expect((await log.verify()).ok).toBe(true);
  });

  it('finds two reordered records at the first of them', async () => {
    const { db } = use();
    const [a, b] = [await snapshot(db, 30), await snapshot(db, 31)];
    const swap = `UPDATE audit_records r SET time = o.time, action = o.action, result = o.result, actor_user_id = o.actor_user_id,
        details = o.details, dataset = o.dataset, prev_hash = o.prev_hash, hash = o.hash
      FROM audit_records o WHERE (r.seq = 30 AND o.seq = 31) OR (r.seq = 31 AND o.seq = 30)`;
    await asSuperuser(db, 'audit_records', swap);
    expect((await db.query<{ actor_user_id: string }>('SELECT actor_user_id FROM audit_records WHERE seq = 30'))[0]?.actor_user_id).toBe('u31');
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 30, checked: 29 });
    // Swapping only the contents and keeping the links in place is found at the same seq.
    await restore(db, a);
    await restore(db, b);
    await asSuperuser(
      db,
      'audit_records',
      `UPDATE audit_records r SET actor_user_id = o.actor_user_id, details = o.details
        FROM audit_records o WHERE (r.seq = 30 AND o.seq = 31) OR (r.seq = 31 AND o.seq = 30)`,
    );
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 30 });
    await restore(db, a);
    await restore(db, b);
    expect((await log.verify()).ok).toBe(true);
  });

  it('finds a deleted last record through the signed head that covers it', async () => {
    const { db } = use();
    const original = await snapshot(db, 40);
    await asSuperuser(db, 'audit_records', 'DELETE FROM audit_records WHERE seq = 40');
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 40, checked: 39 });
    await restore(db, original);
    expect((await log.verify()).ok).toBe(true);
  });

  it('finds a chain rewritten with fresh hashes through the signed heads', async () => {
    const { db } = use();
    const originals = await Promise.all(Array.from({ length: 40 - 12 + 1 }, (_, i) => snapshot(db, 12 + i)));
    // An attacker with the database but without the signing key rewrites record 12 and relinks the rest.
    let prev = originals[0]!.prev_hash as Buffer;
    for (let seq = 12; seq <= 40; seq++) {
      const record = (await log.get(seq)) as AuditRecord;
      const forged = seq === 12 ? { ...record, actorUserId: 'nobody' } : record;
      const hash = chainHash('sha256', prev, forged);
      await asSuperuser(db, 'audit_records', 'UPDATE audit_records SET actor_user_id = $2, prev_hash = $3, hash = $4 WHERE seq = $1', [
        seq,
        forged.actorUserId,
        prev,
        hash,
      ]);
      prev = hash;
    }
    const report = await log.verify();
    // The links hold; the head of size 40 does not, and the last good head was 8.
    expect(report).toMatchObject({ ok: false, firstBadSeq: 9, badCheckpoint: 40, checked: 40, checkpoints: 1 });
    for (const row of originals) await restore(db, row);
    expect((await log.verify()).ok).toBe(true);
  });

  it('finds a forged head by its signature', async () => {
    const { db } = use();
    await asSuperuser(db, 'audit_checkpoints', `UPDATE audit_checkpoints SET time = time + interval '1 second' WHERE tree_size = 8`);
    expect(await log.verify()).toMatchObject({ ok: false, badCheckpoint: 8, checked: 8, checkpoints: 0 });
    await asSuperuser(db, 'audit_checkpoints', `UPDATE audit_checkpoints SET time = time - interval '1 second' WHERE tree_size = 8`);
    expect((await log.verify()).ok).toBe(true);
    await log.close();
  });
});
