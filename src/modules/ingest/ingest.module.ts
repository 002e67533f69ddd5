/**
 * One call that wires aggregation (file uploads into versions): the service and its routes. In main.ts:
 *
 *   const ingest = createIngestModule({ db, jobs: jobs.service, catalog: catalog.service, keyring, events, …, afterVersion });
 *   … duties and exchange get `ingest.service`; routes: [ …, ingest.routes ]
 */
import { ingestRoutes } from './ingest.routes.ts';
import { createIngestService } from './ingest.service.ts';

export function createIngestModule(deps: Parameters<typeof createIngestService>[0]) {
  const service = createIngestService(deps);
  return { service, routes: ingestRoutes({ ingest: service }) };
}

export type IngestModule = ReturnType<typeof createIngestModule>;
