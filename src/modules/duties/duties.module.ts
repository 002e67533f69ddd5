/**
 * One call that wires the duties of the 政务数据共享条例. In main.ts:
 *
 *   const duties = createDutiesModule({ db, events, share: share.share, records: share.records, ingest, catalog, identity, audit, telemetry: telemetry.service });
 *   … routes: [ catalogRoutes({ catalog, upkeep: duties.upkeep }), …, duties.routes ]; duties.start() / stop()
 *
 * It answers the sharing module's hooks, bound in main.ts when sharing is created: `requestClocks`
 * (service.clocksOf: every request in the sharing API shows its clock), `grantUsage`
 * (evaluation.grantUsage: a grant's calls, rows and last use) and `flaggedRows`
 * (objections.flaggedRows: the records API names rows under an open objection). `upkeep` judges the
 * catalogue entries' upkeep for the catalogue API.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AuditLog } from '../audit/audit.service.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import { dutiesToDoRepo } from './todo.repo.ts';
export type { DutiesToDo } from './todo.repo.ts';
import { createObjectionsService, type ObjectionsDeps } from './objections.service.ts';
import { dutiesRoutes } from './duties.routes.ts';
import { createDutiesService, type DutiesDeps } from './duties.service.ts';
import { demandRoutes } from './demand.routes.ts';
import { createDemandService } from './demand.service.ts';
import { returnFlowRoutes } from './returnflow.routes.ts';
import { createReturnFlowService, type ReturnFlowDeps } from './returnflow.service.ts';
import { dutiesRepo } from './duties.repo.ts';
import { createEvaluationService, type EvaluationDeps } from './evaluation.service.ts';
import { evaluationRoutes } from './evaluation.routes.ts';
import { createRatingsService, type RatingsDeps } from './ratings.service.ts';
import { createUpkeepService, type UpkeepDeps } from './upkeep.service.ts';

/** How often reminders and escalations are looked for. */
const SWEEP_MS = 60_000;

export function createDutiesModule(
  deps: Omit<DutiesDeps, 'share'> & {
    share: DutiesDeps['share'] & ObjectionsDeps['share'] & ReturnFlowDeps['share'] & RatingsDeps['share'];
    records: ObjectionsDeps['records'];
    ingest: ObjectionsDeps['ingest'];
    sealer: ObjectionsDeps['sealer'];
    catalog: ReturnFlowDeps['catalog'] & ObjectionsDeps['catalog'] & Pick<CatalogService, 'upkeepFacts'>;
    identity: ReturnFlowDeps['identity'] & EvaluationDeps['identity'];
    audit: ReturnFlowDeps['audit'] & Pick<AuditLog, 'usage'>;
    telemetry: UpkeepDeps['telemetry'];
    sweepMs?: number;
  },
) {
  const service = createDutiesService(deps);
  const objections = createObjectionsService({ ...deps, now: service.now, settings: service.settings, calendar: service.calendar });
  const returnFlow = createReturnFlowService(deps);
  const demands = createDemandService({ ...deps, now: service.now, settings: service.settings, calendar: service.calendar });
  const upkeep = createUpkeepService({ ...deps, now: service.now });
  const ratings = createRatingsService({ ...deps, settings: service.settings });
  const evaluation = createEvaluationService({ duties: service, repo: dutiesRepo(deps.db), upkeep, ratings, identity: deps.identity, audit: deps.audit });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  return {
    service,
    objections,
    returnFlow,
    demands,
    upkeep,
    ratings,
    evaluation,
    /** The duties' queues in counts (the 工作台). */
    toDo: dutiesToDoRepo(deps.db),
    routes: (async (app, options) => {
      await dutiesRoutes({ duties: service, objections })(app, options);
      await returnFlowRoutes({ returnFlow })(app, options);
      await demandRoutes({ demands, now: service.now })(app, options);
      await evaluationRoutes({ ratings, evaluation, now: service.now })(app, options);
    }) as FastifyPluginAsyncZod,
    start() {
      timer ??= setInterval(() => {
        // Organisations added since the last pass receive their return-flow grants here.
        running = Promise.all([service.sweep(), returnFlow.sync(), demands.sweep(), upkeep.sweep()]).catch(() => undefined);
      }, deps.sweepMs ?? SWEEP_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type DutiesModule = ReturnType<typeof createDutiesModule>;
