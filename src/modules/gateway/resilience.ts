/**
 * Upstream resilience of the gateway (issue 17): which failures are retried (idempotent operations
 * only), the backoff between attempts, and a circuit breaker per upstream and process.
 */
import { AppError } from '../../errors.ts';

/** Methods whose repetition has the same effect as one call (RFC 9110 §9.2.2): the only ones retried. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export const isIdempotent = (method: string) => IDEMPOTENT.has(method);

/** Upstream statuses that say "try again" (gateway trouble or overload), retried for idempotent calls. */
export const RETRY_STATUSES = new Set([502, 503, 504]);

/** Failures that say the upstream is not available (they count towards the breaker). */
export function isAvailabilityFailure(error: unknown): boolean {
  return error instanceof AppError && ['upstream_unreachable', 'upstream_reset', 'upstream_timeout'].includes(error.code);
}

/** Errors retried: the connection failed or was cut (a timeout is not retried: it would multiply the wait). */
export function isRetryable(error: unknown): boolean {
  return error instanceof AppError && ['upstream_unreachable', 'upstream_reset'].includes(error.code);
}

/** Backoff before retry n (0-based): 100 ms, 200 ms, 400 ms … at most 2 s, with up to 50 % jitter. */
export function backoffMs(n: number, random: () => number = Math.random): number {
  const base = Math.min(2_000, 100 * 2 ** n);
  return Math.round(base * (0.5 + random() * 0.5));
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * Closed: calls pass; `threshold` consecutive failures open it. Open: calls are refused without
 * contacting the upstream until `cooldownMs` have passed; then ONE call passes as the probe
 * (half-open): its success closes the breaker, its failure opens it again for another cooldown.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private probing = false;

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether a call may go: 'call', 'probe' (the one half-open call) or 'refuse'. */
  admit(cooldownMs: number): 'call' | 'probe' | 'refuse' {
    if (this.openedAt === undefined) return 'call';
    if (this.probing || this.now() - this.openedAt < cooldownMs) return 'refuse';
    this.probing = true;
    return 'probe';
  }

  success(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.probing = false;
  }

  failure(threshold: number): void {
    this.failures++;
    if (this.probing || this.failures >= threshold) this.openedAt = this.now();
    this.probing = false;
  }

  /** A probe that ended without saying anything about the upstream (refused before the call) gives the slot back. */
  release(): void {
    this.probing = false;
  }

  /** Seconds until a probe may go (for Retry-After). */
  retryAfterSeconds(cooldownMs: number): number {
    return this.openedAt === undefined ? 0 : Math.max(1, Math.ceil((this.openedAt + cooldownMs - this.now()) / 1000));
  }

  state(cooldownMs: number): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return this.probing || this.now() - this.openedAt >= cooldownMs ? 'half_open' : 'open';
  }

  consecutiveFailures(): number {
    return this.failures;
  }
}
