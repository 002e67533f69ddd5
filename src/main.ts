import path from 'node:path';
import { xlsxLimitsOf, type Config } from './config.ts';
import { migrate, openDatabase, type Db } from './db/index.ts';
import { buildApp, type App } from './http/app.ts';
import { createAuditModule } from './modules/audit/audit.module.ts';
import type { AuditLog } from './modules/audit/audit.service.ts';
import { createAuditTrust, type AuditTrust } from './modules/audit/trust.ts';
import type { EventSink } from './modules/audit/events.ts';
import { createClassifyModule } from './modules/classify/classify.module.ts';
import { createShareModule } from './modules/share/share.module.ts';
import { createDutiesModule } from './modules/duties/duties.module.ts';
import { createOpenModule } from './modules/open/open.module.ts';
import { createSecopsModule } from './modules/secops/secops.module.ts';
import type { SecopsDeps } from './modules/secops/secops.service.ts';
import { createOverviewModule } from './modules/overview/overview.module.ts';
import { createCatalogModule } from './modules/catalog/catalog.module.ts';
import { createCatalogReader } from './modules/catalog/catalog.service.ts';
import { loadDemoWorld, type DemoAccount } from './modules/demo/world.ts';
import { createDemoModule } from './modules/demo/demo.module.ts';
import { startDemoGateway } from './modules/demo/world-gateway.ts';
import { freePortOr, hasDemoTelemetry, loadDemoTelemetry, startDemoSimulation } from './modules/demo/world-telemetry.ts';
import { bootstrapIdentity, type FirstCredentials } from './modules/identity/bootstrap.ts';
import { createIdentityModule } from './modules/identity/identity.module.ts';
import { setPasswordCost } from './modules/identity/passwords.ts';
import type { DemoIdp } from './modules/identity/demo-idp.ts';
import { createIngestModule } from './modules/ingest/ingest.module.ts';
import { createJobsModule } from './modules/jobs/jobs.module.ts';
import { createProtectModule } from './modules/protect/protect.module.ts';
import { createSystemModule } from './modules/system/system.module.ts';
import { createTelemetryModule } from './modules/telemetry/telemetry.module.ts';
import { envNetworks } from './modules/egress/egress.ts';
import { createEgressModule } from './modules/egress/egress.module.ts';
import { createExchangeModule } from './modules/exchange/exchange.module.ts';
import { createGatewayModule } from './modules/gateway/gateway.module.ts';

export interface PlatformOptions {
  /** Also hand every security event to this sink (tests observe events this way). */
  observe?: EventSink;
  /** Poll interval of the job worker. */
  jobPollMs?: number;
  /** Progress lines of a long start (demo world loading). */
  log?: (line: string) => void;
  /** Clocks and mail server of security operations (tests replay a night at 03:00, use a local SMTP). */
  secops?: Pick<SecopsDeps, 'eventTime' | 'now' | 'smtp'>;
  /** The clock the duties' deadlines are judged by (tests move it). */
  duties?: { now?: () => Date };
  /** Where the HTTP server's JSON log goes (default: stdout). */
  logStream?: NodeJS.WritableStream;
  /** The clock second-factor codes are checked against (tests sign in many times a minute with a stepping clock). */
  now?: () => Date;
  /**
   * The demo plant starts with this much history (ms): the instants of that span are sent at its
   * first tick, as a gateway catching up (tests see its injected faults without waiting minutes).
   */
  demoPlantHistoryMs?: number;
}

/** The demo world loads on a first start with an empty catalogue, by default only when embedded. */
async function wantsDemo(config: Config, services: Platform['services']): Promise<boolean> {
  if (!(config.PDX_DEMO ?? !config.PDX_DATABASE_URL)) return false;
  return services.catalog.isEmpty();
}

/** The audit log's trust outside the database: the pin next to the master key, the witness in the data directory. */
export function auditTrustOf(config: Config): AuditTrust {
  return createAuditTrust({
    ...(config.PDX_AUDIT_PUBLIC_KEY ? { publicKey: config.PDX_AUDIT_PUBLIC_KEY } : {}),
    pinDir: config.PDX_MASTER_KEY_FILE ? path.dirname(path.resolve(config.PDX_MASTER_KEY_FILE)) : config.dataDir,
    dataDir: config.dataDir,
  });
}

