/**
 * The demo world's replays in the server process, on the platform's services: the secadmin's button
 * 演示:重放夜间突发访问 runs the same night burst as `pdx demo burst` (burst.ts). The world itself is
 * loaded at start-up by main.ts (world*.ts), before any route is served.
 */
import type { Platform } from '../../main.ts';
import { burstAvailable, replayBurst, type BurstDeps, type BurstOutcome } from './burst.ts';

export function createDemoService(deps: { services: Platform['services'] }) {
  return {
    /** Whether the night-burst replay can run (the demo world is loaded). */
    burstAvailable: (): Promise<boolean> => burstAvailable(deps.services),
    /** Journey step 6 replayed: a night burst of the demo consumer's key, and what the security worker made of it. */
    replayBurst: (options: Omit<BurstDeps, 'services'>): Promise<BurstOutcome> => replayBurst({ services: deps.services, ...options }),
  };
}

export type DemoService = ReturnType<typeof createDemoService>;
