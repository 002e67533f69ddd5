import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../http/access.ts';
import { CSRF_COOKIE, SESSION_COOKIE } from '../../http/auth.ts';
import type { AdminChangeRow, OrgRow } from './identity.repo.ts';
import type { HeldChange, IdentityService, PublicUser } from './identity.service.ts';
import { COMMON_ERRORS, callerOf } from '../../http/kit.ts';

/** Kept here for code written against the old place; new code imports it from src/http/kit.ts. */
export { callerOf } from '../../http/kit.ts';

const role = z.enum(ROLES);
const orgType = z.enum(['authority', 'government', 'department', 'enterprise']);
const orgLevel = z.enum(['province', 'city', 'county']);
const id = z.object({ id: z.uuid() });
const errors = COMMON_ERRORS;

export const orgSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: orgType,
  level: orgLevel,
  uscc: z.string().nullable(),
  regionCode: z.string(),
  parentId: z.string().nullable(),
  /** When it was disabled (停用); null while in service. */
  disabledAt: z.date().nullable(),
  disabledReason: z.string().nullable(),
});
const orgInput = z.object({
  name: z.string().trim().min(2).max(100).describe('机构名称'),
  type: orgType,
  level: orgLevel,
  uscc: z.string().trim().toUpperCase().nullable().default(null).describe('统一社会信用代码（GB 32100）'),
  regionCode: z.string().trim().describe('行政区划代码（GB/T 2260）'),
  parentId: z.uuid().nullable().default(null),
});
const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  orgId: z.string(),
  roles: z.array(role),
  mustChangePassword: z.boolean(),
  locked: z.boolean(),
  disabled: z.boolean(),
  lastLoginAt: z.date().nullable(),
  createdAt: z.date(),
  pendingApproval: z.boolean().describe('统一身份认证首次登录创建、等待系统管理员审核'),
  signOn: z.enum(['local', 'sso']).describe('local：本地口令；sso：统一身份认证'),
  secondFactor: z.boolean().describe('已绑定动态验证码（TOTP）'),
});
const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  expiresAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
  createdAt: z.date(),
  state: z
    .enum(['active', 'revoked', 'expired', 'suspended', 'throttled'])
    .describe('suspended / throttled: contained by security operations / 已被安全运营处置（暂停或限流）'),
  throttledUntil: z.date().nullable().describe('throttled: refused until this time / 限流截止时间'),
});
export const meSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  orgId: z.string(),
  orgName: z.string(),
  roles: z.array(role),
  mustChangePassword: z.boolean(),
  kind: z.enum(['user', 'apikey']),
});

const changeFields = z.object({
  username: z.string().optional(),
  displayName: z.string().optional(),
  orgId: z.string().optional(),
  roles: z.array(role).optional(),
  disabled: z.boolean().optional(),
});
/** A change to an administrator account (三员), held for a second administrator (never its password). */
export const adminChangeSchema = z.object({
  id: z.string(),
  kind: z.enum(['create', 'update', 'reset_password']),
  state: z.enum(['pending', 'applied', 'rejected', 'withdrawn']),
  targetUserId: z.string().nullable(),
  targetUsername: z.string(),
  adminRoles: z.array(z.enum(['sysadmin', 'secadmin', 'auditor'])),
  approverRole: z.enum(['secadmin', 'auditor']),
  changes: changeFields,
  before: changeFields.nullable(),
  proposedBy: z.object({ id: z.string(), username: z.string() }),
  proposedAt: z.date(),
  decidedBy: z.object({ id: z.string(), username: z.string() }).nullable(),
  decidedAt: z.date().nullable(),
  reason: z.string().nullable(),
});
const heldSchema = z.object({
  change: adminChangeSchema,
  passwordPart: z.string().optional().describe('生成密码的前半部分，仅此一次显示给提议人；后半部分在批准时显示给审批人'),
});

type OrgOut = z.infer<typeof orgSchema>;
type UserOut = z.infer<typeof userSchema>;

