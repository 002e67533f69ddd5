/**
 * API tests drive the real platform through inject(): real routes, hooks, schemas, audit log and
 * database. Clients sign in like the console does (session cookie + CSRF header) or use an API key.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../src/config.ts';
import type { Db } from '../../src/db/index.ts';
import type { App } from '../../src/http/app.ts';
import { createPlatform, type Platform, type PlatformOptions } from '../../src/main.ts';
import { memorySink, type AuditEvent } from '../../src/modules/audit/events.ts';
import { bootstrapIdentity } from '../../src/modules/identity/bootstrap.ts';
import { authenticatorFor, createAuthenticator, registerAuthenticator, type Authenticator } from './authenticator.ts';
import { JOB_WAIT_MS } from './bounds.ts';
import { TEST_ENV } from './env.ts';

export const ADMIN_PASSWORDS = { sysadmin: 'Liaoning-Ops-2026', secadmin: 'Hunnan-Guard-2026', auditor: 'Tiexi-Ledger-2026' };
/** The same passwords as the first-start variables of a test server. */
export const ADMIN_PASSWORD_ENV = {
  PDX_ADMIN_PASSWORD: ADMIN_PASSWORDS.sysadmin,
  PDX_SECADMIN_PASSWORD: ADMIN_PASSWORDS.secadmin,
  PDX_AUDITOR_PASSWORD: ADMIN_PASSWORDS.auditor,
};

export interface Client {
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Headers this client sends (for multipart uploads built by the test). */
  headers: Record<string, string>;
}

export interface TestApp {
  app: App;
  db: Db;
  services: Platform['services'];
  /** Every security event the app recorded, in order (also in the audit log). */
  events: AuditEvent[];
  dataDir: string;
  /** The administrators' authenticator app (enrolled secrets, codes on the platform's stepping clock). */
  authenticator: Authenticator;
  /** A client signed in as the given user (with a TOTP code where the account needs one). */
  login(username: string, password: string): Promise<Client>;
  /** A client that sends the API key as a bearer token. */
  withKey(key: string): Client;
  anonymous: Client;
  close(): Promise<void>;
}

function client(app: App, headers: Record<string, string>): Client {
  return {
    headers,
    call: (method, url, body, extra = {}) =>
      app.inject({ method: method as 'GET', url, headers: { ...headers, ...extra }, ...(body === undefined ? {} : { payload: body as object }) }),
  };
}

/**
 * Signs in through the API like the console does and returns a client with the session and CSRF
 * headers; an account that needs a second factor gets a code from `authenticator`.
 */
export async function loginClient(app: App, username: string, password: string, authenticator: Authenticator = authenticatorFor(app)): Promise<Client> {
  let res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
  const secondFactor = res.json().secondFactor;
  if (secondFactor) {
    const code = await authenticator.code(username, secondFactor);
    res = await app.inject({ method: 'POST', url: '/api/v1/auth/second-factor', payload: { ticket: secondFactor.ticket, code } });
    if (res.statusCode !== 200) throw new Error(`second factor of ${username} failed: ${res.statusCode} ${res.body}`);
  }
  const cookies = Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));
  return client(app, {
    cookie: Object.entries(cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; '),
    'x-csrf-token': cookies.pdx_csrf ?? '',
  });
}