/** Sends each event to the audit log first (its commit is what callers wait for), then observers. */
function tee(audit: AuditLog, observe?: EventSink): EventSink {
  if (!observe) return audit;
  return {
    async record(event) {
      await audit.record(event);
      await observe.record(event);
    },
  };
}

/**
 * The services of one pdx process on one database, and the HTTP app over them (not listening).
 * Opening the keyring verifies the master key first: a wrong key stops here, before serving.
 */
export async function createPlatform(config: Config, db: Db, options: PlatformOptions = {}) {
  setPasswordCost(config.PDX_PASSWORD_COST);
  const protect = await createProtectModule({ db, config });
  const { keyring, warning: masterKeyWarning } = protect;
  const {
    audit,
    routes: auditRoutes,
    notice: auditNotice,
  } = await createAuditModule({
    db,
    sealer: keyring,
    hash: config.PDX_CRYPTO === 'gm' ? 'sm3' : 'sha256',
    trust: auditTrustOf(config),
  });
  const events = tee(audit, options.observe);
  const identityModule = createIdentityModule({ db, events, sealer: keyring, config, ...(options.now ? { now: options.now } : {}) });
  const identity = identityModule.service;
  const jobsModule = createJobsModule({ db, identity, pollMs: options.jobPollMs ?? 1000 });
  const jobs = jobsModule.service;
  // The classification review reads the catalogue and is its publication gate: it is built on a
  // reader first, and the catalogue service gets the gate at construction.
  const classify = createClassifyModule({ db, events, catalog: createCatalogReader(db), keyring, maxBytes: config.PDX_MAX_UPLOAD_BYTES });
  const { review } = classify;
  const catalogModule = createCatalogModule({
    db,
    events,
    identity,
    publishGate: (d) => review.assertPublishable(d),
    ...(config.PDX_PUBLIC_URL ? { publicUrl: config.PDX_PUBLIC_URL } : {}),
    // The duties module (built later) judges each entry's upkeep.
    upkeep: { of: (rows) => duties.upkeep.of(rows) },
  });
  const catalog = catalogModule.service;
  const ingestModule = createIngestModule({
    db,
    jobs,
    catalog,
    keyring,
    events,
    spoolDir: path.join(config.dataDir, 'spool'),
    maxBytes: config.PDX_MAX_UPLOAD_BYTES,
    xlsx: xlsxLimitsOf(config),
    afterVersion: (datasetId) => review.refreshEffectiveGrades(datasetId),
  });
  const ingest = ingestModule.service;
  const rotation = protect.rotation({ jobs, events, catalog });
  // Sharing asks modules built after it (gateway, duties) through hooks given here, bound to them
  // once they exist: nothing is set on the sharing services afterwards.
  const share = createShareModule({
    db,
    catalog,
    identity,
    keyring,
    events,
    jobs,
    hooks: {
      operationsOf: (datasetId) => gateway.service.operationsOf(datasetId),
      requestClocks: (rows) => duties.service.clocksOf(rows),
      grantUsage: (grants) => duties.evaluation.grantUsage(grants),
      flaggedRows: (datasetId) => duties.objections.flaggedRows(datasetId),
    },
  });
  // Every connection pdx opens to another system (interface upstream, data source, webhook) goes through the egress guard.
  const egress = createEgressModule({ db, events, envAllow: envNetworks(config.PDX_UPSTREAM_ALLOW), listen: { host: config.PDX_HOST, port: config.PDX_PORT } });
  const secops = createSecopsModule({
    db,
    egress: egress.service,
    events,
    audit,
    identity,
    catalog,
    share: share.share,
    sealer: keyring,
    smtp: config.PDX_SMTP_HOST
      ? {
          host: config.PDX_SMTP_HOST,
          port: config.PDX_SMTP_PORT ?? (config.PDX_SMTP_SECURE ? 465 : 587),
          secure: config.PDX_SMTP_SECURE,
          ...(config.PDX_SMTP_USER ? { user: config.PDX_SMTP_USER } : {}),
          ...(config.PDX_SMTP_PASSWORD ? { password: config.PDX_SMTP_PASSWORD } : {}),
          from: config.PDX_SMTP_FROM,
        }
      : undefined,
    ...(config.PDX_PUBLIC_URL ? { publicUrl: config.PDX_PUBLIC_URL } : {}),
    ...options.secops,
  });
  const telemetry = createTelemetryModule({ db, events, catalog, records: share.records, config });
  const duties = createDutiesModule({
    db,
    events,
    share: share.share,
    records: share.records,
    ingest,
    sealer: keyring,
    catalog,
    identity,
    audit,
    telemetry: telemetry.service,
    ...options.duties,
  });
  const open = createOpenModule({ db, events, catalog, review, share: share.share, identity, config, log: (fields, message) => app.log.warn(fields, message) });
  const exchange = createExchangeModule({
    db,
    events,
    jobs,
    ingest,
    catalog,
    sealer: keyring,
    egress: egress.service,
    records: share.records,
    share: share.share,
    identity,
  });
  const gateway = createGatewayModule({
    db,
    events,
    catalog,
    records: share.records,
    keyring,
    egress: egress.service,
    audit,
    identity,
    isAuthority: (p) => duties.demands.isAuthority(p),
  });
  const services = {
    egress: egress.service,
    identity,
    oidc: identityModule.oidc,
    jobs,
    catalog,
    ingest,
    keyring,
    audit,
    events,
    rotation,
    review,
    share,
    secops,
    telemetry,
    open,
    duties,
    exchange,
    gateway,
  };
  const app = await buildApp({
    config,
    db,
    events,
    auth: identity,
    maxUploadBytes: config.PDX_MAX_UPLOAD_BYTES,
    ...(options.logStream ? { logStream: options.logStream } : {}),
    routes: [
      createSystemModule({ db }).routes,
      identityModule.routes,
      catalogModule.routes,
      ingestModule.routes,
      jobsModule.routes,
      auditRoutes,
      classify.routes,
      createOverviewModule({ catalog, identity, review, audit, share: share.share, secops: secops.service, duties: duties.toDo }).routes,
      share.routes,
      secops.routes,
      telemetry.routes,
      open.routes,
      duties.routes,
      exchange.routes,
      gateway.routes,
      egress.routes,
      createDemoModule({ services }).routes,
    ],
    rootRoutes: [telemetry.rootRoutes, open.rootRoutes],
    society: open.society,
  });
  return { app, services, masterKeyWarning, ...(auditNotice ? { auditNotice } : {}) };
}