function toOrg(o: OrgRow): OrgOut {
  return {
    id: o.id,
    name: o.name,
    type: o.type,
    level: o.level,
    uscc: o.uscc,
    regionCode: o.region_code,
    parentId: o.parent_id,
    disabledAt: o.disabled_at,
    disabledReason: o.disabled_reason,
  };
}

function toUser(
  u: {
    id: string;
    pending_approval?: boolean;
    totp_enrolled_at?: Date | null;
    username: string;
    display_name: string;
    org_id: string;
    roles: UserOut['roles'];
    must_change_password: boolean;
    locked_until: Date | null;
    disabled: boolean;
    last_login_at: Date | null;
    created_at: Date;
  },
  sso?: Set<string>,
): UserOut {
  return {
    id: u.id,
    username: u.username,
    displayName: u.display_name,
    orgId: u.org_id,
    roles: u.roles,
    mustChangePassword: u.must_change_password,
    locked: u.locked_until !== null && u.locked_until > new Date(),
    disabled: u.disabled,
    lastLoginAt: u.last_login_at,
    createdAt: u.created_at,
    pendingApproval: u.pending_approval ?? false,
    signOn: sso?.has(u.id) ? 'sso' : 'local',
    secondFactor: Boolean(u.totp_enrolled_at),
  };
}

/** A key as its holder sees it, including what security operations did to it (suspended, throttled until). */
function toApiKey(k: {
  id: string;
  name: string;
  prefix: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
  suspended_at?: Date | null;
  throttled_until?: Date | null;
}) {
  const now = new Date();
  const throttledUntil = k.throttled_until && k.throttled_until > now ? k.throttled_until : null;
  const state = k.revoked_at
    ? ('revoked' as const)
    : k.expires_at && k.expires_at <= now
      ? ('expired' as const)
      : k.suspended_at
        ? ('suspended' as const)
        : throttledUntil
          ? ('throttled' as const)
          : ('active' as const);
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    expiresAt: k.expires_at,
    revokedAt: k.revoked_at,
    lastUsedAt: k.last_used_at,
    createdAt: k.created_at,
    state,
    throttledUntil,
  };
}

function toChange(c: AdminChangeRow): z.infer<typeof adminChangeSchema> {
  return {
    id: c.id,
    kind: c.kind,
    state: c.state,
    targetUserId: c.target_user_id,
    targetUsername: c.target_username,
    adminRoles: c.admin_roles,
    approverRole: c.approver_role,
    changes: c.changes,
    before: c.before,
    proposedBy: { id: c.proposed_by, username: c.proposed_by_username ?? '' },
    proposedAt: c.proposed_at,
    decidedBy: c.decided_by ? { id: c.decided_by, username: c.decided_by_username ?? '' } : null,
    decidedAt: c.decided_at,
    reason: c.reason,
  };
}

const toHeld = (h: HeldChange) => ({ change: toChange(h.change), ...(h.passwordPart ? { passwordPart: h.passwordPart } : {}) });

/** The signed-in account as the console sees it. */
export async function meOf(identity: IdentityService, user: PublicUser): Promise<z.infer<typeof meSchema>> {
  const org = await identity.getOrg(user.org_id);
  return {
    id: user.id,
    username: user.username,
    displayName: user.display_name,
    orgId: user.org_id,
    orgName: org.name,
    roles: user.roles,
    mustChangePassword: user.must_change_password,
    kind: 'user',
  };
}

/** Sets the session cookie and the CSRF cookie the console echoes (double submit, bound to the session). */
export function sessionCookies(secure: boolean) {
  const base = { path: '/', sameSite: 'strict' as const, secure };
  return {
    base,
    set(reply: FastifyReply, token: string, csrf: string) {
      reply.setCookie(SESSION_COOKIE, token, { ...base, httpOnly: true });
      reply.setCookie(CSRF_COOKIE, csrf, { ...base, httpOnly: false });
    },
  };
}

