/**
 * Society users: registration with e-mail verification over SMTP (a local smtp-server), the log
 * fallback without SMTP, no account enumeration through registration, reset or sign-in messages, the
 * same password rules and lockout as government users, open-API keys, and the per-address and per-key
 * rate limits of the portal.
 */
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, expect, it } from 'vitest';
import { openDataset, openWorld, type OpenWorld } from './open-helpers.ts';
import { startTestApp, type TestApp } from './helpers/api.ts';
import { describeEachBackend } from './helpers/db.ts';
import { startMailServer, type Mail } from './helpers/mail.ts';

const PASSWORD = 'Liaohe-Delta-2026!';
/** Two app instances on one database share the master key. */
const MASTER_KEY = randomBytes(32).toString('base64');

describeEachBackend('society users', ({ use }) => {
  let t: TestApp;
  let w: OpenWorld;
  let mails: Mail[];

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url, payload: body as object, headers });
  const mailTo = async (address: string, count: number) => {
    await expect.poll(() => mails.filter((m) => m.to.includes(address)).length).toBe(count);
    return mails.filter((m) => m.to.includes(address)).at(-1)!;
  };
  const tokenIn = (mail: Mail, path: string) => new RegExp(`https://data\\.ln\\.gov\\.cn${path}\\?token=([A-Za-z0-9_%-]+)`).exec(mail.text)?.[1];
  const login = async (email: string, password: string) => {
    const res = await post('/api/v1/open/account/login', { email, password });
    const cookies = Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));
    return {
      res,
      headers: {
        cookie: Object.entries(cookies)
          .map(([k, v]) => `${k}=${v}`)
          .join('; '),
        'x-csrf-token': cookies.pdx_open_csrf ?? '',
      },
    };
  };
  const sameAnswer = (a: LightMyRequestResponse, b: LightMyRequestResponse) => {
    expect(a.statusCode).toBe(b.statusCode);
    expect(a.body).toBe(b.body);
  };

  beforeAll(async () => {
    const smtp = await startMailServer();
    mails = smtp.mails;
    t = await startTestApp(use().db, {
      PDX_MASTER_KEY: MASTER_KEY,
      PDX_SMTP_HOST: '127.0.0.1',
      PDX_SMTP_PORT: String(smtp.port),
      PDX_PUBLIC_URL: 'https://data.ln.gov.cn',
      PDX_OPEN_REGISTRATIONS_PER_HOUR: '1000',
    });
    w = await openWorld(t, 120);
    return async () => {
      await t.close();
      await smtp.close();
    };
  });

  it('registers with a verification link by e-mail, and tells nobody whether an address is taken', async () => {
    const body = { email: 'Li.Hua@Example.cn', password: PASSWORD, kind: 'individual', displayName: '李华' };
    const first = await post('/api/v1/open/account/register', body);
    expect(first.statusCode, first.body).toBe(202);
    expect(first.json()).toEqual({ delivery: 'email' });
    const mail = await mailTo('li.hua@example.cn', 1);
    const token = tokenIn(mail, '/open/verify');
    expect(token).toBeDefined();
    // The same address again: the same answer; its owner is told by mail, without a link to use.
    const again = await post('/api/v1/open/account/register', { ...body, password: 'Another-Pass-2026!' });
    sameAnswer(first, again);
    const notice = await mailTo('li.hua@example.cn', 2);
    expect(notice.text).toContain('已注册');
    expect(tokenIn(notice, '/open/verify')).toBeUndefined();
    // Signed in but unverified: no application, no key.
    const session = await login('li.hua@example.cn', PASSWORD);
    expect(session.res.statusCode).toBe(200);
    expect(session.res.json().user.verified).toBe(false);
    const key = await post('/api/v1/open/account/keys', { name: 'app' }, session.headers);
    expect(key.statusCode).toBe(403);
    expect(key.json().error.code).toBe('email_not_verified');
    // Nor any application, comment, data request or showcase entry before the address is verified.
    await openDataset(w.officer, w.enterprises);
    const application = { purpose: '企业分布研究', intendedUse: '统计分析', applicant: { name: '李华' } };
    for (const [url, body] of [
      [`/api/v1/open/datasets/${w.enterprises}/applications`, application],
      [`/api/v1/open/datasets/${w.enterprises}/comments`, { rating: 5, body: '很有用' }],
      ['/api/v1/open/demands', { orgId: w.orgId, title: '按月统计', body: '希望开放按月统计' }],
      ['/api/v1/open/showcases', { title: '企业地图', description: '按城市展示', datasets: [w.enterprises] }],
    ] as const) {
      const refused = await post(url, body, session.headers);
      expect(refused.statusCode, url).toBe(403);
      expect(refused.json().error.code, url).toBe('email_not_verified');
    }
    expect(t.events.some((e) => e.action === 'open.application.submit')).toBe(false);
    // The link verifies once.
    const verified = await post('/api/v1/open/account/verify', { token: decodeURIComponent(token!) });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json().verified).toBe(true);
    expect((await post('/api/v1/open/account/verify', { token: decodeURIComponent(token!) })).statusCode).toBe(400);
    expect((await post('/api/v1/open/account/keys', { name: 'app' }, session.headers)).statusCode).toBe(201);
    expect((await post(`/api/v1/open/datasets/${w.enterprises}/applications`, application, session.headers)).statusCode).toBe(201);
    expect(t.events.filter((e) => e.action === 'open.register').map((e) => e.result)).toEqual(['success', 'failure']);
    expect(t.events.some((e) => e.action === 'open.verify')).toBe(true);
  });

  it('applies the government password rules; an enterprise needs a valid 统一社会信用代码', async () => {
    const weak = await post('/api/v1/open/account/register', { email: 'weak@example.cn', password: 'password1', kind: 'individual', displayName: '弱' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.code).toBe('weak_password');
    const badUscc = await post('/api/v1/open/account/register', {
      email: 'corp@example.cn',
      password: PASSWORD,
      kind: 'enterprise',
      displayName: '某公司',
      orgName: '某公司',
      uscc: '91350100M000100Y44',
    });
    expect(badUscc.json().error.code).toBe('invalid_uscc');
    const good = await post('/api/v1/open/account/register', {
      email: 'corp@example.cn',
      password: PASSWORD,
      kind: 'enterprise',
      displayName: '某公司',
      orgName: '某公司',
      uscc: '91350100M000100Y43',
    });
    expect(good.statusCode).toBe(202);
  });

  it('answers sign-in and reset the same for unknown and known addresses, and locks after 5 failures', async () => {
    const unknown = await post('/api/v1/open/account/login', { email: 'nobody@example.cn', password: PASSWORD });
    const wrong = await post('/api/v1/open/account/login', { email: 'li.hua@example.cn', password: 'Wrong-Pass-2026!' });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    sameAnswer(
      await post('/api/v1/open/account/reset-request', { email: 'nobody@example.cn' }),
      await post('/api/v1/open/account/reset-request', { email: 'corp@example.cn' }),
    );
    // A reset link arrives only for the account; the stranger's mail holds none.
    expect(tokenIn(await mailTo('nobody@example.cn', 1), '/open/reset')).toBeUndefined();
    const resetMail = await mailTo('corp@example.cn', 2);
    const token = decodeURIComponent(tokenIn(resetMail, '/open/reset')!);
    expect((await post('/api/v1/open/account/reset', { token, password: 'New-Liaoning-2026!' })).statusCode).toBe(204);
    expect((await login('corp@example.cn', PASSWORD)).res.statusCode).toBe(401);
    expect((await login('corp@example.cn', 'New-Liaoning-2026!')).res.json().user.verified).toBe(true);

    for (let i = 0; i < 4; i++) await post('/api/v1/open/account/login', { email: 'li.hua@example.cn', password: `Wrong-${i}-2026!` });
    const locked = await login('li.hua@example.cn', PASSWORD);
    expect(locked.res.statusCode).toBe(401);
    expect(locked.res.json()).toEqual(wrong.json());
    expect(t.events.some((e) => e.action === 'open.lockout' && e.actor?.username === 'li.hua@example.cn')).toBe(true);
  });

  it('writes the link to the log and says so when no SMTP server is configured', async () => {
    const lines: string[] = [];
    const plain = await startTestApp(use().db, {
      PDX_MASTER_KEY: MASTER_KEY,
      PDX_OPEN_REGISTRATIONS_PER_HOUR: '2',
      PDX_OPEN_ANONYMOUS_PER_MINUTE: '3',
      PDX_OPEN_KEY_PER_MINUTE: '20',
    });
    try {
      plain.app.log.warn = ((fields: { link?: string }) => void lines.push(fields.link ?? '')) as never;
      const res = await plain.app.inject({
        method: 'POST',
        url: '/api/v1/open/account/register',
        payload: { email: 'log@example.cn', password: PASSWORD, kind: 'individual', displayName: '日志' },
      });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({ delivery: 'log' });
      expect(lines.some((l) => /\/open\/verify\?token=/.test(l))).toBe(true);
      // Registrations per address and hour.
      await plain.app.inject({
        method: 'POST',
        url: '/api/v1/open/account/register',
        payload: { email: 'log2@example.cn', password: PASSWORD, kind: 'individual', displayName: '日志' },
      });
      const third = await plain.app.inject({
        method: 'POST',
        url: '/api/v1/open/account/register',
        payload: { email: 'log3@example.cn', password: PASSWORD, kind: 'individual', displayName: '日志' },
      });
      expect(third.statusCode).toBe(429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);

      // Anonymous reads at a low rate per address; a key reads at its own, higher rate.
      await openDataset(w.otherOfficer, w.events);
      const read = (headers: Record<string, string> = {}) =>
        plain.app.inject({ method: 'GET', url: `/api/v1/open/datasets/${w.events}/records?limit=1`, headers });
      for (let i = 0; i < 3; i++) expect((await read()).statusCode).toBe(200);
      expect((await read()).statusCode).toBe(429);
      const session = await login('corp@example.cn', 'New-Liaoning-2026!');
      const key = (await post('/api/v1/open/account/keys', { name: 'crawler' }, session.headers)).json().key as string;
      for (let i = 0; i < 5; i++) expect((await read({ authorization: `Bearer ${key}` })).statusCode).toBe(200);
      // A revoked key is refused at once.
      const keys = (await t.app.inject({ method: 'GET', url: '/api/v1/open/account/keys', headers: session.headers })).json().items;
      await post(`/api/v1/open/account/keys/${keys[0].id}/revoke`, {}, session.headers);
      const revoked = await read({ authorization: `Bearer ${key}` });
      expect(revoked.statusCode).toBe(401);
      expect(revoked.json().error.code).toBe('open_key_revoked');
    } finally {
      await plain.close();
    }
  });
});
