/**
 * Society users' own endpoints (`/api/v1/open/account/…`): registration, e-mail verification, sign-in
 * with the portal's own cookie (pdx_open_session, with a CSRF cookie for changing requests), password
 * reset, open-API keys, and their applications, data requests and showcase entries.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { applicationSchema, demandSchema, errors, idParam, showcaseSchema, toApplication } from './open.schemas.ts';
import type { OpenService } from './open.service.ts';
import { societyCaller, toDemand, toShowcase } from './open.routes.ts';
import { SOCIETY_COOKIE, SOCIETY_CSRF_COOKIE } from './society.ts';

const anyone = { society: 'optional' } as const;
const member = { society: 'required' } as const;
const notice = z.object({ delivery: z.enum(['email', 'log']).describe('email：已发送邮件；log：未配置邮件服务，链接写入服务器日志') });
const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  kind: z.enum(['individual', 'enterprise']),
  displayName: z.string(),
  orgName: z.string().nullable(),
  uscc: z.string().nullable(),
  phone: z.string().nullable(),
  verified: z.boolean(),
  createdAt: z.date(),
});
const keySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  revokedAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
  createdAt: z.date(),
});
const password = z.string().min(1).max(256);

export function openAccountRoutes(deps: { open: OpenService; secureCookies: boolean }): FastifyPluginAsyncZod {
  const { society, participation } = deps.open;
  const cookieBase = { path: '/', sameSite: 'strict' as const, secure: deps.secureCookies };
  return async (app) => {
    app.post(
      '/open/account/register',
      {
        config: { access: anyone },
        schema: {
          tags: ['open-account'],
          summary: 'Register a society user; a verification link follows by e-mail / 社会用户注册',
          body: z.object({
            email: z.email().max(254),
            password,
            kind: z.enum(['individual', 'enterprise']),
            displayName: z.string().trim().min(1).max(100),
            orgName: z.string().trim().max(200).optional(),
            uscc: z.string().trim().max(18).optional(),
            phone: z.string().trim().max(40).optional(),
          }),
          response: { 202: notice, ...errors },
        },
      },
      async (request, reply) => reply.status(202).send(await society.register(societyCaller(request), request.body)),
    );

    app.post(
      '/open/account/verify',
      {
        config: { access: anyone },
        schema: {
          tags: ['open-account'],
          summary: 'Verify the e-mail address by its link / 邮箱验证',
          body: z.object({ token: z.string().min(10).max(200) }),
          response: { 200: userSchema, ...errors },
        },
      },
      async (request) => society.verify(societyCaller(request), request.body.token),
    );

    app.post(
      '/open/account/login',
      {
        config: { access: anyone },
        schema: {
          tags: ['open-account'],
          summary: 'Sign in to the portal / 社会用户登录',
          body: z.object({ email: z.string().min(1).max(254), password }),
          response: { 200: z.object({ user: userSchema }), ...errors },
        },
      },
      async (request, reply) => {
        const { token, csrf, user } = await society.login({ ...societyCaller(request), userAgent: request.headers['user-agent'] ?? '' }, request.body);
        reply.setCookie(SOCIETY_COOKIE, token, { ...cookieBase, httpOnly: true });
        // Readable by the portal so it can echo it in x-csrf-token (double submit, bound to the session).
        reply.setCookie(SOCIETY_CSRF_COOKIE, csrf, { ...cookieBase, httpOnly: false });
        return { user };
      },
    );

    app.post(
      '/open/account/logout',
      { config: { access: member }, schema: { tags: ['open-account'], summary: 'Sign out of the portal / 退出', response: { 204: z.null(), ...errors } } },
      async (request, reply) => {
        await society.logout(societyCaller(request), request.cookies[SOCIETY_COOKIE] ?? '');
        reply.clearCookie(SOCIETY_COOKIE, cookieBase).clearCookie(SOCIETY_CSRF_COOKIE, cookieBase);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/open/account/me',
      {
        config: { access: member },
        schema: { tags: ['open-account'], summary: 'The signed-in society user / 当前社会用户', response: { 200: userSchema, ...errors } },
      },
      async (request) => society.me(request.society!),
    );

    app.post(
      '/open/account/reset-request',
      {
        config: { access: anyone },
        schema: {
          tags: ['open-account'],
          summary: 'Ask for a password-reset link (same answer for any address) / 找回密码',
          body: z.object({ email: z.string().min(3).max(254) }),
          response: { 202: notice, ...errors },
        },
      },
      async (request, reply) => reply.status(202).send(await society.requestReset(societyCaller(request), request.body.email)),
    );

    app.post(
      '/open/account/reset',
      {
        config: { access: anyone },
        schema: {
          tags: ['open-account'],
          summary: 'Set a new password by the reset link / 重置密码',
          body: z.object({ token: z.string().min(10).max(200), password }),
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await society.reset(societyCaller(request), request.body.token, request.body.password);
        return reply.status(204).send(null);
      },
    );

    // ---- open-API keys ----

    app.get(
      '/open/account/keys',
      {
        config: { access: member },
        schema: { tags: ['open-account'], summary: 'My open-API keys / 我的接口密钥', response: { 200: z.object({ items: z.array(keySchema) }), ...errors } },
      },
      async (request) => ({
        items: (await society.keys(request.society!)).map((k) => ({
          id: k.id,
          name: k.name,
          prefix: k.prefix,
          revokedAt: k.revoked_at,
          lastUsedAt: k.last_used_at,
          createdAt: k.created_at,
        })),
      }),
    );
    app.post(
      '/open/account/keys',
      {
        config: { access: member },
        schema: {
          tags: ['open-account'],
          summary: 'Create an open-API key (shown once) / 创建接口密钥',
          body: z.object({ name: z.string().trim().min(1).max(100) }),
          response: { 201: z.object({ key: z.string(), item: keySchema }), ...errors },
        },
      },
      async (request, reply) => {
        const { key, row } = await society.createKey(societyCaller(request), request.body.name);
        return reply.status(201).send({
          key,
          item: { id: row.id, name: row.name, prefix: row.prefix, revokedAt: row.revoked_at, lastUsedAt: row.last_used_at, createdAt: row.created_at },
        });
      },
    );
    app.post(
      '/open/account/keys/:id/revoke',
      {
        config: { access: member },
        schema: { tags: ['open-account'], summary: 'Revoke an open-API key / 吊销接口密钥', params: idParam, response: { 204: z.null(), ...errors } },
      },
      async (request, reply) => {
        await society.revokeKey(societyCaller(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    // ---- what I asked for ----

    app.get(
      '/open/account/applications',
      {
        config: { access: member },
        schema: {
          tags: ['open-account'],
          summary: 'My applications / 我的申请',
          response: { 200: z.object({ items: z.array(applicationSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await participation.myApplications(societyCaller(request))).map(toApplication) }),
    );
    app.get(
      '/open/account/demands',
      {
        config: { access: member },
        schema: {
          tags: ['open-account'],
          summary: 'My data requests / 我的数据需求',
          response: { 200: z.object({ items: z.array(demandSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await participation.myDemands(societyCaller(request))).map(toDemand) }),
    );
    app.get(
      '/open/account/showcases',
      {
        config: { access: member },
        schema: {
          tags: ['open-account'],
          summary: 'My showcase entries / 我的应用',
          response: { 200: z.object({ items: z.array(showcaseSchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await participation.myShowcases(societyCaller(request))).map(toShowcase) }),
    );
  };
}
