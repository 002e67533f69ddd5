/**
 * One process owns an embedded data directory (issue 23, finding 4). While `pdx start` runs, every
 * other pdx command on the same directory is refused with a message that says to stop the server or
 * use its API, and changes nothing; a lock left by a killed server is taken over. Real processes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seedPgliteDir } from './helpers/db.ts';
import { fetchSignIn } from './helpers/http.ts';
import { spawnPdx, until, type PdxChild } from './scripts/ingest-world.ts';
import { CONDITION_MS } from './helpers/bounds.ts';

describe('an embedded data directory has one owner', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-lock-'));
  const env = { PDX_DATA_DIR: dataDir, PDX_PORT: '0', PDX_AUDITOR_PASSWORD: 'Tiexi-Ledger-2026', PDX_SHUTDOWN_GRACE_SECONDS: '5' };
  let server: PdxChild | undefined;

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses every other command while pdx start runs, and lets one in after the server was killed', { timeout: 600_000 }, async () => {
    // The directory holds a copy of the migrated template (what the lock guards is the same): the
    // server does not spend its start on PGlite's initdb and the migrations.
    seedPgliteDir(path.join(dataDir, 'pglite'));
    server = spawnPdx(['start'], env);
    await until('the server to listen', () => server!.stdout().includes('console / 控制台'), 420_000, 100);
    // The first start pins the audit signing public key outside the database and prints it (issue 23 point 3);
    // the pipe may hand the banner over in more than one piece, so wait for its end.
    await until('the audit notice', () => server!.stdout().includes('PDX_AUDIT_PUBLIC_KEY='), CONDITION_MS, 100);
    expect(server.stdout()).toContain('The audit signing public key is pinned in');
    expect(server.stdout()).toContain('PDX_AUDIT_PUBLIC_KEY=');
    expect(fs.readFileSync(path.join(dataDir, 'audit-public-key.pem'), 'utf8')).toContain('BEGIN PUBLIC KEY');
    const lock = JSON.parse(fs.readFileSync(path.join(dataDir, 'pglite', 'pdx.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(server.child.pid);

    for (const args of [['user', 'reset-password', 'auditor'], ['audit', 'verify'], ['keys', 'status'], ['migrate']]) {
      const other = spawnPdx(args, env);
      const code = await other.exited;
      expect(code, args.join(' ')).not.toBe(0);
      expect(other.stderr(), args.join(' ')).toContain(`in use by process ${server.child.pid}`);
      expect(other.stderr()).toContain('正由进程');
      expect(other.stdout()).not.toContain('new password');
    }
    // The running server is unharmed: it still answers, and the auditor's password is the one it had.
    const url = /http:\/\/[^\s/]+/.exec(server.stdout())![0];
    const login = await fetchSignIn(url, 'auditor', env.PDX_AUDITOR_PASSWORD);
    expect(login.status).toBe(200);

    // Killed without a chance to clean up: the lock names a dead process and is taken over.
    server.child.kill('SIGKILL');
    await server.exited;
    expect(fs.existsSync(path.join(dataDir, 'pglite', 'pdx.lock'))).toBe(true);
    const reset = spawnPdx(['user', 'reset-password', 'auditor'], env);
    expect(await reset.exited, reset.stderr()).toBe(0);
    expect(reset.stdout()).toContain('new password for auditor');
    expect(fs.existsSync(path.join(dataDir, 'pglite', 'pdx.lock'))).toBe(false);
  });
});
