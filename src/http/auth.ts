import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import type { EventSink } from '../modules/audit/events.ts';
import { tokenHash } from '../lib/tokens.ts';
import { actorOf, type Access, type Principal, type SocietyPrincipal } from './access.ts';

export const SESSION_COOKIE = 'pdx_session';
export const CSRF_COOKIE = 'pdx_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What the identity module offers the HTTP layer to recognise callers. */
export interface Authenticator {
  authenticateSession(token: string): Promise<{ principal: Principal; csrfHash: string; mustChangePassword: boolean } | undefined>;
  authenticateApiKey(key: string, caller: { requestId?: string; ip?: string }): Promise<{ principal?: Principal; refusal?: string }>;
  /** The 统一社会信用代码 of an organisation, which its applications' client certificates carry. */
  orgUscc(orgId: string): Promise<string | null>;
}

/** A route as registered, with the access it declares (none: outside /api, e.g. /health, /openapi.json). */
export interface DeclaredRoute {
  method: string;
  url: string;
  access: Access | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Every route with its declared access, in registration order: who may call what, in one list
     * (the checked-in route table test/route-access.txt is made from it).
     */
    declaredRoutes: readonly DeclaredRoute[];
  }
  interface FastifyContextConfig {
    /** Reachable while the caller must still change a generated password (me, password, logout). */
    allowWhilePasswordExpired?: boolean;
  }
}

const REFUSALS: Record<string, { zh: string; en: string }> = {
  malformed: { zh: 'API 密钥格式错误，应为 Authorization: Bearer pdx_…', en: 'Malformed API key; expected Authorization: Bearer pdx_…' },
  unknown: { zh: 'API 密钥无效', en: 'Invalid API key' },
  revoked: { zh: 'API 密钥已被吊销', en: 'API key has been revoked' },
  expired: { zh: 'API 密钥已过期', en: 'API key has expired' },
  suspended: { zh: 'API 密钥已被安全管理员暂停', en: 'API key suspended by the security administrator' },
  throttled: { zh: 'API 密钥因异常访问被暂时限流，请稍后再试', en: 'API key temporarily throttled after unusual use; retry later' },
  owner_disabled: { zh: 'API 密钥的创建者账号已停用', en: 'The owner of this API key is disabled' },
  org_disabled: { zh: 'API 密钥所属机构已停用', en: 'The organisation holding this API key is disabled' },
};

/** What the open-data module offers to recognise society users (its own cookie and keys). */
export interface SocietyAuthenticator {
  identify(request: FastifyRequest, options: { apiKey: boolean }): Promise<SocietyPrincipal | undefined>;
}

/** True when the principal satisfies the route's declared access. The one authorization decision. */
export function allows(access: Access, principal: Principal | undefined): boolean {
  if ('public' in access) return true;
  if ('device' in access || 'society' in access || !principal) return false;
  if (principal.kind === 'apikey' && !access.apiKey) return false;
  if ('authenticated' in access) return true;
  return principal.roles.some((role) => access.roles.includes(role));
}

/**
 * Installs the one authentication and authorization hook. Every /api route must declare
 * `config.access`; a route that forgets is refused at start-up, not left open.
 */
export function registerAuth(
  app: FastifyInstance,
  deps: { auth: Authenticator; events: EventSink; requireClientCertificate?: boolean; society?: SocietyAuthenticator },
): void {
  const declared: DeclaredRoute[] = [];
  app.decorate('declaredRoutes', declared);
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && !route.config?.access) {
      throw new Error(`route ${route.method} ${route.url} declares no access`);
    }
    for (const method of [route.method].flat()) declared.push({ method, url: route.url, access: route.config?.access ?? null });
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access || 'device' in access) return;
    if ('society' in access) {
      // Portal routes know only society users; a console session or government key is not looked at.
      const society = await deps.society?.identify(request, { apiKey: access.apiKey === true });
      if (society) request.society = society;
      if (access.society === 'required' && !society) throw new UnauthorizedError();
      return;
    }
    const principal = await identify(request, deps.auth);
    if (principal?.kind === 'apikey' && deps.requireClientCertificate) await checkClientCertificate(request, principal, deps.auth);
    if (principal) request.principal = principal;
    if ('public' in access) return;
    if (!principal) throw new UnauthorizedError();
    if (!allows(access, principal)) {
      await deps.events.record({
        action: 'access.denied',
        result: 'denied',
        actor: actorOf(principal),
        details: {
          method: request.method,
          route: request.routeOptions.url,
          reason: principal.kind === 'apikey' && !('roles' in access && access.apiKey) ? 'api_key_not_allowed' : 'role',
        },
        requestId: request.id,
        ip: request.ip,
      });
      throw new ForbiddenError();
    }
  });
}

async function identify(request: FastifyRequest, auth: Authenticator): Promise<Principal | undefined> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedError('invalid_token', REFUSALS.malformed!);
    const result = await auth.authenticateApiKey(match[1]!, { requestId: request.id, ip: request.ip });
    if (!result.principal) {
      const refusal = result.refusal ?? 'unknown';
      throw new UnauthorizedError(refusal === 'malformed' ? 'invalid_token' : `api_key_${refusal}`, REFUSALS[refusal] ?? REFUSALS.unknown!);
    }
    return result.principal;
  }
  const token = request.cookies[SESSION_COOKIE];
  if (!token) return undefined;
  const session = await auth.authenticateSession(token);
  if (!session) {
    const access = request.routeOptions.config.access;
    if (access && 'public' in access) return undefined;
    throw new UnauthorizedError('session_expired', { zh: '会话已失效，请重新登录', en: 'Session expired, please sign in again' });
  }
  if (!SAFE_METHODS.has(request.method)) {
    const given = request.headers['x-csrf-token'];
    if (typeof given !== 'string' || tokenHash(given) !== session.csrfHash) {
      throw new ForbiddenError('csrf_failed', { zh: 'CSRF 校验失败，请刷新页面后重试', en: 'CSRF check failed; reload the page and retry' });
    }
  }
  if (session.mustChangePassword && !request.routeOptions.config.allowWhilePasswordExpired) {
    throw new ForbiddenError('password_change_required', { zh: '首次登录须先修改密码', en: 'You must change your password first' });
  }
  return session.principal;
}

/**
 * With PDX_TLS_CLIENT_CA, an application's API key is accepted only over a connection whose client
 * certificate the CA signed and whose subject serialNumber is the key's organisation's credit code
 * (the X-Road pattern: the certificate names the member, the key names the application).
 */
async function checkClientCertificate(request: FastifyRequest, principal: Principal, auth: Authenticator): Promise<void> {
  const socket = request.raw.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) {
    throw new UnauthorizedError('client_certificate_required', {
      zh: '接口调用须出示由平台 CA 签发的客户端证书',
      en: "API calls need a client certificate issued by the platform's CA",
    });
  }
  const subject = socket.getPeerCertificate().subject as unknown as Record<string, string | string[] | undefined>;
  const serial = [subject.serialNumber].flat()[0];
  const uscc = await auth.orgUscc(principal.orgId);
  if (!uscc || serial !== uscc) {
    throw new ForbiddenError('client_certificate_mismatch', {
      zh: '客户端证书所属机构与 API 密钥所属机构不一致',
      en: "The client certificate's organisation does not match the API key's",
    });
  }
}
