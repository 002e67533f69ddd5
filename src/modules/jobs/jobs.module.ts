/**
 * One call that wires the job queue: the worker (start/stop) and its route. In main.ts:
 *
 *   const jobs = createJobsModule({ db, pollMs, identity });
 *   … ingest, sharing, exchange get `jobs.service`; routes: [ …, jobs.routes ]; jobs.service.start() after listen
 */
import type { Db } from '../../db/index.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import { jobsRoutes } from './jobs.routes.ts';
import { createJobs, type JobsOptions } from './jobs.service.ts';

export function createJobsModule(deps: { db: Db; identity: Pick<IdentityService, 'find'> } & JobsOptions) {
  const { db, identity, ...options } = deps;
  const service = createJobs(db, options);
  return { service, routes: jobsRoutes({ jobs: service, identity }) };
}

export type JobsModule = ReturnType<typeof createJobsModule>;
