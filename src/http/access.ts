/**
 * The authorization contract every route uses. A route declares what it needs in its options:
 *
 *   app.get('/audit/records', { config: { access: { roles: ['auditor'] } }, schema: … }, handler)
 *
 * and one hook (identity module) authenticates the caller, then decides from this declaration.
 * Routes never inspect roles themselves; services receive the Principal for organisation checks.
 */
import type { AuditActor } from '../modules/audit/events.ts';

export const ROLES = ['sysadmin', 'secadmin', 'auditor', 'data_officer', 'consumer'] as const;
export type Role = (typeof ROLES)[number];

/** What each role is called, for messages and alerts. */
export const ROLE_LABELS: Record<Role, { zh: string; en: string }> = {
  sysadmin: { zh: '系统管理员', en: 'system administrator' },
  secadmin: { zh: '安全管理员', en: 'security administrator' },
  auditor: { zh: '审计管理员', en: 'audit administrator' },
  data_officer: { zh: '数据管理员', en: 'data officer' },
  consumer: { zh: '数据使用方', en: 'data consumer' },
};

/** The three administrator roles of 三员分立: no account may hold two of them. */
export const EXCLUSIVE_ROLES: readonly Role[] = ['sysadmin', 'secadmin', 'auditor'];

/** Who is calling: a signed-in console user or an application's API key. */
export interface Principal {
  kind: 'user' | 'apikey';
  userId: string;
  username: string;
  orgId: string;
  roles: Role[];
  /** Set when the caller authenticated with an API key. */
  apiKeyId?: string;
  /** The session id, for console callers. */
  sessionId?: string;
}

/** Who is calling and from where, as services receive it (for decisions and for audit records). */
export interface Caller {
  principal: Principal;
  requestId?: string;
  ip?: string;
}

/**
 * The audit actor of a principal: always the same fields, the API key when there is one. Here beside
 * the principal (not in the audit module) so the auth hook needs nothing but a type from audit.
 */
export function actorOf(principal: Principal): AuditActor {
  return {
    userId: principal.userId,
    username: principal.username,
    orgId: principal.orgId,
    roles: principal.roles,
    ...(principal.apiKeyId ? { apiKeyId: principal.apiKeyId } : {}),
  };
}

/**
 * A society user (社会用户) of the open-data portal: a separate kind of account with its own session
 * cookie and open-API keys. Never a Principal, never holding a role: it cannot pass a console check.
 */
export interface SocietyPrincipal {
  kind: 'society';
  userId: string;
  email: string;
  verified: boolean;
  /** Set when the caller authenticated with an open-API key (pdxo_…). */
  apiKeyId?: string;
}

/**
 * What a route needs. `public`: anyone, signed in or not. `authenticated`: any signed-in caller.
 * `roles`: a caller holding at least one of them. `apiKey: true` also admits API keys (data
 * endpoints); otherwise only console sessions pass. `device`: the route authenticates a device
 * token itself (telemetry), and the hook neither reads the Authorization header nor decides. `society`: a route of the open-data portal, where
 * only society users are recognised (optional: anonymous callers too); console sessions and
 * government API keys count for nothing there.
 */
export type Access =
  | { public: true }
  /** A device credential the route checks itself (telemetry ingestion): the session/API-key hook stays out. */
  | { device: true }
  | { authenticated: true; apiKey?: boolean }
  | { roles: readonly Role[]; apiKey?: boolean }
  | { society: 'required' | 'optional'; apiKey?: boolean };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** Set by the identity hook for every authenticated request. */
    principal?: Principal;
    /** Set on open-data portal routes for a signed-in society user. */
    society?: SocietyPrincipal;
  }
}
