import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { describeEachBackend } from '../../../test/helpers/db.ts';
import type { Db } from '../../db/index.ts';
import { registerAuditCommands, type OpenAudit, type OpenAuditForVerify } from './audit.cli.ts';
import { createAuditModule, openAuditForVerify } from './audit.module.ts';
import { chainHash, type AuditRecord } from './record.ts';
import { generateSigner } from './signer.ts';
import { createAuditTrust, WITNESS_FILE } from './trust.ts';

/** Runs raw SQL as a database superuser would: the append-only triggers of the tables disabled first. */
async function asSuperuser(db: Db, tables: string[], sql: string, params: unknown[] = []) {
  await db.transaction(async (tx) => {
    for (const t of tables) await tx.query(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
    await tx.query(sql, params);
    for (const t of tables) await tx.query(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
  });
}

/** Runs `pdx …args` with the audit commands over the given openers; what it printed and its exit status. */
async function runPdx(open: OpenAudit, openForVerify: OpenAuditForVerify, args: string[]): Promise<{ out: string; exitCode: number }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  process.exitCode = 0;
  try {
    const program = new Command('pdx').exitOverride();
    registerAuditCommands(program, open, openForVerify);
    await program.parseAsync(['node', 'pdx', ...args]);
  } finally {
    spy.mockRestore();
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out: lines.join(''), exitCode };
}

describeEachBackend('pdx audit commands', ({ use }) => {
  const sealer = { seal: (b: Buffer) => Buffer.from(b), unseal: (b: Buffer) => Buffer.from(b) };
  // The pdx host's directory: the pinned key and the witness live here, outside the database.
  const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-audit-cli-'));
  const trust = () => createAuditTrust({ pinDir: hostDir, dataDir: hostDir });
  const open = async () => ({
    audit: (await createAuditModule({ db: use().db, hash: 'sha256', sealer, trust: trust(), checkpointEvery: { seconds: 0 } })).audit,
    close: async () => {},
  });
  const openForVerify = async (publicKeyPem?: string) => ({
    ...(await openAuditForVerify({ db: use().db, hash: 'sha256', trust: trust(), ...(publicKeyPem ? { publicKeyPem } : {}) })),
    close: async () => {},
  });

  const pdx = (...args: string[]) => runPdx(open, openForVerify, args);

  afterEach(() => {
    process.exitCode = 0;
  });
  afterAll(() => fs.rmSync(hostDir, { recursive: true, force: true }));

  it('checkpoints and verifies a good log with exit status 0', async () => {
    const { audit } = await open();
    for (let i = 0; i < 12; i++) await audit.record({ action: 'auth.login', result: i % 4 ? 'success' : 'failure', actor: { username: `u${i}` } });
    await audit.close();
    const head = await pdx('audit', 'checkpoint');
    expect(JSON.parse(head.out)).toMatchObject({ treeSize: 12, hashAlg: 'sha256' });
    expect(await pdx('audit', 'verify')).toEqual({ out: expect.stringContaining('audit log OK: 12 records, 1 signed heads'), exitCode: 0 });
    // The key was pinned outside the database at first use.
    expect(fs.readFileSync(path.join(hostDir, 'audit-public-key.pem'), 'utf8')).toContain('BEGIN PUBLIC KEY');
  });

  it('archives to files with a chosen cut-off', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-audit-cli-'));
    try {
      const result = await pdx('audit', 'archive', dir, '--before', '2999-01-01');
      expect(result.out).toContain('12 records archived in 1 files');
      expect(fs.readdirSync(dir)).toEqual(['audit-archive-000000000001-000000000012.ndjson']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints the first bad seq and exits non-zero on a break', async () => {
    const original = (await use().db.query<{ result: string }>('SELECT result FROM audit_records WHERE seq = 5'))[0]!.result;
    await asSuperuser(use().db, ['audit_records'], `UPDATE audit_records SET result = 'success' WHERE seq = 5`);
    const result = await pdx('audit', 'verify');
    expect(result.exitCode).toBe(1);
    expect(result.out).toContain('first bad seq / 首个异常序号: 5');
    expect(JSON.parse((await pdx('audit', 'verify', '--json')).out)).toMatchObject({ ok: false, firstBadSeq: 5, checked: 4 });
    await asSuperuser(use().db, ['audit_records'], `UPDATE audit_records SET result = $1 WHERE seq = 5`, [original]);
    expect((await pdx('audit', 'verify')).exitCode).toBe(0);
  });
});

/**
 * The drills of issue 23 as a database superuser with the triggers disabled: each leaves a log that
 * is consistent in itself, and `pdx audit verify` must still exit 1 naming the first bad sequence or
 * the missing head. A log of 2,500 records: heads at 1000 and 2000 (the policy), one at 2500.
 */
describeEachBackend('pdx audit verify against a superuser', ({ use }) => {
  const sealer = { seal: (b: Buffer) => Buffer.from(b), unseal: (b: Buffer) => Buffer.from(b) };
  const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-audit-host-'));
  // Another machine's view: the pin only (e.g. PDX_AUDIT_PUBLIC_KEY), no witness of this host.
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-audit-elsewhere-'));
  const trustHere = () => createAuditTrust({ pinDir: hostDir, dataDir: hostDir });
  const trustElsewhere = () => createAuditTrust({ pinDir: hostDir, dataDir: elsewhere });
  let where = trustHere;
  let snapshot: { records: Record<string, unknown>[]; heads: Record<string, unknown>[]; keys: Record<string, unknown>[] };
  const open = async () => ({
    audit: (await createAuditModule({ db: use().db, hash: 'sha256', sealer, trust: trustHere(), checkpointEvery: { seconds: 0 } })).audit,
    close: async () => {},
  });
  const openForVerify = async (publicKeyPem?: string) => ({
    ...(await openAuditForVerify({ db: use().db, hash: 'sha256', trust: where(), ...(publicKeyPem ? { publicKeyPem } : {}) })),
    close: async () => {},
  });
  async function verify(...args: string[]): Promise<{ out: string; exitCode: number; report: Record<string, unknown> }> {
    const result = await runPdx(open, openForVerify, ['audit', 'verify', '--json', ...args]);
    return { ...result, report: JSON.parse(result.out) };
  }

  /** Puts the three tables back as they were before a drill. */
  async function restore() {
    const { db } = use();
    const tables = ['audit_records', 'audit_checkpoints', 'audit_signing_keys'];
    await asSuperuser(db, tables, 'DELETE FROM audit_records');
    await asSuperuser(db, tables, 'DELETE FROM audit_checkpoints');
    await asSuperuser(db, tables, 'DELETE FROM audit_signing_keys');
    for (const [table, rows] of [
      ['audit_records', snapshot.records],
      ['audit_checkpoints', snapshot.heads],
      ['audit_signing_keys', snapshot.keys],
    ] as const) {
      await asSuperuser(db, tables, `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::text::jsonb)`, [
        JSON.stringify(rows.map(hexBytes)),
      ]);
    }
    where = trustHere;
    expect((await verify()).exitCode).toBe(0);
  }
  const hexBytes = (row: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v]));

  afterEach(() => {
    process.exitCode = 0;
  });
  afterAll(() => {
    fs.rmSync(hostDir, { recursive: true, force: true });
    fs.rmSync(elsewhere, { recursive: true, force: true });
  });

  it('starts from a valid log: heads at every 1000 records, one over the tail', async () => {
    const { audit } = await open();
    for (let i = 0; i < 2500; i += 250) {
      await Promise.all(
        Array.from({ length: 250 }, (_, k) =>
          audit.record({ action: 'data.read', result: 'success', actor: { username: `app${(i + k) % 7}` }, details: { i: i + k } }),
        ),
      );
    }
    await audit.checkpoint();
    await audit.close();
    const { db } = use();
    expect((await db.query<{ tree_size: number }>('SELECT tree_size FROM audit_checkpoints ORDER BY tree_size')).map((r) => Number(r.tree_size))).toEqual([
      1000, 2000, 2500,
    ]);
    snapshot = {
      records: await db.query('SELECT * FROM audit_records ORDER BY seq'),
      heads: await db.query('SELECT * FROM audit_checkpoints'),
      keys: await db.query('SELECT * FROM audit_signing_keys'),
    };
    expect(JSON.parse(fs.readFileSync(path.join(hostDir, WITNESS_FILE), 'utf8'))).toMatchObject({ seq: 2500, head: { treeSize: 2500 } });
    expect(await verify()).toMatchObject({ exitCode: 0, report: { ok: true, checked: 2500, checkpoints: 3 } });
  });

  it('finds records deleted after the last head (through the witness of this host)', async () => {
    // Records after the last head are only protected by what was kept outside the database.
    await asSuperuser(use().db, ['audit_checkpoints'], 'DELETE FROM audit_checkpoints WHERE tree_size = 2500');
    await asSuperuser(use().db, ['audit_records'], 'DELETE FROM audit_records WHERE seq > 2000');
    expect(await verify()).toMatchObject({ exitCode: 1, report: { ok: false, firstBadSeq: 2001 } });
    // A log cut back is never extended by this host: it refuses to append and to sign.
    const { audit } = await open();
    await expect(audit.record({ action: 'auth.login', result: 'success' })).rejects.toMatchObject({ code: 'audit_unavailable' });
    await audit.close();
    await restore();
  });

  it('finds heads deleted with the tail: the head of 2000 is required', async () => {
    await asSuperuser(use().db, ['audit_checkpoints'], 'DELETE FROM audit_checkpoints WHERE tree_size >= 2000');
    await asSuperuser(use().db, ['audit_records'], 'DELETE FROM audit_records WHERE seq > 2200');
    where = trustElsewhere;
    expect(await verify()).toMatchObject({ exitCode: 1, report: { ok: false, missingHead: 2000, firstBadSeq: 1001 } });
    where = trustHere;
    expect(await verify()).toMatchObject({ exitCode: 1, report: { ok: false } });
    await restore();
  });

  it('finds every head deleted and the log rewritten with recomputed hashes', async () => {
    const { db } = use();
    await asSuperuser(db, ['audit_checkpoints'], 'DELETE FROM audit_checkpoints');
    const rows = await db.query<{ seq: number }>('SELECT seq FROM audit_records WHERE seq >= 1200 ORDER BY seq');
    let prev = (await db.query<{ hash: Buffer }>('SELECT hash FROM audit_records WHERE seq = 1199'))[0]!.hash;
    const { audit: reader } = await openForVerify();
    for (const { seq } of rows) {
      const record = (await reader.get(Number(seq))) as AuditRecord;
      const forged = Number(seq) === 1200 ? { ...record, actorUsername: 'nobody' } : record;
      const hash = chainHash('sha256', prev, forged);
      await asSuperuser(db, ['audit_records'], 'UPDATE audit_records SET actor_username = $2, prev_hash = $3, hash = $4 WHERE seq = $1', [
        seq,
        forged.actorUsername,
        prev,
        hash,
      ]);
      prev = hash;
    }
    where = trustElsewhere;
    expect(await verify()).toMatchObject({ exitCode: 1, report: { ok: false, missingHead: 1000, firstBadSeq: 1 } });
    await restore();
  });

  it('finds the signing key row deleted, and never makes a new key for the log', async () => {
    await asSuperuser(use().db, ['audit_signing_keys'], 'DELETE FROM audit_signing_keys');
    const { report, exitCode } = await verify();
    expect(exitCode).toBe(1);
    expect(String(report.reason)).toContain('signing key row was deleted');
    await expect(open()).rejects.toMatchObject({ code: 'audit_key_missing' });
    expect(await use().db.query('SELECT key_id FROM audit_signing_keys')).toEqual([]);
    // A key of the attacker's own is refused by the pin.
    const forged = generateSigner();
    await asSuperuser(use().db, ['audit_signing_keys'], 'INSERT INTO audit_signing_keys (key_id, public_key_pem, sealed_private_key) VALUES ($1, $2, $3)', [
      'forged',
      forged.publicKeyPem,
      Buffer.from('x'),
    ]);
    expect((await verify()).exitCode).toBe(1);
    await restore();
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the key table, and a second key, at the database', async () => {
    const { db } = use();
    for (const sql of ["UPDATE audit_signing_keys SET key_id = 'x'", 'DELETE FROM audit_signing_keys', 'TRUNCATE audit_signing_keys']) {
      await expect(db.query(sql), sql).rejects.toThrow(/append-only/);
    }
    await expect(db.query(`INSERT INTO audit_signing_keys (key_id, public_key_pem, sealed_private_key) VALUES ('k2', 'pem', '\\x00')`)).rejects.toThrow(
      /already holds records/,
    );
  });

  it('checks the log against a head kept elsewhere (--head) and trusts only the key given (--public-key)', async () => {
    const { audit } = await open();
    const witness = await audit.witness();
    await audit.close();
    const file = path.join(elsewhere, 'witness.json');
    fs.writeFileSync(file, JSON.stringify(witness));
    const keyFile = path.join(elsewhere, 'key.pem');
    fs.writeFileSync(keyFile, witness.publicKeyPem);
    where = trustElsewhere;
    expect(await verify('--head', file, '--public-key', keyFile)).toMatchObject({ exitCode: 0, report: { ok: true } });
    await asSuperuser(use().db, ['audit_checkpoints'], `DELETE FROM audit_checkpoints WHERE tree_size > 2000`);
    await asSuperuser(use().db, ['audit_records'], 'DELETE FROM audit_records WHERE seq > 2000');
    expect(await verify('--head', file, '--public-key', keyFile)).toMatchObject({ exitCode: 1, report: { ok: false, firstBadSeq: 2001 } });
    const other = path.join(elsewhere, 'other.pem');
    fs.writeFileSync(other, generateSigner().publicKeyPem);
    await restore();
    where = trustElsewhere;
    expect(await verify('--public-key', other)).toMatchObject({ exitCode: 1, report: { ok: false, badCheckpoint: 1000 } });
    where = trustHere;
  });
});
