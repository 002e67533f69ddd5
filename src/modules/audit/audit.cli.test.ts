import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, expect, it, vi } from 'vitest';
import { describeEachBackend } from '../../../test/helpers/db.ts';
import { registerAuditCommands } from './audit.cli.ts';
import { createAuditModule } from './audit.module.ts';

describeEachBackend('pdx audit commands', ({ use }) => {
  const sealer = { seal: (b: Buffer) => Buffer.from(b), unseal: (b: Buffer) => Buffer.from(b) };
  const open = async () => ({
    audit: (await createAuditModule({ db: use().db, hash: 'sha256', sealer, checkpointEvery: { records: 0, seconds: 0 } })).audit,
    close: async () => {},
  });

  async function pdx(...args: string[]): Promise<{ out: string; exitCode: number }> {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    process.exitCode = 0;
    try {
      const program = new Command('pdx').exitOverride();
      registerAuditCommands(program, open);
      await program.parseAsync(['node', 'pdx', ...args]);
    } finally {
      spy.mockRestore();
    }
    const exitCode = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    return { out: lines.join(''), exitCode };
  }

  afterEach(() => {
    process.exitCode = 0;
  });

  it('checkpoints and verifies a good log with exit status 0', async () => {
    const { audit } = await open();
    for (let i = 0; i < 12; i++) await audit.record({ action: 'auth.login', result: i % 4 ? 'success' : 'failure', actor: { username: `u${i}` } });
    await audit.close();
    const head = await pdx('audit', 'checkpoint');
    expect(JSON.parse(head.out)).toMatchObject({ treeSize: 12, hashAlg: 'sha256' });
    expect(await pdx('audit', 'verify')).toEqual({ out: expect.stringContaining('audit log OK: 12 records, 1 signed heads'), exitCode: 0 });
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
    await use().db.transaction(async (tx) => {
      await tx.query('ALTER TABLE audit_records DISABLE TRIGGER USER');
      await tx.query(`UPDATE audit_records SET result = 'success' WHERE seq = 5`);
      await tx.query('ALTER TABLE audit_records ENABLE TRIGGER USER');
    });
    const result = await pdx('audit', 'verify');
    expect(result.exitCode).toBe(1);
    expect(result.out).toContain('first bad seq / 首个异常序号: 5');
    expect(JSON.parse((await pdx('audit', 'verify', '--json')).out)).toMatchObject({ ok: false, firstBadSeq: 5, checked: 4 });
  });
});
