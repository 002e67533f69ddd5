/**
 * SIGTERM under a slow request (issue 23, finding 6): a real `pdx start` finishes the request in
 * flight, cuts one that never completes once PDX_SHUTDOWN_GRACE_SECONDS have passed, and exits.
 */
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seedPgliteDir } from './helpers/db.ts';
import { spawnPdx, until, type PdxChild } from './scripts/ingest-world.ts';
import { CONDITION_MS } from './helpers/bounds.ts';

/** Starts a POST whose body is sent in two parts; `finish()` sends the rest. */
function slowPost(url: string, body: string) {
  const bytes = Buffer.from(body);
  const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) } });
  const answer = new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
  });
  req.flushHeaders();
  req.write(bytes.subarray(0, 10));
  return { answer, finish: () => req.end(bytes.subarray(10)) };
}

describe('shutdown on SIGTERM', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-stop-'));
  let server: PdxChild | undefined;

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes the request in flight and exits within the grace period despite a stalled one', { timeout: 600_000 }, async () => {
    const password = 'Tiexi-Ledger-2026';
    // A copy of the migrated template: the server does not spend its start on PGlite's initdb and the migrations.
    seedPgliteDir(path.join(dataDir, 'pglite'));
    server = spawnPdx(['start'], { PDX_DATA_DIR: dataDir, PDX_PORT: '0', PDX_AUDITOR_PASSWORD: password, PDX_SHUTDOWN_GRACE_SECONDS: '20' });
    await until('the server to listen', () => server!.stdout().includes('console / 控制台'), 420_000, 100);
    const url = `${/http:\/\/[^\s/]+/.exec(server.stdout())![0]}/api/v1/auth/login`;

    const inFlight = slowPost(url, JSON.stringify({ username: 'auditor', password }));
    const stalled = slowPost(url, JSON.stringify({ username: 'auditor', password: 'never-sent-in-full' }));
    // Both requests have reached the server (it holds two connections) before the signal.
    await until(
      'two open requests',
      async () => {
        const out = await fetch(url.replace('/api/v1/auth/login', '/health')).then((r) => r.status);
        return out === 200;
      },
      CONDITION_MS,
      100,
    );
    server.child.kill('SIGTERM');
    inFlight.finish();
    expect(await inFlight.answer).toMatchObject({ status: 200 });
    // The stalled one never completes: the server cuts it after the grace period and exits 0.
    expect(await server.exited).toBe(0);
    expect(await stalled.answer).toMatchObject({ error: expect.any(String) });
    expect(server.stderr()).toContain('stopped after the grace period');
    // The lock of the embedded directory was released on the way out.
    expect(fs.existsSync(path.join(dataDir, 'pglite', 'pdx.lock'))).toBe(false);
  });
});
