import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../../test/helpers/db.ts';
import type { Db } from '../../db/index.ts';
import { createAuditLog, treeHeadMessage, type AuditLog, type SignedHead } from './audit.service.ts';
import type { AuditEvent } from './events.ts';
import { leafHash, rootOfLeaves, verifyConsistency, verifyInclusion } from './merkle.ts';
import { chainHash, type AuditRecord } from './record.ts';
import { createSigner, generateSigner, verifySignature } from './signer.ts';

const fromHex = (h: string) => Buffer.from(h, 'hex');

/** A clock the test moves by hand. */
function manualClock(start = '2026-03-01T00:00:00.000Z') {
  let now = new Date(start).getTime();
  return { now: () => new Date(now), set: (iso: string) => (now = new Date(iso).getTime()) };
}

/**
 * Counts commits of records (a transaction, or the one-statement append of the request path), and
 * fails the next `failNext` ones, to observe group commit.
 */
function instrument(db: Db) {
  const stats = { commits: 0, failNext: 0 };
  const wrapped: Db = Object.create(db) as Db;
  const failing = () => stats.failNext > 0 && stats.failNext-- > 0;
  wrapped.transaction = async (fn) => {
    stats.commits++;
    if (failing()) {
      return db.transaction(async (tx) => {
        await fn(tx);
        throw new Error('injected commit failure');
      });
    }
    return db.transaction(fn);
  };
  wrapped.query = async (text, params) => {
    if (!/INSERT INTO audit_records/.test(text)) return db.query(text, params);
    stats.commits++;
    if (failing()) throw new Error('injected commit failure');
    return db.query(text, params);
  };
  return { db: wrapped, stats };
}

function headIsSigned(log: AuditLog, head: SignedHead): boolean {
  return verifySignature(log.publicKey().publicKeyPem, treeHeadMessage(head), Buffer.from(head.signature, 'base64'));
}

function dataRead(i: number, user = `u${i % 3}`): AuditEvent {
  return {
    action: 'data.read',
    result: 'success',
    actor: { userId: user, username: `用户${user}`, orgId: i % 2 ? 'org-minzheng' : 'org-gongan', apiKeyId: `k-${user}`, roles: ['consumer'] },
    target: { type: 'dataset', id: 'ds_huji', label: '户籍人口' },
    dataset: 'huji_renkou',
    details: {
      columns: [
        { name: '身份证号', mode: 'pseudonym' },
        { name: '姓名', mode: 'masked' },
      ],
      rowCount: 10 + i,
      purpose: '低保资格核验',
      grantId: 'g1',
    },
    requestId: `req-${i}`,
    ip: '10.1.2.3',
  };
}

