/**
 * One call that wires sharing: requests/approvals/grants, the data path (records, verification),
 * export jobs, and the route plugin. In main.ts:
 *
 *   const share = createShareModule({ db, catalog, identity, keyring, events, jobs, hooks: { operationsOf: (id) => gateway.service.operationsOf(id), … } });
 *   … routes: [ …, share.routes ]
 */
import type { Db } from '../../db/index.ts';
import type { EventSink } from '../audit/events.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import type { Jobs } from '../jobs/jobs.service.ts';
import type { Keyring } from '../protect/keyring.ts';
import { createExportsService } from './exports.service.ts';
import { createRecordsService } from './records.service.ts';
import { shareRoutes } from './share.routes.ts';
import { createShareService, type ShareHooks } from './share.service.ts';

export function createShareModule(deps: {
  db: Db;
  catalog: Pick<CatalogService, 'get' | 'byCode' | 'byId' | 'columnsOf' | 'names'>;
  identity: Pick<IdentityService, 'names' | 'notices'>;
  keyring: Pick<Keyring, 'datasetKeys' | 'keysFromRows' | 'seal' | 'unseal'>;
  events: EventSink;
  jobs: Pick<Jobs, 'enqueue' | 'get' | 'handle'>;
  hooks?: ShareHooks;
}) {
  const share = createShareService({
    db: deps.db,
    catalog: deps.catalog,
    identity: deps.identity,
    events: deps.events,
    ...(deps.hooks ? { hooks: deps.hooks } : {}),
  });
  const records = createRecordsService({ db: deps.db, keyring: deps.keyring, events: deps.events, share });
  const exports = createExportsService({ db: deps.db, jobs: deps.jobs, records, events: deps.events, sealer: deps.keyring, catalog: deps.catalog });
  return { share, records, exports, routes: shareRoutes({ share, records, exports }) };
}

export type ShareModule = ReturnType<typeof createShareModule>;
