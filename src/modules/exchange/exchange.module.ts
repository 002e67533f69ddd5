/**
 * One call that wires database exchange. In main.ts:
 *
 *   const exchange = createExchangeModule({ db, events, jobs, ingest, catalog, sealer: keyring, egress, records, share, identity });
 *   … routes: [ …, exchange.routes ]; after listen: exchange.start(); on close: await exchange.stop();
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ticker } from '../jobs/ticker.ts';
import { createCdcWorker, type CdcOptions } from './cdc.ts';
import { exchangeRoutes } from './exchange.routes.ts';
import { createExchangeService } from './exchange.service.ts';
import { pushRoutes } from './push.routes.ts';
import { createPushService } from './push.service.ts';

/** How often the schedule looks for bindings and subscriptions whose run is due. */
const TICK_MS = 15_000;

export function createExchangeModule(
  deps: Parameters<typeof createExchangeService>[0] &
    Pick<Parameters<typeof createPushService>[0], 'records' | 'share' | 'identity'> & {
      catalog: Parameters<typeof createPushService>[0]['catalog'];
      onError?: (error: unknown) => void;
      cdc?: CdcOptions;
    },
) {
  const service = createExchangeService(deps);
  const push = createPushService({
    db: deps.db,
    events: deps.events,
    jobs: deps.jobs,
    records: deps.records,
    share: deps.share,
    catalog: deps.catalog,
    identity: deps.identity,
    exchange: service,
  });
  const onError = deps.onError ?? ((e: unknown) => console.error('[exchange]', e));
  const schedule = ticker(
    async () => {
      await service.tick().catch(onError);
      await push.tick();
    },
    TICK_MS,
    onError,
  );
  // cdc bindings stream continuously, one process per binding (cdc.ts).
  const cdc = createCdcWorker({ db: deps.db, exchange: service, jobs: deps.jobs, onError }, deps.cdc);
  const pull = exchangeRoutes({ exchange: service });
  const deliver = pushRoutes({ exchange: service, push });
  const routes: FastifyPluginAsyncZod = async (app, options) => {
    await pull(app, options);
    await deliver(app, options);
  };
  return {
    service,
    push,
    routes,
    cdc,
    /** Queues scheduled runs and deliveries every 15 s (the job worker carries them out); streams cdc bindings. */
    start() {
      schedule.start();
      cdc.start();
    },
    async stop() {
      await Promise.all([schedule.stop(), cdc.stop()]);
    },
  };
}

export type ExchangeModule = ReturnType<typeof createExchangeModule>;