describeEachBackend('audit log: chain, group commit, checkpoints, proofs', ({ use }) => {
  const clock = manualClock();
  let log: AuditLog;
  let stats: { commits: number; failNext: number };

  it('appends concurrent events as one gap-free chain, in batches', async () => {
    const instrumented = instrument(use().db);
    stats = instrumented.stats;
    log = createAuditLog({ db: instrumented.db, hash: 'sha256', signer: generateSigner(), clock: clock.now, checkpointEvery: { seconds: 0 } });
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(dataRead(i))));
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(stats.commits).toBeLessThan(300 / 10);
    expect(await log.verify()).toEqual({ ok: true, checked: 300, checkpoints: 0 });
  });

  it('stores every field and reads it back exactly as hashed', async () => {
    clock.set('2026-03-10T08:00:00.000Z');
    const awkward = { note: '引号"逗号,换行\n', nested: { z: 1, a: [true, null, 1.5, -0, 1e21] }, nul: 'a\u0000b' };
    const { seq, hash } = await log.append({
      action: 'grant.approve',
      result: 'success',
      actor: { userId: 'officer-1', username: '张三', orgId: 'org-gongan', roles: ['data_officer'] },
      target: { type: 'grant', id: 'g-9', label: '低保核验' },
      dataset: 'huji_renkou',
      details: awkward,
      requestId: 'req-approve',
      ip: '::ffff:192.0.2.1',
    });
    const record = (await log.get(seq)) as AuditRecord;
    expect(record).toMatchObject({
      seq,
      time: '2026-03-10T08:00:00.000Z',
      action: 'grant.approve',
      actorUsername: '张三',
      actorRoles: ['data_officer'],
      actorApiKeyId: null,
      targetLabel: '低保核验',
      clientIp: '::ffff:192.0.2.1',
      details: { note: '引号"逗号,换行\n', nested: { z: 1, a: [true, null, 1.5, 0, 1e21] }, nul: 'a\uFFFDb' },
      hash,
    });
    expect(chainHash('sha256', fromHex(record.prevHash), record).toString('hex')).toBe(hash);
  });

  it('rejects a malformed event without touching the others', async () => {
    const [bad, good] = await Promise.allSettled([
      log.append({ action: 'DROP TABLE', result: 'success' }),
      log.append({ action: 'auth.login', result: 'success' }),
    ]);
    expect(bad.status).toBe('rejected');
    expect(good.status).toBe('fulfilled');
  });

  it('rejects every caller of a failed batch, and the chain goes on intact', async () => {
    stats.failNext = 1;
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => log.append(dataRead(i))));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'audit_unavailable', status: 503 });
    const after = await log.append({ action: 'auth.logout', result: 'success' });
    expect(after.seq).toBe(303);
    expect((await log.verify()).ok).toBe(true);
  });

  it('signs heads and proves inclusion and consistency in the RFC 6962 way', async () => {
    const first = (await log.checkpoint()) as SignedHead;
    expect(first.treeSize).toBe(303);
    expect(headIsSigned(log, first)).toBe(true);
    for (let i = 0; i < 400; i++) await Promise.all([log.append(dataRead(i))]).catch(() => {});
    const second = (await log.checkpoint()) as SignedHead;
    expect(second.treeSize).toBe(703);
    expect(await log.checkpoint()).toEqual(second);

    // The root equals MTH over all record hashes computed independently in memory.
    const all: Buffer[] = [];
    for (let after = 0; ;) {
      const page = await log.search({}, { cursor: after, order: 'asc', limit: 500 });
      all.push(...page.items.map((r) => leafHash('sha256', fromHex(r.hash))));
      if (!page.nextCursor) break;
      after = page.nextCursor;
    }
    expect(rootOfLeaves('sha256', all).toString('hex')).toBe(second.rootHash);
    expect(rootOfLeaves('sha256', all.slice(0, 303)).toString('hex')).toBe(first.rootHash);

    for (const seq of [1, 2, 256, 257, 303, 512, 600, 703]) {
      const proof = await log.proof(seq);
      expect(proof.head).toEqual(second);
      expect(verifyInclusion('sha256', fromHex(proof.leafHash), seq - 1, 703, proof.auditPath.map(fromHex), fromHex(second.rootHash))).toBe(true);
    }
    const old = await log.proof(100, 303);
    expect(verifyInclusion('sha256', fromHex(old.leafHash), 99, 303, old.auditPath.map(fromHex), fromHex(first.rootHash))).toBe(true);
    await expect(log.proof(304, 303)).rejects.toMatchObject({ code: 'audit_seq_beyond_head' });
    await expect(log.proof(5, 42)).rejects.toMatchObject({ code: 'not_found' });

    const c = await log.consistency(303, 703);
    expect(verifyConsistency('sha256', 303, 703, c.proof.map(fromHex), fromHex(first.rootHash), fromHex(second.rootHash))).toBe(true);
    expect(await log.verify()).toEqual({ ok: true, checked: 703, checkpoints: 2 });
  });

  it('makes a head on demand when a proof asks for a record the latest head does not cover', async () => {
    const { seq } = await log.append({ action: 'settings.change', result: 'success' });
    const proof = await log.proof(seq);
    expect(proof.treeSize).toBe(seq);
    expect(headIsSigned(log, proof.head)).toBe(true);
  });

  it('is append-only at the database: UPDATE, DELETE and TRUNCATE are refused', async () => {
    const { db } = use();
    for (const sql of [
      "UPDATE audit_records SET action = 'x' WHERE seq = 1",
      'DELETE FROM audit_records WHERE seq = 1',
      'TRUNCATE audit_records',
      'UPDATE audit_checkpoints SET tree_size = 1',
      'DELETE FROM audit_checkpoints',
      'DELETE FROM audit_tree_nodes',
    ]) {
      await expect(db.query(sql), sql).rejects.toThrow(/append-only/);
    }
    expect((await log.verify()).ok).toBe(true);
  });

  it('searches by actor, organisation, dataset, action, result and time, paging by seq', async () => {
    clock.set('2026-04-01T00:00:00.000Z');
    await log.append({ ...dataRead(1, 'zz'), result: 'denied', details: { reason: 'column hidden' } });
    const denied = await log.search({ result: 'denied' });
    expect(denied.items).toHaveLength(1);
    expect(denied.items[0]).toMatchObject({ actorUserId: 'zz', details: { reason: 'column hidden' } });
    const byUser = await log.search({ actorUserId: 'u1', orgId: 'org-minzheng', dataset: 'huji_renkou', action: 'data.read' }, { limit: 7 });
    expect(byUser.items).toHaveLength(7);
    expect(byUser.items.every((r) => r.actorUserId === 'u1' && r.actorOrgId === 'org-minzheng')).toBe(true);
    const next = await log.search({ actorUserId: 'u1', orgId: 'org-minzheng' }, { limit: 7, cursor: byUser.nextCursor });
    expect(Math.max(...next.items.map((r) => r.seq))).toBeLessThan(Math.min(...byUser.items.map((r) => r.seq)));
    const window = await log.search({ from: new Date('2026-03-05T00:00:00Z'), to: new Date('2026-03-31T00:00:00Z') }, { limit: 500 });
    expect(window.items.every((r) => r.time >= '2026-03-10' && r.time < '2026-03-31')).toBe(true);
    expect(window.items.length).toBeGreaterThan(400);
    expect((await log.search({ actionPrefix: 'auth.' })).items.map((r) => r.action).sort()).toEqual(['auth.login', 'auth.logout']);
  });

  it('answers who read a column of a dataset, with modes and row counts', async () => {
    await log.append({ ...dataRead(2, 'solo'), details: { columns: [{ name: '住址', mode: 'generalized' }], rowCount: 5 } });
    const history = await log.accessHistory({ dataset: 'huji_renkou', column: '身份证号', from: new Date('2026-03-01T00:00:00Z'), result: 'success' });
    expect([...new Set(history.summary.map((s) => s.actorUserId))].sort()).toEqual(['u0', 'u1', 'u2']);
    expect(history.summary.find((s) => s.actorUserId === 'solo')).toBeUndefined();
    expect(history.entries[0]).toMatchObject({ columns: [{ name: '身份证号', mode: 'pseudonym' }], purpose: '低保资格核验', grantId: 'g1' });
    const address = await log.accessHistory({ dataset: 'huji_renkou', column: '住址' });
    expect(address.summary).toEqual([expect.objectContaining({ actorUserId: 'solo', responses: 1, rows: 5 })]);
    const none = await log.accessHistory({ dataset: 'huji_renkou', column: '身份证号', from: new Date('2027-01-01T00:00:00Z') });
    expect(none).toEqual({ summary: [], entries: [] });
  });

  it('exports a selection as CSV and as JSON whose every proof verifies', async () => {
    let csv = '';
    for await (const chunk of log.exportRecords({ result: 'denied' }, 'csv')) csv += chunk;
    const lines = csv.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe(
      '\uFEFFseq,time,action,result,actorUserId,actorUsername,actorOrgId,actorApiKeyId,actorRoles,targetType,targetId,targetLabel,dataset,details,requestId,clientIp,prevHash,hash',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('"{""reason"":""column hidden""}"');

    let text = '';
    for await (const chunk of log.exportRecords({ actorUserId: 'u2' }, 'json')) text += chunk;
    const doc = JSON.parse(text) as {
      head: SignedHead;
      publicKeyPem: string;
      records: { record: AuditRecord; proof: { leafIndex: number; auditPath: string[] } }[];
    };
    expect(verifySignature(doc.publicKeyPem, treeHeadMessage(doc.head), Buffer.from(doc.head.signature, 'base64'))).toBe(true);
    expect(doc.records.length).toBeGreaterThan(100);
    for (const { record, proof } of doc.records) {
      const recordHash = chainHash('sha256', fromHex(record.prevHash), record);
      expect(recordHash.toString('hex')).toBe(record.hash);
      expect(
        verifyInclusion('sha256', leafHash('sha256', recordHash), proof.leafIndex, doc.head.treeSize, proof.auditPath.map(fromHex), fromHex(doc.head.rootHash)),
      ).toBe(true);
    }
  });

  it('archives records older than the retention period with proofs, resuming where it left off', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-audit-archive-'));
    try {
      clock.set('2026-10-15T00:00:00.000Z'); // records of March are older than 6 months, April's are not
      const { files, head } = await log.archive(dir, { recordsPerFile: 250 });
      const archived = files.reduce((n, f) => n + f.count, 0);
      const march = await log.search({ to: new Date('2026-04-01T00:00:00Z') }, { limit: 500, order: 'asc' });
      expect(files.length).toBeGreaterThan(2);
      expect(files[0]?.fromSeq).toBe(1);
      expect(archived).toBeGreaterThan(700);
      for (const file of files) {
        const [header, ...rows] = fs
          .readFileSync(file.path, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        expect(header).toMatchObject({ type: 'header', hashAlg: 'sha256', head });
        expect(rows).toHaveLength(file.count);
        for (const row of rows) {
          expect(new Date(row.record.time) < new Date('2026-04-15T00:00:00Z')).toBe(true);
          expect(
            verifyInclusion(
              'sha256',
              fromHex(row.proof.leafHash),
              row.proof.leafIndex,
              head!.treeSize,
              row.proof.auditPath.map(fromHex),
              fromHex(head!.rootHash),
            ),
          ).toBe(true);
        }
      }
      expect(march.items[0]?.seq).toBe(1);
      expect((await log.archive(dir)).files).toEqual([]);
      // Nothing was deleted.
      expect((await log.verify()).ok).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a retention shorter than six months', () => {
    expect(() => createAuditLog({ db: use().db, hash: 'sha256', signer: generateSigner(), retentionMonths: 5 })).toThrow(/6 months/);
  });

  it('makes a head at every 1000 records in the commit that completes it', async () => {
    await log.close();
    const auto = createAuditLog({ db: use().db, hash: 'sha256', signer: generateSigner(), checkpointEvery: { seconds: 0 } });
    const before = await auto.latestHead();
    const size = before?.treeSize ?? 0;
    for (let i = 0; i < 1200; i += 200) await Promise.all(Array.from({ length: 200 }, (_, k) => auto.record(dataRead(i + k))));
    await auto.close();
    const heads = await use().db.query<{ tree_size: number }>('SELECT tree_size FROM audit_checkpoints WHERE tree_size > $1 ORDER BY tree_size', [size]);
    expect(heads.map((h) => Number(h.tree_size))).toContain(1000);
    expect(headIsSigned(auto, (await auto.proof(1000, 1000)).head)).toBe(true);
    await expect(auto.record(dataRead(0))).rejects.toMatchObject({ code: 'audit_unavailable' });
  });

  it('closes only after the checkpoint timer’s check in hand, so the database can close right after', async () => {
    // A database whose queries the test holds, and which refuses every query once "closed" (as a pg
    // pool after end(): "Cannot use a pool after calling end").
    const real = use().db;
    const gate = { hold: false, closed: false, held: [] as (() => void)[], inflight: [] as Promise<unknown>[], afterClose: 0 };
    const wrapped: Db = Object.create(real) as Db;
    wrapped.query = (async (text: string, params?: readonly unknown[]) => {
      if (gate.closed) {
        gate.afterClose++;
        throw new Error('Cannot use a pool after calling end on the pool');
      }
      if (gate.hold) await new Promise<void>((resolve) => gate.held.push(resolve));
      const result = real.query(text, params);
      gate.inflight.push(result.catch(() => undefined));
      return result;
    }) as Db['query'];
    const errors: unknown[] = [];
    const timed = createAuditLog({ db: wrapped, hash: 'sha256', signer: generateSigner(), checkpointEvery: { seconds: 0.02 }, onError: (e) => errors.push(e) });
    await timed.append(dataRead(1));
    gate.hold = true;
    // The timer's check has begun (its queries are held).
    await expect.poll(() => gate.held.length).toBeGreaterThan(0);
    const closing = timed.close();
    gate.hold = false;
    for (const release of gate.held.splice(0)) release();
    await closing;
    // The platform closes the database as soon as the log has closed.
    gate.closed = true;
    await Promise.all(gate.inflight);
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([]);
    expect(gate.afterClose).toBe(0);
  });
});

