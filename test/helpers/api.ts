/**
 * API tests drive the real app through inject(): real routes, hooks, schemas and database. Clients
 * sign in like the console does (session cookie + CSRF header) or use an API key.
 */
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../src/config.ts';
import type { Db } from '../../src/db/index.ts';
import type { App } from '../../src/http/app.ts';
import { createPdxApp, createServices } from '../../src/main.ts';
import { memorySink, type AuditEvent } from '../../src/modules/audit/events.ts';
import { bootstrapIdentity } from '../../src/modules/identity/bootstrap.ts';

export const ADMIN_PASSWORDS = { sysadmin: 'Liaoning-Ops-2026', secadmin: 'Hunnan-Guard-2026', auditor: 'Tiexi-Ledger-2026' };

export interface Client {
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

export interface TestApp {
  app: App;
  db: Db;
  services: ReturnType<typeof createServices>;
  /** Every security event the app recorded, in order. */
  events: AuditEvent[];
  /** A client signed in as the given user. */
  login(username: string, password: string): Promise<Client>;
  /** A client that sends the API key as a bearer token. */
  withKey(key: string): Client;
  anonymous: Client;
  close(): Promise<void>;
}

function client(app: App, headers: Record<string, string>): Client {
  return {
    call: (method, url, body, extra = {}) =>
      app.inject({ method: method as 'GET', url, headers: { ...headers, ...extra }, ...(body === undefined ? {} : { payload: body as object }) }),
  };
}

export async function startTestApp(db: Db, env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ PDX_LOG_LEVEL: 'silent', PDX_RATE_LIMIT: '100000', ...env });
  const sink = memorySink();
  const app = await createPdxApp(config, db, { events: sink });
  const services = createServices(config, db, sink);
  await bootstrapIdentity(db, services.identity, ADMIN_PASSWORDS);
  return {
    app,
    db,
    services,
    events: sink.events,
    async login(username, password) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
      if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
      const cookies = Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));
      return client(app, {
        cookie: Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; '),
        'x-csrf-token': cookies.pdx_csrf ?? '',
      });
    },
    withKey: (key) => client(app, { authorization: `Bearer ${key}` }),
    anonymous: client(app, {}),
    close: () => app.close(),
  };
}
