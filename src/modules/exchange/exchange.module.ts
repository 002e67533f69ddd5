/**
 * One call that wires database exchange. In main.ts:
 *
 *   const exchange = createExchangeModule({ db, events, jobs, ingest, catalog, sealer: keyring });
 *   … routes: [ …, exchange.routes ]; after listen: exchange.start(); on close: await exchange.stop();
 */
import { ticker } from '../jobs/ticker.ts';
import { exchangeRoutes } from './exchange.routes.ts';
import { createExchangeService } from './exchange.service.ts';

/** How often the schedule looks for bindings whose run is due. */
const TICK_MS = 15_000;

export function createExchangeModule(deps: Parameters<typeof createExchangeService>[0] & { onError?: (error: unknown) => void }) {
  const service = createExchangeService(deps);
  const schedule = ticker(() => service.tick(), TICK_MS, deps.onError ?? ((e: unknown) => console.error('[exchange]', e)));
  return {
    service,
    routes: exchangeRoutes({ exchange: service }),
    /** Queues scheduled runs every 15 s (the job worker carries them out). */
    start: schedule.start,
    stop: schedule.stop,
  };
}

export type ExchangeModule = ReturnType<typeof createExchangeModule>;
