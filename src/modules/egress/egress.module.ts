/**
 * One call that wires the egress guard. In main.ts:
 *
 *   const egress = createEgressModule({ db, events, envAllow: envNetworks(config.PDX_UPSTREAM_ALLOW), listen: { host, port } });
 *   … gateway and exchange get `egress.service`; routes: [ …, egress.routes ]; after listen: egress.service.setListen(…)
 */
import { egressRoutes } from './egress.routes.ts';
import { createEgressService } from './egress.service.ts';

export function createEgressModule(deps: Parameters<typeof createEgressService>[0]) {
  const service = createEgressService(deps);
  return { service, routes: egressRoutes({ egress: service }) };
}

export type EgressModule = ReturnType<typeof createEgressModule>;
