/**
 * The standalone verifier printed in docs/audit-proofs.md, run exactly as written (node + its
 * crypto only) against real evidence from the log and against tampered copies of it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../../test/helpers/db.ts';
import { createAuditLog, type AuditLog } from './audit.service.ts';
import { generateSigner } from './signer.ts';

const run = promisify(execFile);
const DOC = path.resolve(import.meta.dirname, '../../../docs/audit-proofs.md');

describeEachBackend('the verifier script of docs/audit-proofs.md', ({ use }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-audit-doc-'));
  const script = path.join(dir, 'verify-audit.mjs');
  const pem = path.join(dir, 'audit-public-key.pem');
  let log: AuditLog;

  async function check(
    evidence: unknown,
    key = pem,
    file = path.join(dir, `evidence-${Math.random().toString(36).slice(2)}.json`),
  ): Promise<{ ok: boolean; out: string }> {
    fs.writeFileSync(file, typeof evidence === 'string' ? evidence : JSON.stringify(evidence));
    try {
      const { stdout } = await run(process.execPath, [script, file, key]);
      return { ok: true, out: stdout };
    } catch (error) {
      return { ok: false, out: String((error as { stdout?: string }).stdout) };
    }
  }

  beforeAll(async () => {
    const blocks = [...fs.readFileSync(DOC, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(blocks).toHaveLength(1);
    fs.writeFileSync(script, blocks[0] as string);
    log = createAuditLog({ db: use().db, hash: 'sha256', signer: generateSigner(), checkpointEvery: { seconds: 0 } });
    fs.writeFileSync(pem, log.publicKey().publicKeyPem);
    for (let i = 0; i < 300; i++) {
      await log.record({
        action: 'data.read',
        result: 'success',
        actor: { username: `应用${i % 5}` },
        details: { rowCount: i, note: '引号"\n', n: [1.5, null] },
      });
      if (i === 99) await log.checkpoint();
    }
  });
  afterAll(async () => {
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a JSON export and refuses a changed record or another key', async () => {
    let text = '';
    for await (const chunk of log.exportRecords({ actorUsername: '应用3' }, 'json')) text += chunk;
    const doc = JSON.parse(text);
    expect(await check(doc)).toEqual({ ok: true, out: 'OK: 60 records are in the signed log of 300\n' });

    const changed = structuredClone(doc);
    changed.records[7].record.details.rowCount = 1;
    expect(await check(changed)).toMatchObject({ ok: false, out: expect.stringContaining('does not match its hash') });

    const moved = structuredClone(doc);
    moved.records[7].proof.leafIndex += 1;
    expect(await check(moved)).toMatchObject({ ok: false, out: expect.stringContaining('inclusion of record') });

    const other = path.join(dir, 'other.pem');
    fs.writeFileSync(other, generateSigner().publicKeyPem);
    expect(await check(doc, other)).toMatchObject({ ok: false, out: expect.stringContaining('signature') });
  });

  it('accepts an inclusion proof as GET /audit/proof returns it', async () => {
    const proof = await log.proof(42, 100);
    const evidence = { ...proof, record: await log.get(42) };
    expect(await check(evidence)).toEqual({ ok: true, out: 'OK: record 42 is in the signed log of 100\n' });
    expect((await check({ ...evidence, record: await log.get(43) })).ok).toBe(false);
  });

  it('accepts an archive file as written and refuses it with one record line removed', async () => {
    const archiveDir = path.join(dir, 'archive');
    const { files } = await log.archive(archiveDir, { before: new Date('2999-01-01'), recordsPerFile: 120 });
    expect(files.length).toBeGreaterThan(1);
    const file = files[1]!.path;
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(await check(lines.join('\n'), pem, file)).toMatchObject({ ok: true, out: expect.stringContaining(`OK: ${lines.length - 1} records`) });
    for (const removed of [1, 50, lines.length - 1]) {
      const cut = lines.filter((_, i) => i !== removed).join('\n');
      expect(await check(cut, pem, file), `line ${removed}`).toMatchObject({ ok: false, out: expect.stringContaining('missing from the archive') });
    }
  });

  it('accepts a consistency proof and refuses one for another history', async () => {
    const c = await log.consistency(100, 300);
    expect(await check(c)).toEqual({ ok: true, out: 'OK: the log of 300 records extends the log of 100\n' });
    const bent = structuredClone(c);
    bent.proof[0] = bent.proof[0]!.replace(/^./, (ch) => (ch === '0' ? '1' : '0'));
    expect((await check(bent)).ok).toBe(false);
  });
});
