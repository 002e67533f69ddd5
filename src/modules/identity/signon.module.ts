import type { Config } from '../../config.ts';
import type { Db } from '../../db/index.ts';
import type { EventSink } from '../audit/events.ts';
import type { Sealer } from '../audit/signer.ts';
import { parseClaimMapping } from './claims.ts';
import type { IdentityService } from './identity.service.ts';
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
 * Sign-on beyond the password: the TOTP second factor (inside the identity service) and sign-in
 * through the province's OpenID Connect provider. Returns the routes and what the identity routes
 * need for RP-initiated logout and the user list.
 */
export function createSignOnModule(deps: { db: Db; events: EventSink; sealer: Sealer; identity: IdentityService; config: Config }) {
  const { db, events, sealer, identity, config } = deps;
  const options = oidcOptionsOf(config);
  const oidc = createOidc({ db, sealer, events, identity, ...(options ? { options } : {}) });
  const secureCookies = Boolean(config.PDX_TLS_CERT);
  return {
    oidc,
    routes: signonRoutes({ identity, oidc, secureCookies }),
    /** For identityRoutes: the provider's logout URL and which accounts are linked to it. */
    identityRouteDeps: {
      endSessionUrl: (idToken: string) => oidc.endSessionUrl(idToken),
      ssoUserIds: () => identity.secondFactor.repo.linkedUserIds(),
    },
  };
}
