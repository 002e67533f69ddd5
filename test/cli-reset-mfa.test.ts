/**
 * `pdx user reset-mfa <username>` (issue 21): the host's way out when an administrator lost both the
 * authenticator and the recovery codes (the API refuses to reset an administrator's second factor).
 * A real process against a PostgreSQL database: the second factor is gone, the holder enrols again at
 * the next sign-in, and the reset is in the audit log as a host change that security operations alert on.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../src/db/postgres.ts';
import { ADMIN_PASSWORDS, startTestApp, type TestApp } from './helpers/api.ts';
import { createServerDatabase } from './helpers/db.ts';
import { spawnPdx } from './scripts/ingest-world.ts';

describe('pdx user reset-mfa', () => {
  const masterKey = randomBytes(32).toString('base64');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-reset-mfa-'));
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  let t: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createServerDatabase({ migrated: true });
    t = await startTestApp(await openPostgres(database.url, 5), { PDX_MASTER_KEY: masterKey });
    env = { PDX_DATABASE_URL: database.url, PDX_MASTER_KEY: masterKey, PDX_DATA_DIR: dataDir };
  });
  afterAll(async () => {
    await t?.close();
    await t?.db.close();
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('removes an administrator’s authenticator on the host: enrols again at the next sign-in, audited and alerted', async () => {
    const auditor = await t.login('auditor', ADMIN_PASSWORDS.auditor);
    expect((await auditor.call('GET', '/api/v1/auth/me')).statusCode).toBe(200);
    const enrolled = async () =>
      (await t.db.query<{ totp_enrolled_at: Date | null }>(`SELECT totp_enrolled_at FROM users WHERE username = 'auditor'`))[0]!.totp_enrolled_at;
    expect(await enrolled()).not.toBeNull();

    // Through the API the sysadmin cannot do it alone.
    const sysadmin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    const [row] = await t.db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'auditor'`);
    const refused = await sysadmin.call('POST', `/api/v1/users/${row!.id}/reset-second-factor`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('two_person_control');

    const reset = spawnPdx(['user', 'reset-mfa', 'Auditor'], env);
    expect(await reset.exited, reset.stderr()).toBe(0);
    expect(reset.stdout()).toContain('authenticator of auditor removed');
    expect(reset.stdout()).toContain('已重置 auditor 的动态验证码');
    expect(await enrolled()).toBeNull();
    // Like pdx user reset-password, it ends the account's sessions.
    expect((await auditor.call('GET', '/api/v1/auth/me')).statusCode).toBe(401);
    expect(await t.db.query(`SELECT 1 FROM user_recovery_codes WHERE user_id = $1`, [row!.id])).toEqual([]);

    // The next sign-in sets up a new authenticator.
    const next = await t.anonymous.call('POST', '/api/v1/auth/login', { username: 'auditor', password: ADMIN_PASSWORDS.auditor });
    expect(next.json().secondFactor.enrol.secret).toMatch(/^[A-Z2-7]{32}$/);

    const records = await t.db.query<{ action: string; details: Record<string, unknown>; target_label: string }>(
      `SELECT action, details, target_label FROM audit_records WHERE action IN ('user.mfa_reset', 'admin_change.apply') ORDER BY seq`,
    );
    expect(records).toMatchObject([
      { action: 'user.mfa_reset', target_label: 'auditor' },
      { action: 'admin_change.apply', details: { kind: 'reset_mfa', via: 'host', username: 'auditor', adminRoles: ['auditor'] } },
    ]);
    const secops = t.services.secops.service;
    while ((await secops.processBatch()) > 0);
    const alerts = await t.db.query<{ title: { zh: string } }>(`SELECT title FROM secops_alerts WHERE detector = 'adminChange'`);
    const titles = alerts.map((a) => a.title.zh);
    expect(
      titles.some((x) => x.includes('重置动态验证码') && x.includes('auditor') && x.includes('主机命令行')),
      titles.join('\n'),
    ).toBe(true);
  });

  it('names an unknown account and changes nothing', async () => {
    const reset = spawnPdx(['user', 'reset-mfa', 'nobody'], env);
    expect(await reset.exited).not.toBe(0);
    expect(reset.stderr()).toContain('unknown user / 用户不存在: nobody');
  });
});
