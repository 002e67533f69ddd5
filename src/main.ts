import type { Config } from './config.ts';
import { migrate, openDatabase, type Db } from './db/index.ts';
import { buildApp, type App } from './http/app.ts';
import type { EventSink } from './modules/audit/events.ts';
import { bootstrapIdentity, type FirstCredentials } from './modules/identity/bootstrap.ts';
import { identityRoutes } from './modules/identity/identity.routes.ts';
import { createIdentityService } from './modules/identity/identity.service.ts';
import { systemRoutes } from './modules/system/system.routes.ts';

export interface Server {
  app: App;
  db: Db;
  url: string;
  /** Accounts created by this start (first start only), with generated passwords to show once. */
  firstCredentials?: FirstCredentials[];
  close(): Promise<void>;
}

/** The services of one pdx process on one database. */
export function createServices(config: Config, db: Db, events: EventSink) {
  const identity = createIdentityService({ db, events, settings: { sessionIdleMinutes: config.PDX_SESSION_IDLE_MINUTES } });
  return { identity };
}

/** Until the audit log is wired, security events go to the structured log. */
function logSink(app: () => App | undefined): EventSink {
  return {
    async record(event) {
      app()?.log.info({ event }, 'security event');
    },
  };
}

/** Wires the domain modules onto one database and returns the HTTP app (not yet listening). */
export async function createPdxApp(config: Config, db: Db, options: { events?: EventSink } = {}): Promise<App> {
  let app: App | undefined;
  const events = options.events ?? logSink(() => app);
  const services = createServices(config, db, events);
  app = await buildApp({
    config,
    db,
    events,
    auth: services.identity,
    routes: [systemRoutes({ db }), identityRoutes({ identity: services.identity, secureCookies: false })],
  });
  return app;
}

/** Wiring only: config → database → migrations → first-start accounts → modules → HTTP. */
export async function startServer(config: Config): Promise<Server> {
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const app = await createPdxApp(config, db);
    const firstCredentials = await bootstrapIdentity(db, createServices(config, db, logSink(() => app)).identity, {
      sysadmin: config.PDX_ADMIN_PASSWORD,
      secadmin: config.PDX_SECADMIN_PASSWORD,
      auditor: config.PDX_AUDITOR_PASSWORD,
    });
    await app.listen({ port: config.PDX_PORT, host: config.PDX_HOST });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.PDX_PORT;
    const host = config.PDX_HOST === '0.0.0.0' || config.PDX_HOST === '::' ? 'localhost' : config.PDX_HOST;
    return {
      app,
      db,
      url: `http://${host}:${port}`,
      ...(firstCredentials ? { firstCredentials } : {}),
      async close() {
        await app.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}