export async function startTestApp(db: Db, env: Record<string, string> = {}, options: Pick<PlatformOptions, 'duties'> = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-app-'));
  const config = loadConfig({
    ...TEST_ENV,
    PDX_LOG_LEVEL: 'silent',
    PDX_RATE_LIMIT: '100000',
    PDX_DATA_DIR: dataDir,
    PDX_MASTER_KEY: randomBytes(32).toString('base64'),
    ...env,
  });
  const sink = memorySink();
  const authenticator = createAuthenticator();
  const { app, services } = await createPlatform(config, db, { observe: sink, jobPollMs: 50, now: authenticator.now, ...options });
  registerAuthenticator(authenticator, { app });
  await bootstrapIdentity(db, services.identity, ADMIN_PASSWORDS);
  services.jobs.start();
  return {
    app,
    db,
    services,
    events: sink.events,
    dataDir,
    authenticator,
    login: (username, password) => loginClient(app, username, password, authenticator),
    withKey: (key) => client(app, { authorization: `Bearer ${key}` }),
    anonymous: client(app, {}),
    async close() {
      // Every background worker a test may have started, as the server stops them: their timers stop at
      // once; what they would still write fails quietly when the test closed its database first.
      await Promise.allSettled([
        services.jobs.stop(),
        services.secops.stop(),
        services.open.stop(),
        services.duties.stop(),
        services.exchange.stop(),
        services.gateway.stop(),
        services.telemetry.stop(),
      ]);
      await app.close();
      // As the server does: the API keys' waiting last-use times are written (if the database is still open).
      await services.identity.stop().catch(() => undefined);
      await services.audit.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a user as sysadmin and signs in once to replace the generated password; returns the signed-in client. */
/**
 * A user created by the sysadmin, signed in once with the generated password and moved to `password`
 * (for browser tests that sign in with it); returns a client signed in with the new password.
 */
export async function provisionWithPassword(
  app: App,
  admin: Client,
  u: { username: string; displayName?: string; orgId: string; roles: string[]; password: string },
): Promise<Client> {
  const user = await admin.call('POST', '/api/v1/users', { username: u.username, displayName: u.displayName ?? u.username, orgId: u.orgId, roles: u.roles });
  if (user.statusCode !== 201) throw new Error(`user ${u.username}: ${user.body}`);
  const first = await loginClient(app, u.username, user.json().password);
  const changed = await first.call('POST', '/api/v1/auth/password', { currentPassword: user.json().password, newPassword: u.password });
  if (changed.statusCode !== 204) throw new Error(`password of ${u.username}: ${changed.statusCode} ${changed.body}`);
  return loginClient(app, u.username, u.password);
}

export async function provisionUser(
  t: TestApp,
  admin: Client,
  username: string,
  roles: string[],
  orgId: string,
): Promise<{ client: Client; id: string; password: string }> {
  const res = await admin.call('POST', '/api/v1/users', { username, displayName: username, orgId, roles });
  if (res.statusCode !== 201) throw new Error(`create ${username}: ${res.body}`);
  const generated = res.json().password as string;
  const first = await t.login(username, generated);
  const password = `Shenyang-${randomBytes(3).toString('hex')}-Ok!`;
  const changed = await first.call('POST', '/api/v1/auth/password', { currentPassword: generated, newPassword: password });
  if (changed.statusCode !== 204) throw new Error(`password ${username}: ${changed.body}`);
  return { client: await t.login(username, password), id: res.json().user.id, password };
}

/** Creates an organisation as sysadmin and returns its id. */
export async function createOrg(admin: Client, name: string, level: 'province' | 'city' | 'county' = 'province', regionCode = '210000'): Promise<string> {
  const res = await admin.call('POST', '/api/v1/orgs', { name, type: 'department', level, regionCode });
  if (res.statusCode !== 201) throw new Error(`create org ${name}: ${res.body}`);
  return res.json().id;
}

/** Builds a multipart/form-data body with one file field. */
export function multipart(fileName: string, content: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----pdx${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, content, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * Polls a job until it finishes and returns its final state. The bound only catches a job that
 * never ends: loads take many times longer on a loaded 2-core machine than on an idle one.
 */
export async function waitForJob(
  c: Client,
  jobId: string,
  timeoutMs = JOB_WAIT_MS,
): Promise<{ state: string; error: { code: string; message: string } | null; result: Record<string, unknown> | null; rows: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await c.call('GET', `/api/v1/jobs/${jobId}`)).json();
    if (job.state === 'succeeded' || job.state === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