/** What the password step answers an account that needs a second factor. */
export const secondFactorSchema = z.object({
  ticket: z.string().describe('第二步凭据，5 分钟内有效，与验证码一同提交到 /auth/second-factor'),
  expiresAt: z.date(),
  enrol: z
    .object({
      secret: z.string().describe('新的 TOTP 密钥（base32），供手工输入验证器'),
      otpauthUrl: z.string(),
      qrDataUrl: z.string().describe('二维码图片（data: URL）'),
    })
    .optional()
    .describe('首次登录：绑定验证器，提交第一个验证码后生效'),
});

/** Sign-in, sessions, organisations, users and API keys. */
export function identityRoutes(deps: {
  identity: IdentityService;
  secureCookies: boolean;
  /** RP-initiated logout: the provider's end-session URL for a session opened through it. */
  endSessionUrl?: (idToken: string) => Promise<string | undefined>;
  /** Accounts reached through the identity provider (marked in the user list). */
  ssoUserIds?: () => Promise<Set<string>>;
}): FastifyPluginAsyncZod {
  const { identity } = deps;
  const cookies = sessionCookies(deps.secureCookies);
  const cookieBase = cookies.base;

  return async (app) => {
    app.post(
      '/auth/login',
      {
        config: { access: { public: true } },
        schema: {
          tags: ['identity'],
          summary: 'Sign in to the console; administrators (and data officers by policy) then send a TOTP code to /auth/second-factor / 登录',
          body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }),
          response: { 200: z.union([z.object({ user: meSchema }), z.object({ secondFactor: secondFactorSchema })]), ...errors },
        },
      },
      async (request, reply) => {
        const result = await identity.login({
          ...request.body,
          ip: request.ip,
          userAgent: request.headers['user-agent'],
          requestId: request.id,
        });
        if ('secondFactor' in result) return { secondFactor: result.secondFactor };
        cookies.set(reply, result.token, result.csrf);
        return { user: await meOf(identity, result.user) };
      },
    );

    app.post(
      '/auth/logout',
      {
        config: { access: { authenticated: true }, allowWhilePasswordExpired: true },
        schema: {
          tags: ['identity'],
          summary:
            'End the console session; a session opened through the identity provider answers 200 with the provider’s end-session URL to visit / 退出登录',
          response: { 200: z.object({ endSessionUrl: z.string().describe('统一身份认证平台的退出地址（RP 发起的退出）') }), 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        const { idToken } = await identity.logout(callerOf(request), request.cookies[SESSION_COOKIE] ?? '');
        reply.clearCookie(SESSION_COOKIE, cookieBase).clearCookie(CSRF_COOKIE, cookieBase);
        const endSessionUrl = idToken && deps.endSessionUrl ? await deps.endSessionUrl(idToken) : undefined;
        if (endSessionUrl) return reply.status(200).send({ endSessionUrl });
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/auth/me',
      {
        config: { access: { authenticated: true, apiKey: true }, allowWhilePasswordExpired: true },
        schema: { tags: ['identity'], summary: 'Who am I / 当前用户', response: { 200: meSchema, ...errors } },
      },
      async (request) => {
        const { principal } = callerOf(request);
        const user = await identity.getUser(principal.userId);
        const org = await identity.getOrg(principal.orgId);
        return {
          id: user.id,
          username: user.username,
          displayName: user.display_name,
          orgId: org.id,
          orgName: org.name,
          roles: principal.roles,
          mustChangePassword: user.must_change_password,
          kind: principal.kind,
        };
      },
    );

    app.post(
      '/auth/password',
      {
        config: { access: { authenticated: true }, allowWhilePasswordExpired: true },
        schema: {
          tags: ['identity'],
          summary: 'Change own password / 修改密码',
          body: z.object({ currentPassword: z.string().min(1).max(256), newPassword: z.string().min(1).max(256) }),
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await identity.changePassword(callerOf(request), request.body.currentPassword, request.body.newPassword);
        return reply.status(204).send(null);
      },
    );

    // ---- organisations ----
    app.get(
      '/orgs',
      {
        config: { access: { authenticated: true } },
        schema: { tags: ['identity'], summary: 'List organisations / 机构列表', response: { 200: z.object({ items: z.array(orgSchema) }), ...errors } },
      },
      async () => ({ items: (await identity.listOrgs()).map(toOrg) }),
    );
    app.post(
      '/orgs',
      {
        config: { access: { roles: ['sysadmin'] } },
        schema: { tags: ['identity'], summary: 'Create an organisation / 新建机构', body: orgInput, response: { 201: orgSchema, ...errors } },
      },
      async (request, reply) => reply.status(201).send(toOrg(await identity.createOrg(callerOf(request), request.body))),
    );
    app.put(
      '/orgs/:id',
      {
        config: { access: { roles: ['sysadmin'] } },
        schema: { tags: ['identity'], summary: 'Update an organisation / 修改机构', params: id, body: orgInput, response: { 200: orgSchema, ...errors } },
      },
      async (request) => toOrg(await identity.updateOrg(callerOf(request), request.params.id, request.body)),
    );
    app.post(
      '/orgs/:id/state',
      {
        config: { access: { roles: ['sysadmin'] } },
        schema: {
          tags: ['identity'],
          summary: 'Disable or enable an organisation: while disabled none of its accounts or API keys is accepted / 停用或启用机构',
          params: id,
          body: z.object({ disabled: z.boolean(), reason: z.string().max(500).optional().describe('停用理由（停用时必填）') }),
          response: { 200: orgSchema, ...errors },
        },
      },
      async (request) => toOrg(await identity.setOrgDisabled(callerOf(request), request.params.id, request.body)),
    );

    // ---- users ----
    app.get(
      '/users',
      {
        config: { access: { roles: ['sysadmin'] } },
        schema: { tags: ['identity'], summary: 'List users / 用户列表', response: { 200: z.object({ items: z.array(userSchema) }), ...errors } },
      },
      async () => {
        const sso = (await deps.ssoUserIds?.()) ?? new Set<string>();
        return { items: (await identity.listUsers()).map((u) => toUser(u, sso)) };
      },
    );
    app.post(
      '/users',
      {
        config: { access: { roles: ['sysadmin'] } },
        schema: {
          tags: ['identity'],
          summary: 'Create a user; the generated password is returned once (an administrator account is proposed: 202) / 新建用户',
          body: z.object({
            username: z.string().trim().min(1).max(64),
            displayName: z.string().trim().min(1).max(100),
            orgId: z.uuid(),
            roles: z.array(role).min(1),
          }),
          response: { 201: z.object({ user: userSchema, password: z.string() }), 202: heldSchema, ...errors },
        },
      },
      async (request, reply) => {
        const result = await identity.requestCreateUser(callerOf(request), request.body);
        if (result.held) return reply.status(202).send(toHeld(result));
        return reply.status(201).send({ user: toUser({ ...result.user, locked_until: null }), password: result.password });
      },
    );
    app.patch(
      '/users/:id',
      {
        config: { access: { roles: ['sysadmin'] } },
        schema: {
          tags: ['identity'],
          summary: 'Change roles, organisation, name or disable (roles or state of an administrator account: proposed, 202) / 修改用户',
          params: id,
          body: z.object({
            displayName: z.string().trim().min(1).max(100).optional(),
            orgId: z.uuid().optional(),
            roles: z.array(role).min(1).optional(),
            disabled: z.boolean().optional(),
          }),
          response: { 200: userSchema, 202: heldSchema, ...errors },
        },
      },
      async (request, reply) => {
        const result = await identity.requestUpdateUser(callerOf(request), request.params.id, request.body);
        if (result.held) return reply.status(202).send(toHeld(result));
        return reply.status(200).send(toUser(result, await deps.ssoUserIds?.()));
      },
    );
    app.post(
      '/users/:id/reset-password',
      {
        config: { access: { roles: ['sysadmin'] } },
        schema: {
          tags: ['identity'],
          summary: 'Reset a password; the new one is returned once (an administrator account: proposed, 202) / 重置密码',
          params: id,
          response: { 200: z.object({ password: z.string() }), 202: heldSchema, ...errors },
        },
      },
      async (request, reply) => {
        const result = await identity.requestResetPassword(callerOf(request), request.params.id);
        if (result.held) return reply.status(202).send(toHeld(result));
        return reply.status(200).send({ password: result.password });
      },
    );
    app.post(
      '/users/:id/unlock',
      {
        config: { access: { roles: ['sysadmin'] } },
        schema: { tags: ['identity'], summary: 'Unlock a locked account / 解锁账号', params: id, response: { 204: z.null(), ...errors } },
      },
      async (request, reply) => {
        await identity.unlockUser(callerOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    // ---- two-person control of administrator accounts (三员) ----
    app.get(
      '/admin-changes',
      {
        config: { access: { roles: ['sysadmin', 'secadmin', 'auditor'] } },
        schema: {
          tags: ['identity'],
          summary: 'Changes to administrator accounts, pending first / 三员账号变更',
          response: { 200: z.object({ items: z.array(adminChangeSchema) }), ...errors },
        },
      },
      async () => ({ items: (await identity.listAdminChanges()).map(toChange) }),
    );
    app.post(
      '/admin-changes/:id/approve',
      {
        config: { access: { roles: ['secadmin', 'auditor'] } },
        schema: {
          tags: ['identity'],
          summary: 'Approve and apply (the auditor approves sysadmin and secadmin accounts, the secadmin auditor accounts) / 批准三员账号变更',
          params: id,
          response: {
            200: z.object({
              change: adminChangeSchema,
              passwordPart: z.string().optional().describe('生成密码的后半部分，仅此一次显示给审批人'),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { change, passwordPart } = await identity.approveAdminChange(callerOf(request), request.params.id);
        return { change: toChange(change), ...(passwordPart ? { passwordPart } : {}) };
      },
    );
    app.post(
      '/admin-changes/:id/reject',
      {
        config: { access: { roles: ['secadmin', 'auditor'] } },
        schema: {
          tags: ['identity'],
          summary: 'Reject a pending change with a reason / 驳回三员账号变更',
          params: id,
          body: z.object({ reason: z.string().trim().min(2).max(2000) }),
          response: { 200: adminChangeSchema, ...errors },
        },
      },
      async (request) => toChange(await identity.rejectAdminChange(callerOf(request), request.params.id, request.body.reason)),
    );
    app.post(
      '/admin-changes/:id/withdraw',
      {
        config: { access: { roles: ['sysadmin'] } },
        schema: { tags: ['identity'], summary: 'Withdraw a pending proposal / 撤回三员账号变更', params: id, response: { 200: adminChangeSchema, ...errors } },
      },
      async (request) => toChange(await identity.withdrawAdminChange(callerOf(request), request.params.id)),
    );

    // ---- API keys (own organisation) ----
    const keyAccess = { roles: ['consumer', 'data_officer'] as const };
    app.get(
      '/api-keys',
      {
        config: { access: keyAccess },
        schema: {
          tags: ['identity'],
          summary: "Own organisation's API keys / 本单位 API 密钥",
          response: { 200: z.object({ items: z.array(apiKeySchema) }), ...errors },
        },
      },
      async (request) => ({ items: (await identity.listApiKeys(callerOf(request))).map(toApiKey) }),
    );
    app.post(
      '/api-keys',
      {
        config: { access: keyAccess },
        schema: {
          tags: ['identity'],
          summary: 'Create an API key; the key is shown only in this response / 新建 API 密钥',
          body: z.object({ name: z.string().trim().min(1).max(100), expiresAt: z.coerce.date().nullable().default(null) }),
          response: { 201: z.object({ key: z.string(), apiKey: apiKeySchema }), ...errors },
        },
      },
      async (request, reply) => {
        const { key, row } = await identity.createApiKey(callerOf(request), request.body);
        return reply.status(201).send({ key, apiKey: toApiKey(row) });
      },
    );
    app.delete(
      '/api-keys/:id',
      {
        config: { access: keyAccess },
        schema: { tags: ['identity'], summary: 'Revoke an API key / 吊销 API 密钥', params: id, response: { 200: apiKeySchema, ...errors } },
      },
      async (request) => toApiKey(await identity.revokeApiKey(callerOf(request), request.params.id)),
    );
  };
}
