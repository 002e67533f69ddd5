/**
 * Two real pdx server processes (`pdx start`) on one PostgreSQL database: a grant revoked through
 * one is refused at once by the other (grants are read from the database on every request).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORDS } from './helpers/api.ts';
import { createServerDatabase } from './helpers/db.ts';
import { httpClient, httpLogin } from './helpers/http.ts';
import { grantJourney, shareWorld, type ShareTestApp, type ShareWorld } from './share-helpers.ts';

interface PdxProcess {
  child: ChildProcess;
  url: string;
}

/** Starts `pdx start` and resolves with the URL it prints. */
function startPdx(env: Record<string, string>): Promise<PdxProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-proc-'));
  const child = spawn('node', ['bin/pdx.js', 'start'], {
    env: { ...process.env, ...env, PDX_DATA_DIR: dataDir, PDX_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d.toString();
      const match = /console \/ 控制台: (http:\/\/[^\s/]+)\//.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.stderr!.on('data', (d) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`pdx start exited ${code}: ${out}`)));
  });
}

describe('revocation across two pdx processes on one PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  let a: PdxProcess;
  let b: PdxProcess;
  let w: ShareWorld;

  beforeAll(async () => {
    database = await createServerDatabase({ migrated: true });
    const env = {
      PDX_DATABASE_URL: database.url,
      PDX_MASTER_KEY: randomBytes(32).toString('base64'),
      PDX_ADMIN_PASSWORD: ADMIN_PASSWORDS.sysadmin,
      PDX_SECADMIN_PASSWORD: ADMIN_PASSWORDS.secadmin,
      PDX_AUDITOR_PASSWORD: ADMIN_PASSWORDS.auditor,
      PDX_LOG_LEVEL: 'warn',
      PDX_RATE_LIMIT: '100000',
      PDX_DEMO: 'false',
    };
    a = await startPdx(env);
    b = await startPdx(env);
    const t = {
      login: async (u: string, p: string) => (await httpLogin(a.url, u, p)).client!,
      withKey: (key: string) => httpClient(a.url, { authorization: `Bearer ${key}` }),
    };
    w = await shareWorld(t as unknown as ShareTestApp, 200);
    await grantJourney(w);
  });

  afterAll(async () => {
    for (const p of [a, b]) p?.child.kill('SIGTERM');
    await Promise.all([a, b].map((p) => p && new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.on('exit', r)))));
    await database?.drop();
  });

  it('refuses on process A the moment the grant is revoked through process B', async () => {
    const read = (url: string) => httpClient(url, { authorization: `Bearer ${w.key}` }).call('GET', `/api/v1/datasets/${w.code}/records?select=姓名&limit=5`);
    expect((await read(a.url)).statusCode).toBe(200);
    expect((await read(b.url)).statusCode).toBe(200);

    const grants = (await w.officer.call('GET', '/api/v1/share/grants')).json().items as { id: string; dataset: string; state: string }[];
    const grant = grants.find((g) => g.state === 'active')!;
    // The revocation goes through process B (the officer's session is valid on every process).
    const revokeOnB = httpClient(b.url, w.officer.headers);
    expect((await revokeOnB.call('POST', `/api/v1/share/grants/${grant.id}/revoke`, { reason: '核验工作已结束' })).statusCode).toBe(200);

    const refused = await read(a.url);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('grant_revoked');
    expect((await read(b.url)).statusCode).toBe(403);
  });
});