export type Platform = Awaited<ReturnType<typeof createPlatform>>;

export interface Server {
  app: App;
  db: Db;
  platform: Platform;
  url: string;
  /** Accounts created by this start (first start only), with generated passwords to show once. */
  firstCredentials?: FirstCredentials[];
  /** Demo accounts created by this start, with their passwords to show once. */
  demoAccounts?: DemoAccount[];
  /** The demo identity provider (PDX_DEMO_IDP) and the people one can sign in as there. */
  demoIdp?: Pick<DemoIdp, 'issuer' | 'people'>;
  /**
   * Stops within PDX_SHUTDOWN_GRACE_SECONDS: no new connections, in-flight requests and the job in
   * hand may finish until then; after it open connections are cut and a job still running is left
   * to be taken over (as after a crash). Then the last records get a signed head and the database
   * closes. Resolves `{ clean: false }` when something had to be cut.
   */
  close(): Promise<{ clean: boolean }>;
}

/** Resolves with the promise's outcome, or 'late' once the deadline passes. */
async function until<T>(work: Promise<T>, deadline: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), 'late')));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wiring only: config → database → migrations → keys → modules → first-start accounts → HTTP. */
export async function startServer(config: Config, options: PlatformOptions = {}): Promise<Server> {
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const platform = await createPlatform(config, db, options);
    const { app, services } = platform;
    const firstCredentials = await bootstrapIdentity(db, services.identity, {
      sysadmin: config.PDX_ADMIN_PASSWORD,
      secadmin: config.PDX_SECADMIN_PASSWORD,
      auditor: config.PDX_AUDITOR_PASSWORD,
    });
    const demoAccounts = (await wantsDemo(config, services))
      ? await loadDemoWorld(services, { dataDir: config.dataDir, people: config.PDX_DEMO_PEOPLE, log: options.log })
      : undefined;
    if (demoAccounts && config.PDX_DEMO_TELEMETRY !== false) await loadDemoTelemetry(services, { dataDir: config.dataDir, log: options.log });
    // The demo interface's upstream runs on every start of a data directory whose demo world has it.
    const demoGateway =
      config.PDX_DEMO_GATEWAY !== false
        ? await startDemoGateway(services, { dataDir: config.dataDir, first: Boolean(demoAccounts), log: options.log })
        : undefined;
    demoAccounts?.push(...(demoGateway?.accounts ?? []));
    // The simulated plant runs on every start of a data directory whose demo world has it.
    const simulate = config.PDX_DEMO_TELEMETRY !== false && hasDemoTelemetry(config.dataDir);
    await app.listen({ port: config.PDX_PORT, host: config.PDX_HOST });
    services.jobs.start();
    services.secops.start();
    await services.telemetry.start({ mqttPort: config.PDX_MQTT_PORT ?? (simulate ? await freePortOr(1883, config.PDX_HOST) : undefined) });
    services.open.start();
    services.duties.start();
    services.exchange.start();
    services.gateway.start();
    const simulation = simulate
      ? await startDemoSimulation({
          dataDir: config.dataDir,
          port: services.telemetry.brokerPort()!,
          host: config.PDX_HOST,
          tls: Boolean(config.PDX_TLS_CERT),
          ...(options.demoPlantHistoryMs === undefined ? {} : { historyMs: options.demoPlantHistoryMs }),
        })
      : undefined;
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.PDX_PORT;
    services.egress.setListen(config.PDX_HOST, port);
    const host = config.PDX_HOST === '0.0.0.0' || config.PDX_HOST === '::' ? 'localhost' : config.PDX_HOST;
    const url = `${config.PDX_TLS_CERT ? 'https' : 'http'}://${host}:${port}`;
    // The demo identity provider needs pdx's address (its redirect URI), known once pdx listens.
    // Loaded only when asked for: the demo provider's library is not needed (nor loaded) otherwise.
    const demoIdp = config.PDX_DEMO_IDP
      ? await (await import('./modules/identity/demo-idp.ts')).startDemoIdp({ db, publicUrl: config.PDX_PUBLIC_URL ?? url })
      : undefined;
    if (demoIdp) services.oidc.configure(demoIdp.options);
    return {
      app,
      db,
      platform,
      url,
      ...(demoIdp ? { demoIdp: { issuer: demoIdp.issuer, people: demoIdp.people } } : {}),
      ...(firstCredentials ? { firstCredentials } : {}),
      ...(demoAccounts ? { demoAccounts } : {}),
      async close() {
        await demoIdp?.stop();
        await simulation?.stop();
        await demoGateway?.stop();
        const deadline = Date.now() + config.PDX_SHUTDOWN_GRACE_SECONDS * 1000;
        const http = app.close();
        // A keep-alive connection whose request finished after close began would otherwise be waited on.
        const idle = setInterval(() => app.server.closeIdleConnections(), 100);
        void http.finally(() => clearInterval(idle));
        const workers = Promise.all([
          services.secops.stop(),
          services.open.stop(),
          services.duties.stop(),
          services.exchange.stop(),
          services.gateway.stop(),
          services.jobs.stop(),
          services.telemetry.stop(),
        ]);
        let clean = true;
        if ((await until(http, deadline)) === 'late') {
          clean = false;
          app.server.closeAllConnections();
          await http;
        }
        // No request runs any more: the API keys' waiting last-use times are written.
        await services.identity.stop().catch((error: unknown) => app.log.error(error, 'last-use times of API keys not written'));
        if ((await until(workers, deadline)) === 'late') {
          // A job still running keeps using the database: leave it (and the database) to end with the
          // process; its stale heartbeat lets the next worker take the job over.
          await services.audit.close();
          return { clean: false };
        }
        await services.audit.checkpoint().catch(() => undefined);
        await services.audit.close();
        await db.close();
        return { clean };
      },
    };
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}
