/**
 * One call that wires interface sharing. In main.ts:
 *
 *   const gateway = createGatewayModule({ db, events, catalog, records: share.records, share: share.share, keyring });
 *   … routes: [ …, gateway.routes ]
 */
import type { Db } from '../../db/index.ts';
import type { EventSink } from '../audit/events.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { Keyring } from '../protect/keyring.ts';
import type { RecordsService } from '../share/records.service.ts';
import type { ShareService } from '../share/share.service.ts';
import { gatewayRoutes } from './gateway.routes.ts';
import { createGatewayService } from './gateway.service.ts';

export function createGatewayModule(deps: {
  db: Db;
  events: EventSink;
  catalog: Pick<CatalogService, 'create' | 'setResourceColumns' | 'get' | 'getOwned' | 'visible' | 'repo'>;
  records: Pick<RecordsService, 'resolve' | 'countRequest' | 'reserveRows' | 'rowsQuotaError'>;
  share: Pick<ShareService, 'hooks'>;
  keyring: Pick<Keyring, 'fieldCipher' | 'datasetKeys' | 'suite'>;
}) {
  const service = createGatewayService(deps);
  // Requests for an interface name its operations; the sharing module checks them against these.
  deps.share.hooks.operationsOf = service.operationsOf;
  return { service, routes: gatewayRoutes({ gateway: service }) };
}

export type GatewayModule = ReturnType<typeof createGatewayModule>;
