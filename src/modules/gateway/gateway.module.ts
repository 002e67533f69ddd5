/**
 * One call that wires interface sharing. In main.ts:
 *
 *   const gateway = createGatewayModule({ db, events, catalog, records: share.records, keyring, egress: egress.service, audit, identity, isAuthority });
 *   … routes: [ …, gateway.routes ]; after listen: gateway.start() (health checks); on close: await gateway.stop()
 */
import type { Db } from '../../db/index.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { EventSink } from '../audit/events.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { EgressService } from '../egress/egress.service.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import type { Principal } from '../../http/access.ts';
import type { Keyring } from '../protect/keyring.ts';
import type { RecordsService } from '../share/records.service.ts';
import { ticker } from '../jobs/ticker.ts';
import { gatewayRoutes } from './gateway.routes.ts';
import { createGatewayService } from './gateway.service.ts';
import { createCallStats } from './stats.ts';

/** How often due health checks are looked for (a service's own interval is at least 1 s). */
const HEALTH_TICK_MS = 1_000;

export function createGatewayModule(deps: {
  db: Db;
  events: EventSink;
  catalog: Pick<CatalogService, 'create' | 'setResourceColumns' | 'get' | 'getOwned' | 'visible' | 'columnsOf' | 'byId'>;
  records: Pick<RecordsService, 'resolve' | 'countCall'>;
  keyring: Pick<Keyring, 'fieldCipher' | 'datasetKeys' | 'keysFromRows' | 'suite' | 'seal' | 'unseal'>;
  onError?: (error: unknown) => void;
  egress: Pick<EgressService, 'checkHost' | 'checkAddress' | 'lookupFor' | 'generation'>;
  /** The message log read for the call statistics. */
  audit: Pick<AuditLog, 'callStats'>;
  identity: Pick<IdentityService, 'listOrgs'>;
  /** Whether the caller acts for the platform authority (sees every service's statistics). */
  isAuthority?: (p: Principal) => Promise<boolean>;
}) {
  const service = createGatewayService(deps);
  const stats = createCallStats({
    audit: deps.audit,
    identity: deps.identity,
    services: () => service.registered(),
    ...(deps.isAuthority ? { isAuthority: deps.isAuthority } : {}),
  });
  const health = ticker(() => service.healthTick(), HEALTH_TICK_MS, deps.onError ?? ((e: unknown) => console.error('[gateway]', e)));
  return {
    service,
    stats,
    routes: gatewayRoutes({ gateway: service, stats }),
    /** Runs the due health checks every HEALTH_TICK_MS (each service at its own interval). */
    start: health.start,
    stop: health.stop,
  };
}

export type GatewayModule = ReturnType<typeof createGatewayModule>;
