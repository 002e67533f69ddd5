/**
 * One call that wires the installation's public facts (name, version, database backend): the service
 * and its route. In main.ts:
 *
 *   const system = createSystemModule({ db });
 *   routes: [ system.routes, … ]
 */
import { systemRoutes } from './system.routes.ts';
import { createSystemService } from './system.service.ts';

export function createSystemModule(deps: Parameters<typeof createSystemService>[0]) {
  const service = createSystemService(deps);
  return { service, routes: systemRoutes({ system: service }) };
}

export type SystemModule = ReturnType<typeof createSystemModule>;
