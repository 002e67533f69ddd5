/**
 * One call that wires industrial telemetry. In main.ts:
 *
 *   const telemetry = createTelemetryModule({ db, events, catalog, identity, records: share.records, config });
 *   … routes: [ …, telemetry.routes ], rootRoutes: [ telemetry.rootRoutes ]
 *   // after listen:  await telemetry.start({ mqttPort });   on close:  await telemetry.stop();
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/index.ts';
import type { EventSink } from '../audit/events.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import type { RecordsService } from '../share/records.service.ts';
import { startBroker, subscribeExternal, type Broker } from './broker.ts';
import { createSeriesService } from './series.service.ts';
import { telemetryRoutes } from './telemetry.routes.ts';
import { createTelemetryService } from './telemetry.service.ts';

/** Samples written per transaction at most. */
const BATCH_SAMPLES = 20_000;
/** Partitions ahead, retention, the silence check: how often (ms). */
const MAINTENANCE_MS = 30_000;

export function createTelemetryModule(deps: {
  db: Db;
  events: EventSink;
  catalog: Pick<CatalogService, 'create' | 'setResourceColumns' | 'get'>;
  identity: Pick<IdentityService, 'find' | 'names'>;
  records: Pick<RecordsService, 'resolve' | 'countRequest' | 'reserveRows' | 'rowsQuotaError'>;
  config: Pick<
    Config,
    | 'PDX_TELEMETRY_BUFFER'
    | 'PDX_TELEMETRY_ACK_WAIT_MS'
    | 'PDX_HOST'
    | 'PDX_TLS_CERT'
    | 'PDX_TLS_KEY'
    | 'PDX_MQTT_EXTERNAL_URL'
    | 'PDX_MQTT_EXTERNAL_USERNAME'
    | 'PDX_MQTT_EXTERNAL_PASSWORD'
  >;
  onError?: (error: unknown) => void;
}) {
  const { config } = deps;
  const onError = deps.onError ?? ((e: unknown) => console.error('[telemetry]', e));
  const service = createTelemetryService({
    db: deps.db,
    events: deps.events,
    catalog: deps.catalog,
    identity: deps.identity,
    options: { bufferSamples: config.PDX_TELEMETRY_BUFFER, batchSamples: BATCH_SAMPLES, ackWaitMs: config.PDX_TELEMETRY_ACK_WAIT_MS, onError },
  });
  const series = createSeriesService({ records: deps.records, events: deps.events, repo: service.repo });
  const routes = telemetryRoutes({ telemetry: service, series });
  let broker: Broker | undefined;
  let external: Awaited<ReturnType<typeof subscribeExternal>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let upkeep: Promise<void> = Promise.resolve();

  return {
    service,
    series,
    routes: routes.api,
    rootRoutes: routes.root,
    /** The port the built-in broker listens on, once started. */
    brokerPort: () => broker?.port,

    /** Upkeep every 30 s; the built-in broker when a port is given; the external subscription when configured. */
    async start(options: { mqttPort?: number } = {}): Promise<void> {
      const run = () => {
        upkeep = service.maintain().catch(onError);
      };
      run();
      await upkeep;
      timer = setInterval(run, MAINTENANCE_MS);
      timer.unref();
      if (options.mqttPort !== undefined) {
        broker = await startBroker(service, deps.events, {
          port: options.mqttPort,
          host: config.PDX_HOST,
          ...(config.PDX_TLS_CERT && config.PDX_TLS_KEY
            ? { tls: { cert: fs.readFileSync(config.PDX_TLS_CERT), key: fs.readFileSync(config.PDX_TLS_KEY) } }
            : {}),
          onError,
        });
      }
      if (config.PDX_MQTT_EXTERNAL_URL) {
        external = await subscribeExternal(service, {
          url: config.PDX_MQTT_EXTERNAL_URL,
          clientId: `pdx-${os.hostname()}-${process.pid}`.slice(0, 64),
          ...(config.PDX_MQTT_EXTERNAL_USERNAME ? { username: config.PDX_MQTT_EXTERNAL_USERNAME } : {}),
          ...(config.PDX_MQTT_EXTERNAL_PASSWORD ? { password: config.PDX_MQTT_EXTERNAL_PASSWORD } : {}),
          onError,
        });
      }
    },

    /** Stops taking samples, then writes what was accepted. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await external?.close();
      await broker?.close();
      await upkeep;
      await service.writer.stop();
    },
  };
}

export type TelemetryModule = ReturnType<typeof createTelemetryModule>;
