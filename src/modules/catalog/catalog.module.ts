/**
 * One call that wires the catalogue: the service and its routes. In main.ts:
 *
 *   const catalog = createCatalogModule({ db, events, identity, publishGate, publicUrl, upkeep: { of: (rows) => duties.upkeep.of(rows) } });
 *   … other modules get `catalog.service` (as narrow Pick<> deps); routes: [ …, catalog.routes ]
 *
 * The classification review, which is the catalogue's publication gate and reads it, is built first on
 * `createCatalogReader(db)` and `createCatalogLookups(db)` (catalog.service.ts).
 */
import { catalogRoutes } from './catalog.routes.ts';
import { createCatalogLookups, createCatalogService } from './catalog.service.ts';
import type { UpkeepSource } from './upkeep.ts';

export function createCatalogModule(deps: Parameters<typeof createCatalogService>[0] & { publicUrl?: string; upkeep?: UpkeepSource }) {
  const { publicUrl, upkeep, ...serviceDeps } = deps;
  // The service with the lookups other modules read and write through (catalog.lookups.ts).
  const service = { ...createCatalogService(serviceDeps), ...createCatalogLookups(serviceDeps.db) };
  return { service, routes: catalogRoutes({ catalog: service, ...(publicUrl ? { publicUrl } : {}), ...(upkeep ? { upkeep } : {}) }) };
}

export type CatalogModule = ReturnType<typeof createCatalogModule>;
