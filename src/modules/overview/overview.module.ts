/**
 * One call that wires the overview (城市大脑 总览, the 工作台's to-do counts): the service and its routes.
 * In main.ts:
 *
 *   const overview = createOverviewModule({ catalog, identity, review: classify.review, audit, share: share.share, secops: secops.service, duties: duties.toDo });
 *   routes: [ …, overview.routes ]
 */
import { overviewRoutes } from './overview.routes.ts';
import { createOverviewService } from './overview.service.ts';

export function createOverviewModule(deps: Parameters<typeof createOverviewService>[0]) {
  const service = createOverviewService(deps);
  return { service, routes: overviewRoutes({ overview: service }) };
}

export type OverviewModule = ReturnType<typeof createOverviewModule>;
