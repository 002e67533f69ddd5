/**
 * One call that wires the duties of the 政务数据共享条例. In main.ts:
 *
 *   const duties = createDutiesModule({ db, events, share: share.share });
 *   … routes: [ …, duties.routes ]; duties.start() / stop()
 *
 * It also sets the sharing module's `requestClocks` hook, so every request in the sharing API shows
 * its clock.
 */
import type { ShareService } from '../share/share.service.ts';
import { dutiesRoutes } from './duties.routes.ts';
import { createDutiesService, type DutiesDeps } from './duties.service.ts';

/** How often reminders and escalations are looked for. */
const SWEEP_MS = 60_000;

export function createDutiesModule(deps: Omit<DutiesDeps, 'share'> & { share: DutiesDeps['share'] & Pick<ShareService, 'requestClocks'>; sweepMs?: number }) {
  const service = createDutiesService(deps);
  deps.share.requestClocks = (rows) => service.clocksOf(rows);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  return {
    service,
    routes: dutiesRoutes({ duties: service }),
    start() {
      timer ??= setInterval(() => {
        running = service.sweep().catch(() => undefined);
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
