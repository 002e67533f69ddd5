import { createHash, randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import type { Db } from '../../db/index.ts';
import type { Sealer } from '../audit/signer.ts';
import { requestEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import { mapClaims, usernameFor, type ClaimMapping } from './claims.ts';
import { identityRepo, type UserRow } from './identity.repo.ts';
import { checkRoleSeparation, NO_PASSWORD, type IdentityService, type OpenedSession, type SignInMeta } from './identity.service.ts';
import { signonRepo } from './signon.repo.ts';
import { newToken, tokenHash } from '../../lib/tokens.ts';

/** Where the provider sends the browser back (under pdx's public address). */
export const SSO_CALLBACK_PATH = '/api/v1/auth/sso/callback';
/** An authorization request must come back within this long. */
const REQUEST_MINUTES = 10;
/** The provider's discovery document is fetched again after this long (its signing keys at every sign-in). */
const METADATA_TTL_MS = 60 * 60_000;
/** Requests to the provider give up after this many seconds: an unreachable provider is a clear error, not a hang. */
const TIMEOUT_SECONDS = 10;

/** The OpenID Connect client of pdx (PDX_OIDC_* and PDX_PUBLIC_URL, or the demo provider). */
export interface OidcOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** pdx's public address: the redirect URI and the address after logout derive from it. */
  publicUrl: string;
  mapping: ClaimMapping;
  scope: string;
  /** The bundled demo provider (演示身份认证), labelled as such on the sign-in page. */
  demo?: boolean;
}

/**
 * Why a sign-in through the provider was refused. `code` is what the browser is told (the sign-in
 * page shows its message); `reason` and `detail` go to the audit log.
 */
export type SsoErrorCode =
  | 'not_configured'
  | 'idp_unavailable'
  | 'idp_error'
  | 'state_invalid'
  | 'id_token_invalid'
  | 'no_org_claim'
  | 'unknown_org'
  | 'pending_approval'
  | 'disabled'
  | 'admin_local_only'
  | 'org_changed';

export class SsoError extends Error {
  constructor(
    readonly code: SsoErrorCode,
    readonly reason: string = code,
    readonly detail?: string,
  ) {
    super(`${code}${detail ? `: ${detail}` : ''}`);
  }
}

/** A local path to return to after sign-in; anything else (another site, the API) is `/`. */
export function safeReturnTo(value: string | undefined): string {
  return value && /^\/(?![/\\])[^\s\\]*$/.test(value) && !value.startsWith('/api/') ? value : '/';
}

/** Classifies what openid-client threw: the provider unreachable, a refusal it sent, or an ID token that fails validation. */
function classify(error: unknown): SsoError {
  if (error instanceof SsoError) return error;
  if (error instanceof client.ResponseBodyError)
    return new SsoError('idp_error', 'token_endpoint_error', `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`);
  if (error instanceof client.AuthorizationResponseError) return new SsoError('idp_error', 'authorization_error', error.error);
  const code = (error as { code?: string }).code ?? '';
  const cause = (error as { cause?: { cause?: { claim?: string } } }).cause?.cause;
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED') {
    const claim = cause?.claim ?? 'claim';
    return new SsoError('id_token_invalid', claim === 'nonce' ? 'nonce_mismatch' : `${claim}_mismatch`, (error as Error).message);
  }
  if (code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') return new SsoError('id_token_invalid', 'expired', (error as Error).message);
  // A token signed by a key the provider does not publish (none with its kid and algorithm).
  if (code === 'OAUTH_KEY_SELECTION_FAILED') return new SsoError('id_token_invalid', 'unknown_key', (error as Error).message);
  if (code === 'OAUTH_INVALID_RESPONSE' || code === 'OAUTH_PARSE_ERROR' || code === 'OAUTH_UNSUPPORTED_OPERATION') {
    return new SsoError('id_token_invalid', 'signature', (error as Error).message);
  }
  // fetch failed (refused, reset, DNS), timeouts, a provider answering 5xx or not JSON.
  return new SsoError('idp_unavailable', 'unreachable', (error as Error).message);
}

/**
 * Sign-on through the province's OpenID Connect provider (统一身份认证): authorization code flow with
 * PKCE, state and nonce; the ID token validated by openid-client (issuer, audience, expiry, nonce, and
 * its signature against the provider's JWKS, fetched at each sign-in so rotated keys work); claims mapped
 * to an organisation and business roles; a first sign-in makes an account that waits for the
 * sysadmin unless the mapping approves it. 三员 accounts are never reached this way.
 */
export function createOidc(deps: { db: Db; sealer: Sealer; events: EventSink; identity: Pick<IdentityService, 'openSession'>; options?: OidcOptions }) {
  const { db, sealer, events, identity } = deps;
  const repo = signonRepo(db);
  const users = identityRepo(db);
  let options = deps.options;
  let metadata: { value: client.ServerMetadata; at: number; issuer: string } | undefined;

  const seal = (text: string) => sealer.seal(Buffer.from(text, 'utf8')).toString('base64');
  const unseal = (sealed: string) => sealer.unseal(Buffer.from(sealed, 'base64')).toString('utf8');
  const record = (meta: SignInMeta, event: Omit<AuditEvent, 'requestId' | 'ip'>) => events.record(requestEvent(meta, event));

  const redirectUri = (o: OidcOptions) => `${o.publicUrl.replace(/\/+$/, '')}${SSO_CALLBACK_PATH}`;
  /** Plain HTTP only to a provider on this machine (the demo, tests); a real provider is HTTPS (config refuses others). */
  const insecure = (o: OidcOptions) => new URL(o.issuer).protocol === 'http:';

  function current(): OidcOptions {
    if (!options) throw new SsoError('not_configured');
    return options;
  }

  /** A client configuration for one sign-in: discovery cached, signing keys fetched by this configuration. */
  async function configuration(): Promise<client.Configuration> {
    const o = current();
    if (!metadata || metadata.issuer !== o.issuer || Date.now() - metadata.at > METADATA_TTL_MS) {
      try {
        const discovered = await client.discovery(new URL(o.issuer), o.clientId, o.clientSecret, undefined, {
          ...(insecure(o) ? { execute: [client.allowInsecureRequests] } : {}),
          timeout: TIMEOUT_SECONDS,
        });
        metadata = { value: structuredClone(discovered.serverMetadata()) as client.ServerMetadata, at: Date.now(), issuer: o.issuer };
      } catch (error) {
        throw new SsoError('idp_unavailable', 'discovery_failed', (error as Error).message);
      }
    }
    // A new metadata object per sign-in, so nothing cached from an earlier sign-in (keys, endpoints)
    // outlives a change at the provider.
    const config = new client.Configuration(structuredClone(metadata.value), o.clientId, o.clientSecret);
    if (insecure(o)) client.allowInsecureRequests(config);
    // The ID token's signature is checked against the provider's JWKS (jwks_uri), not only its claims:
    // TLS to the token endpoint is not taken as proof of who signed it. The keys are fetched for this
    // configuration, so a key the provider rotated in since the last sign-in is found at once.
    client.enableNonRepudiationChecks(config);
    config.timeout = TIMEOUT_SECONDS;
    return config;
  }

  /** The organisation the claims name, or a refusal naming the claim and value. */
  async function orgOf(o: OidcOptions, org: string | undefined): Promise<{ id: string; name: string }> {
    if (org === undefined) throw new SsoError('no_org_claim', 'no_org_claim', o.mapping.orgClaim);
    const found = await repo.findOrg(o.mapping.orgBy, org);
    if (!found) throw new SsoError('unknown_org', 'unknown_org', `${o.mapping.orgClaim}=${org}`);
    return found;
  }

  /**
   * A known person whose organisation claim names another organisation is not moved by the claim: the
   * account would take the new organisation's data (and keep none of the old one's duties) on the
   * provider's word alone. The sign-in is refused and the sysadmin told; moving the account (用户管理,
   * PATCH /users/{id} orgId) is the approval, after which the next sign-in goes through. Each refused
   * attempt notifies once per day and organisation pair at most.
   */
  async function refuseOrgChange(user: UserRow, to: { id: string; name: string }): Promise<never> {
    const from = await repo.orgName(user.org_id);
    const body = { userId: user.id, username: user.username, fromOrgId: user.org_id, fromOrg: from, toOrgId: to.id, toOrg: to.name };
    if (!(await repo.recentNotification('sso_org_change', user.id, to.id))) {
      await users.notify(
        {
          kind: 'sso_org_change',
          title: {
            zh: `待处理：统一身份认证账号 ${user.username} 的单位由 ${from} 变为 ${to.name}`,
            en: `To decide: the sign-on account ${user.username} moved from ${from} to ${to.name} at the identity provider`,
          },
          body,
          link: '/admin/users',
        },
        { role: 'sysadmin' },
      );
    }
    throw new SsoError('org_changed', 'org_changed', `${from} → ${to.name}`);
  }

  /**
   * The account of the person the provider vouches for: found through its link (roles follow the claims
   * at every sign-in; a change of organisation waits for the sysadmin), or made at the first sign-in (waiting for the sysadmin unless
   * the mapping approves it). Refuses 三员 accounts, disabled ones and ones still waiting.
   */
  async function accountOf(
    o: OidcOptions,
    claims: Record<string, unknown>,
    who: { issuer: string; subject: string; user?: UserRow },
    meta: SignInMeta,
  ): Promise<UserRow> {
    const { issuer, subject } = who;
    const mapped = mapClaims(claims, o.mapping);
    const link = await repo.identityUser(issuer, subject);
    const existing = link ? await users.getUser(link.user_id) : undefined;
    who.user = existing;
    if (existing && existing.roles.some((r) => r === 'sysadmin' || r === 'secadmin' || r === 'auditor')) {
      throw new SsoError('admin_local_only', 'admin_local_only', existing.username);
    }
    const org = await orgOf(o, mapped.org);
    checkRoleSeparation(mapped.roles);
    const actor = (u: UserRow) => ({ userId: u.id, username: u.username, orgId: u.org_id });
    if (existing) {
      if (existing.disabled || existing.org_disabled) throw new SsoError('disabled', 'disabled', existing.username);
      if (existing.org_id !== org.id) await refuseOrgChange(existing, org);
      const rolesChanged = [...existing.roles].sort().join() !== [...mapped.roles].sort().join();
      let user = existing;
      if (rolesChanged) {
        user =
          (await users.updateUser(existing.id, {
            org_id: existing.org_id,
            display_name: existing.display_name,
            roles: mapped.roles,
            disabled: existing.disabled,
          })) ?? existing;
        await record(meta, {
          action: 'user.roles_change',
          result: 'success',
          actor: actor(user),
          target: { type: 'user', id: user.id, label: user.username },
          details: {
            via: 'sso',
            issuer,
            groups: mapped.groups,
            before: { roles: existing.roles, orgId: existing.org_id },
            after: { roles: user.roles, orgId: user.org_id },
          },
        });
      }
      if (user.pending_approval) throw new SsoError('pending_approval', 'pending_approval', user.username);
      await repo.touchIdentity(issuer, subject);
      return user;
    }

    const fallback = `sso-${createHash('sha256').update(`${issuer}\n${subject}`).digest('hex').slice(0, 10)}`;
    const username = await usernameFor(mapped.username, fallback, async (name) => Boolean(await users.getUserByName(name)));
    const pending = !mapped.autoApprove;
    const user = await db
      .transaction(async (tx) => {
        const created = await identityRepo(tx).insertUser({
          id: randomUUID(),
          org_id: org.id,
          username,
          display_name: (mapped.displayName ?? username).slice(0, 100),
          roles: mapped.roles,
          password_hash: NO_PASSWORD,
          must_change_password: false,
          pending_approval: pending,
        });
        await signonRepo(tx).linkIdentity(issuer, subject, created.id);
        return created;
      })
      .catch(async (error: unknown) => {
        // The same person's first sign-in in two tabs at once: the other one made the account.
        if ((error as { code?: string }).code !== '23505') throw error;
        const raced = await repo.identityUser(issuer, subject);
        if (!raced) throw error;
        return (await users.getUser(raced.user_id))!;
      });
    who.user = user;
    await record(meta, {
      action: 'user.create',
      result: 'success',
      actor: actor(user),
      target: { type: 'user', id: user.id, label: user.username },
      details: { via: 'sso', issuer, roles: user.roles, orgId: user.org_id, groups: mapped.groups, pendingApproval: user.pending_approval },
    });
    if (user.pending_approval) {
      await users.notify(
        {
          kind: 'sso_account',
          title: {
            zh: `待审核：统一身份认证新账号 ${user.username}（${org.name}）`,
            en: `Awaiting approval: new sign-on account ${user.username} (${org.name})`,
          },
          body: { userId: user.id, username: user.username, org: org.name, roles: user.roles },
          link: '/admin/users',
        },
        { role: 'sysadmin' },
      );
      throw new SsoError('pending_approval', 'pending_approval', user.username);
    }
    return user;
  }

  return {
    /** What the sign-in page offers. */
    describe: () => ({ enabled: Boolean(options), demo: Boolean(options?.demo) }),

    /** Sets the provider after start (the demo provider's address is known once pdx listens). */
    configure(next: OidcOptions | undefined) {
      options = next;
      metadata = undefined;
    },

    /**
     * Begins a sign-in: state, nonce and PKCE verifier kept in the database for 10 minutes, bound to
     * the browser by `browserToken` (a cookie the route sets). Returns the provider's authorization URL.
     */
    async start(returnTo: string | undefined, meta: SignInMeta): Promise<{ url: string; browserToken: string }> {
      try {
        const o = current();
        const config = await configuration();
        const state = client.randomState();
        const nonce = client.randomNonce();
        const verifier = client.randomPKCECodeVerifier();
        const browserToken = newToken();
        await repo.insertSsoRequest({
          state_hash: tokenHash(state),
          browser_hash: tokenHash(browserToken),
          nonce,
          code_verifier: seal(verifier),
          return_to: safeReturnTo(returnTo),
          expires_at: new Date(Date.now() + REQUEST_MINUTES * 60_000),
        });
        const url = client.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri(o),
          scope: o.scope,
          state,
          nonce,
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        });
        return { url: url.href, browserToken };
      } catch (error) {
        const refusal = classify(error);
        await record(meta, {
          action: 'auth.login',
          result: 'failure',
          details: {
            method: 'oidc',
            factor: 'oidc',
            step: 'start',
            reason: refusal.reason,
            ...(refusal.detail ? { detail: refusal.detail.slice(0, 300) } : {}),
          },
        });
        throw refusal;
      }
    },

    /**
     * The provider's answer (`query` of the callback): the request must be in flight and this browser's;
     * the code is exchanged with the PKCE verifier and the ID token validated (state, nonce, issuer,
     * audience, expiry, signature). Every outcome is in the audit log; a refusal opens no session.
     */
    async callback(query: string, browserToken: string | undefined, meta: SignInMeta): Promise<{ session: OpenedSession; returnTo: string }> {
      const params = new URLSearchParams(query);
      let who: { issuer: string; subject: string; user?: UserRow } | undefined;
      try {
        const o = current();
        const state = params.get('state');
        const request = state ? await repo.takeSsoRequest(tokenHash(state)) : undefined;
        if (!state || !request) throw new SsoError('state_invalid', state ? 'state_unknown_or_used' : 'state_missing');
        if (!browserToken || tokenHash(browserToken) !== request.browser_hash) throw new SsoError('state_invalid', 'browser_mismatch');
        if (params.get('error'))
          throw new SsoError(
            'idp_error',
            'authorization_error',
            `${params.get('error')}${params.get('error_description') ? `: ${params.get('error_description')}` : ''}`,
          );
        const config = await configuration();
        const tokens = await client.authorizationCodeGrant(config, new URL(`${redirectUri(o)}?${query}`), {
          pkceCodeVerifier: unseal(request.code_verifier),
          expectedState: state,
          expectedNonce: request.nonce,
          idTokenExpected: true,
        });
        const idClaims = tokens.claims()!;
        who = { issuer: idClaims.iss, subject: idClaims.sub };
        let userinfo: Record<string, unknown> = {};
        if (config.serverMetadata().userinfo_endpoint && tokens.access_token) {
          // Providers put groups and organisation in one place or the other; the ID token wins where both do.
          userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub).catch(() => ({}));
        }
        const user = await accountOf(o, { ...userinfo, ...idClaims }, who, meta);
        const session = await identity.openSession(user, meta, 'oidc', {
          idToken: tokens.id_token!,
          details: {
            issuer: idClaims.iss,
            subject: idClaims.sub,
            ...(idClaims.amr ? { amr: idClaims.amr } : {}),
            ...(idClaims.acr ? { acr: idClaims.acr } : {}),
          },
        });
        return { session, returnTo: request.return_to };
      } catch (error) {
        const refusal = classify(error);
        const user = who?.user;
        await record(meta, {
          action: 'auth.login',
          // A policy refusal of a genuine person (waiting, disabled, 三员) is not a guess.
          result: ['pending_approval', 'disabled', 'admin_local_only', 'org_changed'].includes(refusal.code) ? 'denied' : 'failure',
          ...(user ? { actor: { userId: user.id, username: user.username, orgId: user.org_id } } : {}),
          details: {
            method: 'oidc',
            factor: 'oidc',
            step: 'callback',
            reason: refusal.reason,
            ...(refusal.detail ? { detail: refusal.detail.slice(0, 300) } : {}),
            ...(who ? { issuer: who.issuer, subject: who.subject } : {}),
          },
        });
        throw refusal;
      }
    },

    /**
     * The provider's end-session URL for RP-initiated logout (the ID token as hint, back to pdx after),
     * or undefined when the provider has none or cannot be reached (the pdx session is ended anyway).
     */
    async endSessionUrl(idToken: string): Promise<string | undefined> {
      if (!options) return undefined;
      const o = options;
      try {
        const config = await configuration();
        if (!config.serverMetadata().end_session_endpoint) return undefined;
        return client.buildEndSessionUrl(config, {
          id_token_hint: idToken,
          post_logout_redirect_uri: `${o.publicUrl.replace(/\/+$/, '')}/`,
          client_id: o.clientId,
        }).href;
      } catch {
        return undefined;
      }
    },
  };
}

export type Oidc = ReturnType<typeof createOidc>;
