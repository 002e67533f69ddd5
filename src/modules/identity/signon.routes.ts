import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf, COMMON_ERRORS } from '../../http/kit.ts';
import { meOf, meSchema, sessionCookies } from './identity.routes.ts';
import type { IdentityService } from './identity.service.ts';
import { SsoError, type Oidc } from './oidc.ts';

const errors = COMMON_ERRORS;
const id = z.object({ id: z.uuid() });

/** Binds an authorization request to the browser that began it; sent only to the sign-on routes. */
const SSO_COOKIE = 'pdx_sso';
const SSO_COOKIE_PATH = '/api/v1/auth/sso';

const policySchema = z.object({ totpForDataOfficers: z.boolean().describe('数据管理员登录也须动态验证码（三员始终须要）') });

/**
 * Sign-on beyond the password: the second factor, the identity provider (统一身份认证) and what the
 * system and security administrators decide about them.
 */
export function signonRoutes(deps: { identity: IdentityService; oidc: Oidc; secureCookies: boolean }): FastifyPluginAsyncZod {
  const { identity, oidc } = deps;
  const cookies = sessionCookies(deps.secureCookies);
  // Lax, not Strict: the provider sends the browser back with a top-level navigation from its site.
  const ssoCookie = { path: SSO_COOKIE_PATH, sameSite: 'lax' as const, secure: deps.secureCookies, httpOnly: true };
  /** A refused sign-in goes back to the sign-in page, which shows the message for the code. */
  const refuse = (reply: FastifyReply, code: string) => reply.clearCookie(SSO_COOKIE, ssoCookie).redirect(`/?sso_error=${encodeURIComponent(code)}`, 302);

  return async (app) => {
    app.get(
      '/auth/options',
      {
        config: { access: { public: true } },
        schema: {
          tags: ['identity'],
          summary: 'How one may sign in (shown on the sign-in page) / 登录方式',
          response: { 200: z.object({ sso: z.object({ enabled: z.boolean(), demo: z.boolean().describe('演示身份认证（非正式身份认证平台）') }) }) },
        },
      },
      async () => ({ sso: oidc.describe() }),
    );

    app.post(
      '/auth/second-factor',
      {
        config: { access: { public: true } },
        schema: {
          tags: ['identity'],
          summary: 'Second step of a sign-in: the ticket of /auth/login and a code from the authenticator, or a recovery code / 动态验证码',
          body: z.object({
            ticket: z.string().min(1).max(100),
            code: z.string().trim().min(1).max(40).describe('6 位动态验证码，或恢复码 XXXX-XXXX-XXXX-XXXX'),
          }),
          response: {
            200: z.object({
              user: meSchema,
              recoveryCodes: z.array(z.string()).optional().describe('首次绑定时的 10 个一次性恢复码，仅此一次显示'),
              recoveryCodesLeft: z.number().int().optional().describe('使用恢复码登录后剩余的恢复码个数'),
            }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const result = await identity.completeSecondFactor({
          ...request.body,
          ip: request.ip,
          userAgent: request.headers['user-agent'],
          requestId: request.id,
        });
        cookies.set(reply, result.token, result.csrf);
        return {
          user: await meOf(identity, result.user),
          ...(result.recoveryCodes ? { recoveryCodes: result.recoveryCodes } : {}),
          ...(result.recoveryCodesLeft === undefined ? {} : { recoveryCodesLeft: result.recoveryCodesLeft }),
        };
      },
    );

    app.get(
      '/auth/sso/start',
      {
        config: { access: { public: true } },
        schema: {
          tags: ['identity'],
          summary: 'Sign in through the identity provider: redirects to it / 统一身份认证登录',
          querystring: z.object({ returnTo: z.string().max(500).optional().describe('登录后回到的控制台路径') }),
          response: { 302: z.null().describe('to the provider, or back to the sign-in page with sso_error') },
        },
      },
      async (request, reply) => {
        try {
          const { url, browserToken } = await oidc.start(request.query.returnTo, {
            ip: request.ip,
            userAgent: request.headers['user-agent'],
            requestId: request.id,
          });
          reply.setCookie(SSO_COOKIE, browserToken, { ...ssoCookie, maxAge: 600 });
          return reply.redirect(url, 302);
        } catch (e) {
          if (e instanceof SsoError) return refuse(reply, e.code);
          throw e;
        }
      },
    );

    app.get(
      '/auth/sso/callback',
      {
        config: { access: { public: true } },
        schema: {
          tags: ['identity'],
          summary: 'Where the identity provider sends the browser back; opens a session or refuses with sso_error / 统一身份认证回调',
          querystring: z.object({
            code: z.string().max(2000).optional(),
            state: z.string().max(500).optional(),
            error: z.string().max(200).optional(),
            error_description: z.string().max(1000).optional(),
          }),
          response: { 302: z.null().describe('into the console, or back to the sign-in page with sso_error') },
        },
      },
      async (request, reply) => {
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
        try {
          const { session, returnTo } = await oidc.callback(query, request.cookies[SSO_COOKIE], {
            ip: request.ip,
            userAgent: request.headers['user-agent'],
            requestId: request.id,
          });
          cookies.set(reply, session.token, session.csrf);
          return reply.clearCookie(SSO_COOKIE, ssoCookie).redirect(returnTo, 302);
        } catch (e) {
          if (e instanceof SsoError) return refuse(reply, e.code);
          throw e;
        }
      },
    );

    app.get(
      '/auth/sign-on-policy',
      {
        config: { access: { roles: ['secadmin', 'sysadmin'] } },
        schema: { tags: ['identity'], summary: 'Sign-in policy / 登录安全策略', response: { 200: policySchema, ...errors } },
      },
      async () => identity.getSignOnPolicy(),
    );
    app.put(
      '/auth/sign-on-policy',
      {
        config: { access: { roles: ['secadmin'] } },
        schema: {
          tags: ['identity'],
          summary: 'Set the sign-in policy (security administrator) / 设置登录安全策略',
          body: policySchema,
          response: { 200: policySchema, ...errors },
        },
      },
      async (request) => identity.setSignOnPolicy(callerOf(request), request.body),
    );

    app.post(
      '/users/:id/approve',
      {
        config: { access: { roles: ['sysadmin'] } },
        schema: {
          tags: ['identity'],
          summary: 'Admit an account made by a first sign-in through the identity provider / 审核通过统一身份认证账号',
          params: id,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await identity.approveUser(callerOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
    app.post(
      '/users/:id/reset-second-factor',
      {
        config: { access: { roles: ['sysadmin'] } },
        schema: {
          tags: ['identity'],
          summary: 'Remove an account’s authenticator; it enrols again at the next sign-in (administrators: host only, pdx user reset-mfa) / 重置动态验证码',
          params: id,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await identity.resetSecondFactor(callerOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
