/**
 * A periodic background task of a module (schedules, health checks): runs now and every `ms`, one
 * run at a time (a slow run delays the next instead of overlapping it), errors to `onError`; `stop`
 * waits for the run in hand.
 */
export function ticker(tick: () => Promise<unknown>, ms: number, onError: (error: unknown) => void) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  return {
    start() {
      if (timer) return;
      const run = () => {
        running = running.then(tick).catch(onError);
      };
      run();
      timer = setInterval(run, ms);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
