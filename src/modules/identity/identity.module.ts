/**
 * One call that wires identity: the identity service (organisations, users, sessions, API keys, the
 * TOTP second factor), sign-on through the province's OpenID Connect provider, and their routes. In
 * main.ts:
 *
 *   const identity = createIdentityModule({ db, events, sealer: keyring, config, now });
 *   … every module that names users or organisations gets `identity.service` (as narrow Pick<> deps);
 *   the HTTP auth hook too; routes: [ …, identity.routes ]; `identity.oidc.configure(…)` for the demo provider
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/index.ts';
import type { EventSink } from '../audit/events.ts';
import type { Sealer } from '../audit/signer.ts';
import { parseClaimMapping } from './claims.ts';
import { identityRoutes } from './identity.routes.ts';
import { createIdentityService } from './identity.service.ts';
import { createOidc, type OidcOptions } from './oidc.ts';
import { signonRoutes } from './signon.routes.ts';

/** The provider pdx signs staff on through, from PDX_OIDC_* (undefined: only local sign-in). */
export function oidcOptionsOf(config: Config): OidcOptions | undefined {
  if (!config.PDX_OIDC_ISSUER || !config.PDX_OIDC_CLIENT_ID || !config.PDX_OIDC_CLIENT_SECRET || !config.PDX_PUBLIC_URL) return undefined;
  return {
    issuer: config.PDX_OIDC_ISSUER,
    clientId: config.PDX_OIDC_CLIENT_ID,
    clientSecret: config.PDX_OIDC_CLIENT_SECRET,
    publicUrl: config.PDX_PUBLIC_URL,
    mapping: parseClaimMapping(config.PDX_OIDC_CLAIMS),
    scope: config.PDX_OIDC_SCOPE,
  };
}

/**
 * The identity service, and sign-on beyond the password: the TOTP second factor (inside the service)
 * and sign-in through the OpenID Connect provider (`oidc`), whose logout URL and linked accounts the
 * identity routes show.
 */
export function createIdentityModule(deps: { db: Db; events: EventSink; sealer: Sealer; config: Config; now?: () => Date }) {
  const { db, events, sealer, config } = deps;
  const service = createIdentityService({
    db,
    events,
    sealer,
    settings: { sessionIdleMinutes: config.PDX_SESSION_IDLE_MINUTES },
    ...(deps.now ? { now: deps.now } : {}),
  });
  const options = oidcOptionsOf(config);
  const oidc = createOidc({ db, sealer, events, identity: service, ...(options ? { options } : {}) });
  const secureCookies = Boolean(config.PDX_TLS_CERT);
  const routes: FastifyPluginAsyncZod = async (app, opts) => {
    await identityRoutes({
      identity: service,
      secureCookies,
      endSessionUrl: (idToken) => oidc.endSessionUrl(idToken),
      ssoUserIds: () => service.secondFactor.repo.linkedUserIds(),
    })(app, opts);
    await signonRoutes({ identity: service, oidc, secureCookies })(app, opts);
  };
  return { service, oidc, routes };
}

export type IdentityModule = ReturnType<typeof createIdentityModule>;