describeEachBackend('audit signing key', ({ use }) => {
  it('generates one sealed key shared by every process and signs with it', async () => {
    const sealed: Buffer[] = [];
    const sealer = {
      seal: (plain: Buffer) => {
        const out = Buffer.concat([Buffer.from('sealed:'), Buffer.from(plain).reverse()]);
        sealed.push(out);
        return out;
      },
      unseal: (box: Buffer) => Buffer.from(box.subarray(7)).reverse(),
    };
    const [a, b] = await Promise.all([createSigner({ db: use().db, ...sealer }), createSigner({ db: use().db, ...sealer })]);
    expect(sealed).toHaveLength(1);
    expect(a.publicKeyPem).toBe(b.publicKeyPem);
    expect(a.keyId).toMatch(/^[0-9a-f]{64}$/);
    const stored = await use().db.query<{ sealed_private_key: Buffer }>('SELECT sealed_private_key FROM audit_signing_keys');
    expect(stored).toHaveLength(1);
    expect(stored[0]!.sealed_private_key.subarray(0, 7).toString()).toBe('sealed:');
    const message = Buffer.from('tree head');
    expect(verifySignature(a.publicKeyPem, message, b.sign(message))).toBe(true);
  });
});

describeEachBackend('audit log under the 国密 suite', ({ use }) => {
  it('chains and proves with SM3', async () => {
    const log = createAuditLog({ db: use().db, hash: 'sm3', signer: generateSigner(), checkpointEvery: { seconds: 0 } });
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.record(dataRead(i))));
    const head = (await log.checkpoint()) as SignedHead;
    expect(head.hashAlg).toBe('sm3');
    const record = (await log.get(7)) as AuditRecord;
    expect(chainHash('sm3', fromHex(record.prevHash), record).toString('hex')).toBe(record.hash);
    expect(chainHash('sha256', fromHex(record.prevHash), record).toString('hex')).not.toBe(record.hash);
    const proof = await log.proof(7);
    expect(verifyInclusion('sm3', fromHex(proof.leafHash), 6, head.treeSize, proof.auditPath.map(fromHex), fromHex(head.rootHash))).toBe(true);
    expect(await log.verify()).toEqual({ ok: true, checked: 50, checkpoints: 1 });
    // The same log read as SHA-256 is broken at its first record.
    const wrong = createAuditLog({ db: use().db, hash: 'sha256', signer: generateSigner(), checkpointEvery: { seconds: 0 } });
    expect(await wrong.verify()).toMatchObject({ ok: false, firstBadSeq: 1 });
    await log.close();
    await wrong.close();
  });
});

describe('no code path edits the audit log', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|sql)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) files.push(full);
    }
  };
  walk(path.resolve(import.meta.dirname, '../..'));
  afterAll(() => {});
  it('has no UPDATE, DELETE or TRUNCATE of an audit table anywhere in src/', () => {
    expect(files.length).toBeGreaterThan(10);
    const offending = files.filter((file) =>
      /\b(UPDATE\s+audit_|DELETE\s+FROM\s+audit_|TRUNCATE\s+(TABLE\s+)?audit_)/i.test(fs.readFileSync(file, 'utf8').replace(/--.*$/gm, '')),
    );
    expect(offending).toEqual([]);
  });
});
