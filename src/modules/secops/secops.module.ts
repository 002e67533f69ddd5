/**
 * One call that wires security operations. In main.ts, after the audit log and the keyring exist:
 *
 *   const secops = createSecopsModule({ db, events, audit, identity, catalog, classify: review, share: share.share, sealer: keyring, smtp: smtpOf(config) });
 *   … routes: [ …, secops.routes ]
 *   // after listen:  secops.start();   on close:  await secops.stop();
 */
import { secopsRoutes } from './secops.routes.ts';
import { createSecopsService, type SecopsDeps } from './secops.service.ts';

export { isContained } from './secops.repo.ts';
export { QUOTA_EXCEEDED_ACTION } from './detectors.ts';
export type { SmtpOptions } from './notify.ts';

export function createSecopsModule(deps: SecopsDeps) {
  const service = createSecopsService(deps);
  return {
    service,
    routes: secopsRoutes({ secops: service }),
    /** Starts the worker (detectors, audit verification, report clocks, deliveries) of this process. */
    start: () => service.start(),
    /** Stops the worker after its current pass. */
    stop: () => service.stop(),
  };
}

export type SecopsModule = ReturnType<typeof createSecopsModule>;
