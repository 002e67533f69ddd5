/**
 * Per-address and per-key rate limits of the open-data portal (anonymous reads low, keyed reads
 * higher, registrations and sign-in attempts per hour). Fixed windows counted in this process, like
 * the platform-wide PDX_RATE_LIMIT: behind N processes a client gets at most N times the limit.
 */
import { TooManyRequestsError } from '../../errors.ts';

export function createLimiter(windowMs: number) {
  const windows = new Map<string, { start: number; n: number }>();
  return {
    /** Counts one hit of `key`; throws 429 (with Retry-After) past `max` hits in the current window. */
    hit(key: string, max: number, now = Date.now()): void {
      let w = windows.get(key);
      if (!w || now - w.start >= windowMs) {
        if (windows.size > 50_000) for (const [k, v] of windows) if (now - v.start >= windowMs) windows.delete(k);
        w = { start: now, n: 0 };
        windows.set(key, w);
      }
      w.n++;
      if (w.n > max) throw new TooManyRequestsError(Math.max(1, Math.ceil((w.start + windowMs - now) / 1000)));
    },
  };
}

export type Limiter = ReturnType<typeof createLimiter>;
