/**
 * The authenticator app of the test administrators: it keeps the TOTP secret each account enrolled
 * (from the first sign-in's answer) and computes codes from it, like a phone would.
 *
 * A code is accepted once (RFC 6238 §5.2), and tests sign the same administrator in many times a
 * minute, so a test platform checks codes against a stepping clock: real time plus an offset that
 * moves one 30-second step before each code. A server in another process (real clock) gets an
 * authenticator without a clock of its own: one sign-in per account and time step.
 */
import { generate } from 'otplib';

const PERIOD_MS = 30_000;

export interface SecondFactorAnswer {
  ticket: string;
  enrol?: { secret: string };
}

export interface Authenticator {
  /** The clock the platform checks codes against (pass as PlatformOptions.now). */
  now(): Date;
  /** The enrolled secret of an account (undefined before its first sign-in). */
  secret(username: string): string | undefined;
  /** The code for the second step of a sign-in: enrols the offered secret, moves the clock a step. */
  code(username: string, answer: SecondFactorAnswer): Promise<string>;
}

export function createAuthenticator(options: { stepping: boolean } = { stepping: true }): Authenticator {
  const secrets = new Map<string, string>();
  const lastStep = new Map<string, number>();
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  const stepOf = () => Math.floor(now().getTime() / PERIOD_MS);
  return {
    now,
    secret: (username) => secrets.get(username),
    async code(username, answer) {
      if (answer.enrol) secrets.set(username, answer.enrol.secret);
      const secret = secrets.get(username);
      if (!secret) throw new Error(`no authenticator secret for ${username}: its first sign-in happened elsewhere`);
      if (options.stepping) offset += PERIOD_MS;
      // On the real clock a code is used once per time step, as on a phone: the next sign-in of the
      // same account waits for the next code (the server would refuse this one as a replay).
      while (stepOf() <= (lastStep.get(username) ?? -1)) await new Promise((resolve) => setTimeout(resolve, (stepOf() + 1) * PERIOD_MS - now().getTime() + 50));
      lastStep.set(username, stepOf());
      return generate({ secret, epoch: Math.floor(now().getTime() / 1000) });
    },
  };
}

const byUrl = new Map<string, Authenticator>();
const byApp = new WeakMap<object, Authenticator>();

/** Registers the authenticator of a platform started by the test (its clock is the platform's), by URL and app. */
export function registerAuthenticator(authenticator: Authenticator, where: { url?: string; app?: object }): void {
  if (where.url) byUrl.set(where.url, authenticator);
  if (where.app) byApp.set(where.app, authenticator);
}

/** The authenticator of the server at `url` or of `app`; one on the real clock for a server in another process. */
export function authenticatorFor(where: string | object): Authenticator {
  let found = typeof where === 'string' ? byUrl.get(where) : byApp.get(where);
  if (!found) {
    found = createAuthenticator({ stepping: false });
    if (typeof where === 'string') byUrl.set(where, found);
    else byApp.set(where, found);
  }
  return found;
}
