/**
 * One call that wires the demo's replays: the service and its routes. It works on all the platform's
 * services (the replay drives sharing, secops and the audit log as a real night would), so it is built
 * last. In main.ts:
 *
 *   const demo = createDemoModule({ services });
 *   routes: [ …, demo.routes ]
 */
import { demoRoutes } from './demo.routes.ts';
import { createDemoService } from './demo.service.ts';

export function createDemoModule(deps: Parameters<typeof createDemoService>[0]) {
  const service = createDemoService(deps);
  return { service, routes: demoRoutes({ demo: service }) };
}

export type DemoModule = ReturnType<typeof createDemoModule>;
