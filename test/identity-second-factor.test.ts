/**
 * Two-factor sign-in of the three administrators (issue 21): a TOTP authenticator enrolled at the first
 * sign-in (QR code, recovery codes shown once), codes computed from the enrolled secret on the
 * platform's controllable clock, replay, lockout, recovery codes, the security administrator's policy
 * for data officers, the audit trail and who may call each endpoint.
 */
import { generate } from 'otplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from './helpers/db.ts';
import { ADMIN_PASSWORDS, provisionUser, startTestApp, type Client, type TestApp } from './helpers/api.ts';
import { makeUscc } from '../src/modules/identity/codes.ts';

describeEachBackend('identity: two-factor sign-in of administrators', ({ use }) => {
  let t: TestApp;
  let admin: Client;
  let cityOrg: string;
  /** The auditor's recovery codes, shown once at its enrolment. */
  let recoveryCodes: string[] = [];

  const password = (username: 'sysadmin' | 'secadmin' | 'auditor') =>
    t.anonymous.call('POST', '/api/v1/auth/login', { username, password: ADMIN_PASSWORDS[username] });
  const second = (ticket: string, code: string) => t.anonymous.call('POST', '/api/v1/auth/second-factor', { ticket, code });
  const userRow = async (username: string) =>
    (
      await t.db.query<{ id: string; totp_secret: string | null; totp_enrolled_at: Date | null; failed_logins: number }>(
        'SELECT id, totp_secret, totp_enrolled_at, failed_logins FROM users WHERE username = $1',
        [username],
      )
    )[0]!;
  /** The code the authenticator shows now, without moving the clock (the step of the last code). */
  const codeNow = (username: string) => generate({ secret: t.authenticator.secret(username)!, epoch: Math.floor(t.authenticator.now().getTime() / 1000) });
  /** A six-digit code the platform would refuse now: none of the codes of the steps it accepts. */
  const wrongCode = async (secret: string) => {
    const epoch = Math.floor(t.authenticator.now().getTime() / 1000);
    const accepted = await Promise.all([-30, 0, 30].map((d) => generate({ secret, epoch: epoch + d })));
    return ['000000', '111111', '222222', '333333'].find((c) => !accepted.includes(c))!;
  };

  beforeAll(async () => {
    t = await startTestApp(use().db);
    admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    const province = (await admin.call('GET', '/api/v1/orgs')).json().items[0].id;
    cityOrg = (
      await admin.call('POST', '/api/v1/orgs', {
        name: '朝阳市民政局',
        type: 'department',
        level: 'city',
        uscc: makeUscc('1', '1', '211300', 'MB2C0001'),
        regionCode: '211300',
        parentId: province,
      })
    ).json().id;
  });
  afterAll(() => t?.close());

  it('enrols an administrator at the first sign-in: QR code, secret sealed at rest, ten recovery codes shown once and stored hashed', async () => {
    const first = await password('auditor');
    expect(first.statusCode).toBe(200);
    expect(first.cookies.find((c) => c.name === 'pdx_session')).toBeUndefined();
    const { secondFactor } = first.json();
    expect(secondFactor.enrol.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(secondFactor.enrol.otpauthUrl).toMatch(/^otpauth:\/\/totp\//);
    expect(secondFactor.enrol.qrDataUrl).toMatch(/^data:image\/png;base64,/);
    expect((await userRow('auditor')).totp_enrolled_at).toBeNull();

    // A wrong first code enrols nothing and opens nothing.
    const wrong = await second(secondFactor.ticket, await wrongCode(secondFactor.enrol.secret));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('invalid_second_factor');
    expect((await userRow('auditor')).totp_enrolled_at).toBeNull();

    const ok = await second(secondFactor.ticket, await t.authenticator.code('auditor', secondFactor));
    expect(ok.statusCode).toBe(200);
    expect(ok.cookies.find((c) => c.name === 'pdx_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(ok.json().user).toMatchObject({ username: 'auditor', roles: ['auditor'] });
    recoveryCodes = ok.json().recoveryCodes;
    expect(recoveryCodes).toHaveLength(10);

    const row = await userRow('auditor');
    expect(row.totp_enrolled_at).not.toBeNull();
    expect(row.totp_secret).not.toContain(secondFactor.enrol.secret);
    const stored = JSON.stringify(await t.db.query('SELECT * FROM user_recovery_codes WHERE user_id = $1', [row.id]));
    expect((await t.db.query('SELECT 1 FROM user_recovery_codes WHERE user_id = $1', [row.id])).length).toBe(10);
    for (const code of recoveryCodes) expect(stored).not.toContain(code.replace(/-/g, '').slice(0, 8));
    // The secret is not given out again: the next sign-in asks for a code, not an enrolment.
    expect((await password('auditor')).json().secondFactor.enrol).toBeUndefined();

    const users = (await admin.call('GET', '/api/v1/users')).json().items as { username: string; secondFactor: boolean }[];
    expect(users.find((u) => u.username === 'auditor')?.secondFactor).toBe(true);
    const enrolled = t.events.find((e) => e.action === 'auth.totp_enrol' && e.actor?.username === 'auditor');
    expect(enrolled?.result).toBe('success');
    expect(
      t.events.some((e) => e.action === 'auth.login' && e.result === 'success' && e.actor?.username === 'auditor' && e.details?.method === 'password+totp'),
    ).toBe(true);
    expect(JSON.stringify(t.events)).not.toContain(secondFactor.enrol.secret);
  });

  it('accepts a code once and a ticket once', async () => {
    const { secondFactor } = (await password('auditor')).json();
    // The code of the last accepted step, right but used: refused as a replay.
    const replay = await second(secondFactor.ticket, await codeNow('auditor'));
    expect(replay.statusCode).toBe(401);
    expect(t.events.at(-1)).toMatchObject({ action: 'auth.login', result: 'failure', details: { factor: 'totp', reason: 'replayed' } });
    const ok = await second(secondFactor.ticket, await t.authenticator.code('auditor', secondFactor));
    expect(ok.statusCode).toBe(200);
    const again = await second(secondFactor.ticket, await t.authenticator.code('auditor', secondFactor));
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe('sign_in_expired');
    expect((await second('no-such-ticket', '123456')).json().error.code).toBe('sign_in_expired');
  });

  it('signs in with a recovery code once, and says how many are left', async () => {
    const { secondFactor } = (await password('auditor')).json();
    const ok = await second(secondFactor.ticket, recoveryCodes[0]!.toLowerCase());
    expect(ok.statusCode).toBe(200);
    expect(ok.json().recoveryCodesLeft).toBe(9);
    expect(t.events.some((e) => e.action === 'auth.login' && e.result === 'success' && e.details?.method === 'password+recovery_code')).toBe(true);
    const reuse = await second((await password('auditor')).json().secondFactor.ticket, recoveryCodes[0]!);
    expect(reuse.statusCode).toBe(401);
    expect(t.events.at(-1)).toMatchObject({ action: 'auth.login', result: 'failure', details: { factor: 'recovery_code', reason: 'wrong_recovery_code' } });
  });

  it('locks the account after five wrong codes, as after five wrong passwords, and records the lockout', async () => {
    await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    for (let i = 0; i < 5; i++) {
      const { secondFactor } = (await password('secadmin')).json();
      expect((await second(secondFactor.ticket, await wrongCode(t.authenticator.secret('secadmin')!))).statusCode).toBe(401);
    }
    expect(t.events.find((e) => e.action === 'auth.lockout' && e.target?.label === 'secadmin')?.details).toMatchObject({ factor: 'totp' });
    // Locked: even the right password and code open nothing until the sysadmin unlocks.
    const locked = await password('secadmin');
    expect(locked.statusCode).toBe(401);
    expect(locked.json().error.code).toBe('invalid_credentials');
    expect((await admin.call('POST', `/api/v1/users/${(await userRow('secadmin')).id}/unlock`)).statusCode).toBe(204);
    expect((await (await t.login('secadmin', ADMIN_PASSWORDS.secadmin)).call('GET', '/api/v1/auth/me')).json().username).toBe('secadmin');
    expect((await userRow('secadmin')).failed_logins).toBe(0);
  });

  it('asks data officers for a second factor when the security administrator sets it, and lets the sysadmin reset theirs', async () => {
    const officer = await provisionUser(t, admin, 'mz-officer', ['data_officer'], cityOrg);
    const secadmin = await t.login('secadmin', ADMIN_PASSWORDS.secadmin);
    expect((await secadmin.call('GET', '/api/v1/auth/sign-on-policy')).json()).toEqual({ totpForDataOfficers: false });
    expect((await secadmin.call('PUT', '/api/v1/auth/sign-on-policy', { totpForDataOfficers: true })).statusCode).toBe(200);
    expect(t.events.at(-1)).toMatchObject({
      action: 'settings.sign_on',
      details: { before: { totpForDataOfficers: false }, after: { totpForDataOfficers: true } },
    });

    const login = await t.anonymous.call('POST', '/api/v1/auth/login', { username: 'mz-officer', password: officer.password });
    expect(login.json().secondFactor.enrol).toBeDefined();
    const signedIn = await t.login('mz-officer', officer.password);
    expect(
      (await t.anonymous.call('POST', '/api/v1/auth/login', { username: 'mz-officer', password: officer.password })).json().secondFactor.enrol,
    ).toBeUndefined();
    expect((await signedIn.call('GET', '/api/v1/auth/me')).statusCode).toBe(200);

    // Lost phone: the sysadmin removes the authenticator; the officer enrols again at the next sign-in.
    expect((await admin.call('POST', `/api/v1/users/${officer.id}/reset-second-factor`)).statusCode).toBe(204);
    // Like a password reset, it ends the account's sessions (whoever holds the lost phone may be signed in).
    expect((await signedIn.call('GET', '/api/v1/auth/me')).statusCode).toBe(401);
    expect(
      (await t.anonymous.call('POST', '/api/v1/auth/login', { username: 'mz-officer', password: officer.password })).json().secondFactor.enrol,
    ).toBeDefined();
    expect(t.events.some((e) => e.action === 'user.mfa_reset' && e.target?.label === 'mz-officer')).toBe(true);
    // An administrator's authenticator is not the sysadmin's to remove alone (三员: host access only).
    const refused = await admin.call('POST', `/api/v1/users/${(await userRow('auditor')).id}/reset-second-factor`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('two_person_control');
    expect((await secadmin.call('PUT', '/api/v1/auth/sign-on-policy', { totpForDataOfficers: false })).statusCode).toBe(200);
  });

  it('gives each sign-on endpoint to exactly the roles that may use it', async () => {
    const clients: Record<string, Client> = {
      sysadmin: admin,
      secadmin: await t.login('secadmin', ADMIN_PASSWORDS.secadmin),
      auditor: await t.login('auditor', ADMIN_PASSWORDS.auditor),
      data_officer: (await provisionUser(t, admin, 'matrix-officer', ['data_officer'], cityOrg)).client,
      consumer: (await provisionUser(t, admin, 'matrix-consumer', ['consumer'], cityOrg)).client,
    };
    const target = (await provisionUser(t, admin, 'matrix-target', ['consumer'], cityOrg)).id;
    const endpoints: [string, string, unknown, string[]][] = [
      ['GET', '/api/v1/auth/sign-on-policy', undefined, ['sysadmin', 'secadmin']],
      ['PUT', '/api/v1/auth/sign-on-policy', { totpForDataOfficers: false }, ['secadmin']],
      ['POST', `/api/v1/users/${target}/reset-second-factor`, undefined, ['sysadmin']],
    ];
    for (const [method, url, body, allowed] of endpoints) {
      for (const [role, c] of Object.entries(clients)) {
        const res = await c.call(method, url, body);
        if (allowed.includes(role)) expect(res.statusCode, `${role} ${method} ${url}`).toBeLessThan(300);
        else expect(res.statusCode, `${role} ${method} ${url}`).toBe(403);
      }
      expect((await t.anonymous.call(method, url, body)).statusCode, `anonymous ${method} ${url}`).toBe(401);
    }
    // Approval is the sysadmin's; an account not waiting is a conflict, not a success.
    for (const [role, c] of Object.entries(clients)) {
      expect((await c.call('POST', `/api/v1/users/${target}/approve`)).statusCode, role).toBe(role === 'sysadmin' ? 409 : 403);
    }
    expect((await t.anonymous.call('POST', `/api/v1/users/${target}/approve`)).statusCode).toBe(401);
    // Public: what the sign-in page offers, the second step (which needs a live ticket) and sign-on (not configured here).
    expect((await t.anonymous.call('GET', '/api/v1/auth/options')).json()).toEqual({ sso: { enabled: false, demo: false } });
    expect((await t.anonymous.call('POST', '/api/v1/auth/second-factor', { ticket: 'x', code: '123456' })).statusCode).toBe(401);
    const start = await t.anonymous.call('GET', '/api/v1/auth/sso/start');
    expect(start.statusCode).toBe(302);
    expect(start.headers.location).toBe('/?sso_error=not_configured');
    expect((await t.anonymous.call('GET', '/api/v1/auth/sso/callback?state=x&code=y')).headers.location).toBe('/?sso_error=not_configured');
  });
});
