/**
 * Society users (社会用户): individuals and enterprises of the open-data portal. A separate kind of
 * account from government users (own table, own session cookie, own key prefix `pdxo_`): a society
 * session or key is never looked at by the console's role checks. Same password rules and lockout as
 * government users (identity/passwords.ts, 5 failures → 15 minutes). E-mail verification by SMTP when
 * PDX_SMTP_* is set; otherwise the link is written to the log and the answer says so. Registration and
 * reset answer the same whether or not an account exists (no enumeration).
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/index.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../../errors.ts';
import type { SocietyPrincipal } from '../../http/access.ts';
import { requestEvent, type AuditActor, type AuditEvent, type EventSink } from '../audit/events.ts';
import { isValidUscc } from '../identity/codes.ts';
import { DEFAULT_IDENTITY_SETTINGS } from '../identity/identity.service.ts';
import { checkPasswordPolicy, hashPassword } from '../identity/passwords.ts';
import { passwordSignIn } from '../identity/signin.ts';
import { newToken, tokenHash } from '../../lib/tokens.ts';
import type { Mailer } from '../secops/notify.ts';
import type { Limiter } from './limiter.ts';
import { openRepo, type SocietyUserRow } from './open.repo.ts';

export const SOCIETY_COOKIE = 'pdx_open_session';
export const SOCIETY_CSRF_COOKIE = 'pdx_open_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const OPEN_KEY = /^pdxo_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$/;
const SESSION_HOURS = 12;
const VERIFY_HOURS = 48;
const RESET_MINUTES = 60;
const MAIL_TIMEOUT_MS = 10_000;

const INVALID_LOGIN = { zh: '邮箱或密码错误（连续失败 5 次将锁定 15 分钟）', en: 'Wrong e-mail or password (5 failures lock the account for 15 minutes)' };

/** Who calls a portal route, and from where. */
export interface SocietyCaller {
  society?: SocietyPrincipal;
  requestId?: string;
  ip?: string;
}

export interface Registration {
  email: string;
  password: string;
  kind: 'individual' | 'enterprise';
  displayName: string;
  orgName?: string;
  uscc?: string;
  phone?: string;
}

/** What the portal answers to a registration or reset request: the same whether the account exists. */
export interface MailNotice {
  delivery: 'email' | 'log';
}

export function societyActor(p: SocietyPrincipal | undefined): AuditActor | undefined {
  return p ? { userId: p.userId, username: p.email, roles: ['society'], ...(p.apiKeyId ? { apiKeyId: p.apiKeyId } : {}) } : undefined;
}

export function publicSocietyUser(u: SocietyUserRow) {
  return {
    id: u.id,
    email: u.email,
    kind: u.kind,
    displayName: u.display_name,
    orgName: u.org_name,
    uscc: u.uscc,
    phone: u.phone,
    verified: u.email_verified_at !== null,
    createdAt: u.created_at,
  };
}

export function createSocietyService(deps: {
  db: Db;
  events: EventSink;
  mailer: Pick<Mailer, 'configured' | 'sendMessage'>;
  /** Base of links in e-mails (PDX_PUBLIC_URL), never a request's Host header. */
  publicUrl: string;
  /** The structured log: where links go when no SMTP server is configured. */
  log(fields: Record<string, unknown>, message: string): void;
  limiter: Limiter;
  limits: { perHour: number };
  sessionIdleMinutes: number;
}) {
  const { db, events, mailer } = deps;
  const repo = openRepo(db);
  const { maxFailedLogins, lockMinutes } = DEFAULT_IDENTITY_SETTINGS;

  const record = (caller: SocietyCaller, event: Omit<AuditEvent, 'requestId' | 'ip'>) => events.record(requestEvent(caller, event));

  /** One attempt of an abuse-prone action from an address (registration, sign-in, reset). */
  const attempt = (caller: SocietyCaller) => deps.limiter.hit(`acct:${caller.ip ?? '?'}`, deps.limits.perHour);

  /** Sends a mail, or writes it to the log when no SMTP server is configured. Never throws. */
  async function deliver(to: string, subject: string, text: string, link?: string): Promise<MailNotice> {
    if (!mailer.configured) {
      deps.log(
        { to, subject, ...(link ? { link } : {}) },
        'open data: e-mail not sent (PDX_SMTP_HOST is not set); the message is in this log line / 未配置邮件服务，邮件内容写入日志',
      );
      return { delivery: 'log' };
    }
    const sent = await mailer.sendMessage({ to, subject, text }, MAIL_TIMEOUT_MS);
    if (!sent.ok) deps.log({ to, subject, error: sent.error }, 'open data: e-mail could not be sent / 邮件发送失败');
    return { delivery: 'email' };
  }

  async function issueToken(userId: string, purpose: 'verify' | 'reset', ms: number): Promise<string> {
    const token = newToken();
    await repo.insertToken({ hash: tokenHash(token), userId, purpose, expiresAt: new Date(Date.now() + ms) });
    return token;
  }

  const link = (path: string, token: string) => `${deps.publicUrl.replace(/\/$/, '')}${path}?token=${encodeURIComponent(token)}`;

  async function keyPrincipal(key: string): Promise<SocietyPrincipal> {
    const m = OPEN_KEY.exec(key);
    const row = m ? await repo.keyByPrefix(m[1]!) : undefined;
    const expected = row ? Buffer.from(row.key_hash) : undefined;
    const given = Buffer.from(tokenHash(key));
    if (!row || !expected || expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new UnauthorizedError('invalid_open_key', { zh: '开放接口密钥无效', en: 'Invalid open-data API key' });
    }
    if (row.revoked_at) throw new UnauthorizedError('open_key_revoked', { zh: '开放接口密钥已吊销', en: 'The open-data API key has been revoked' });
    const user = await repo.user(row.user_id);
    if (!user || user.disabled) throw new UnauthorizedError('open_key_owner_disabled', { zh: '密钥所属账号已停用', en: 'The owner of this key is disabled' });
    await repo.touchKey(row.id);
    return { kind: 'society', userId: user.id, email: user.email, verified: user.email_verified_at !== null, apiKeyId: row.id };
  }

  const service = {
    /**
     * Registers an account and mails the verification link. The answer is the same when the address
     * is taken (its owner gets a mail saying so), so registration tells nobody which addresses exist.
     */
    async register(caller: SocietyCaller, input: Registration): Promise<MailNotice> {
      attempt(caller);
      const email = input.email.trim().toLowerCase();
      checkPasswordPolicy(input.password, email.split('@')[0] ?? '');
      if (input.kind === 'enterprise') {
        if (!input.orgName?.trim())
          throw new BadRequestError('org_required', { zh: '企业用户须填写企业名称', en: 'Enterprise accounts need the company name' }, { field: 'orgName' });
        if (!input.uscc || !isValidUscc(input.uscc)) {
          throw new BadRequestError('invalid_uscc', { zh: '统一社会信用代码无效', en: 'Invalid unified social credit code' }, { field: 'uscc' });
        }
      }
      const hash = await hashPassword(input.password);
      const existing = await repo.userByEmail(email);
      if (existing) {
        await record(caller, {
          action: 'open.register',
          result: 'failure',
          actor: { username: email, roles: ['society'] },
          details: { reason: 'email_taken' },
        });
        return deliver(
          email,
          '【开放数据门户】注册提醒 / Registration attempt',
          `有人使用本邮箱在开放数据门户注册账号，但该邮箱已注册。如果是您本人，请直接登录；忘记密码可在登录页重置。\n\nSomeone tried to register on the open-data portal with this address, which already has an account. If it was you, sign in or reset your password.\n\n${deps.publicUrl.replace(/\/$/, '')}/open/login`,
        );
      }
      const id = randomUUID();
      await repo.insertUser({
        id,
        email,
        kind: input.kind,
        display_name: input.displayName.trim(),
        org_name: input.kind === 'enterprise' ? (input.orgName?.trim() ?? null) : null,
        uscc: input.kind === 'enterprise' ? (input.uscc ?? null) : null,
        phone: input.phone?.trim() || null,
        password_hash: hash,
      });
      const created = await repo.userByEmail(email);
      if (!created || created.id !== id) return { delivery: mailer.configured ? 'email' : 'log' };
      const url = link('/open/verify', await issueToken(id, 'verify', VERIFY_HOURS * 3_600_000));
      await record(caller, {
        action: 'open.register',
        result: 'success',
        actor: { userId: id, username: email, roles: ['society'] },
        target: { type: 'society_user', id, label: email },
        details: { kind: input.kind },
      });
      return deliver(
        email,
        '【开放数据门户】请验证您的邮箱 / Verify your e-mail',
        `欢迎注册开放数据门户。请在 ${VERIFY_HOURS} 小时内打开以下链接完成邮箱验证：\n${url}\n\nWelcome to the open-data portal. Open this link within ${VERIFY_HOURS} hours to verify your e-mail:\n${url}`,
        url,
      );
    },

    /** Marks the e-mail verified by its one-time link. */
    async verify(caller: SocietyCaller, token: string) {
      const used = await repo.useToken(tokenHash(token), 'verify');
      if (!used)
        throw new BadRequestError('invalid_token', { zh: '验证链接无效或已过期', en: 'The verification link is invalid or has expired' }, { field: 'token' });
      await repo.setVerified(used.user_id);
      const user = (await repo.user(used.user_id))!;
      await record(caller, {
        action: 'open.verify',
        result: 'success',
        actor: { userId: user.id, username: user.email, roles: ['society'] },
        target: { type: 'society_user', id: user.id, label: user.email },
      });
      return publicSocietyUser(user);
    },

    /** Signs in; the same error for unknown addresses, wrong passwords and locked accounts. */
    async login(caller: SocietyCaller & { userAgent?: string }, input: { email: string; password: string }) {
      attempt(caller);
      const email = input.email.trim().toLowerCase();
      const user = await repo.userByEmail(email);
      const actor = user ? { userId: user.id, username: user.email, roles: ['society'] } : { username: email, roles: ['society'] };
      const { token, csrf } = await passwordSignIn(user, input.password, {
        store: repo,
        maxFailedLogins,
        lockMinutes,
        sessionHours: SESSION_HOURS,
        refusal: INVALID_LOGIN,
        ...(caller.ip ? { ip: caller.ip } : {}),
        ...(caller.userAgent ? { userAgent: caller.userAgent } : {}),
        onFailure: (reason) => record(caller, { action: 'open.login', result: 'failure', actor, details: { reason } }),
        onLockout: (lockedUntil) =>
          record(caller, {
            action: 'open.lockout',
            result: 'success',
            actor,
            target: { type: 'society_user', id: user!.id, label: user!.email },
            details: { lockedUntil },
          }),
      });
      await record(caller, { action: 'open.login', result: 'success', actor });
      return { token, csrf, user: publicSocietyUser(user!) };
    },

    async logout(caller: SocietyCaller, token: string) {
      await repo.endSession(tokenHash(token));
      await record(caller, { action: 'open.logout', result: 'success', actor: societyActor(caller.society) });
    },

    async me(p: SocietyPrincipal) {
      const user = await repo.user(p.userId);
      if (!user) throw new UnauthorizedError();
      return publicSocietyUser(user);
    },

    /** Sends a reset link to an account's address; the same answer (and a mail) for any address. */
    async requestReset(caller: SocietyCaller, emailInput: string): Promise<MailNotice> {
      attempt(caller);
      const email = emailInput.trim().toLowerCase();
      const user = await repo.userByEmail(email);
      await record(caller, {
        action: 'open.reset_request',
        result: user ? 'success' : 'failure',
        actor: { username: email, roles: ['society'] },
        ...(user ? {} : { details: { reason: 'unknown_user' } }),
      });
      if (!user) {
        return deliver(
          email,
          '【开放数据门户】密码重置 / Password reset',
          '有人为本邮箱申请重置开放数据门户的密码，但本邮箱没有注册账号。如非本人操作请忽略。\n\nSomeone asked to reset the password of an open-data portal account at this address, but there is no such account. If it was not you, ignore this mail.',
        );
      }
      const url = link('/open/reset', await issueToken(user.id, 'reset', RESET_MINUTES * 60_000));
      return deliver(
        email,
        '【开放数据门户】密码重置 / Password reset',
        `请在 ${RESET_MINUTES} 分钟内打开以下链接设置新密码:\n${url}\n\nOpen this link within ${RESET_MINUTES} minutes to set a new password:\n${url}`,
        url,
      );
    },

    /** Sets a new password by a reset link; proves the mailbox too, and ends every session. */
    async reset(caller: SocietyCaller, token: string, password: string) {
      const used = await repo.useToken(tokenHash(token), 'reset');
      if (!used) throw new BadRequestError('invalid_token', { zh: '重置链接无效或已过期', en: 'The reset link is invalid or has expired' }, { field: 'token' });
      const user = (await repo.user(used.user_id))!;
      checkPasswordPolicy(password, user.email.split('@')[0] ?? '');
      await repo.setPassword(user.id, await hashPassword(password));
      await repo.setVerified(user.id);
      await repo.endUserSessions(user.id);
      await record(caller, {
        action: 'open.password_reset',
        result: 'success',
        actor: { userId: user.id, username: user.email, roles: ['society'] },
        target: { type: 'society_user', id: user.id, label: user.email },
      });
    },

    /**
     * Recognises a society user on a portal route: an open-API key (where the route admits keys) or
     * the portal session cookie, with its CSRF token on changing requests.
     */
    async identify(request: FastifyRequest, options: { apiKey: boolean }): Promise<SocietyPrincipal | undefined> {
      const header = request.headers.authorization;
      if (header !== undefined) {
        if (!options.apiKey) throw new UnauthorizedError('api_key_not_allowed', { zh: '该接口不接受 API 密钥', en: 'This endpoint does not accept API keys' });
        const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
        if (!match)
          throw new UnauthorizedError('invalid_open_key', {
            zh: '开放接口密钥格式错误，应为 Authorization: Bearer pdxo_…',
            en: 'Malformed key; expected Authorization: Bearer pdxo_…',
          });
        return keyPrincipal(match[1]!);
      }
      const token = request.cookies[SOCIETY_COOKIE];
      if (!token) return undefined;
      const session = await repo.touchSession(tokenHash(token), deps.sessionIdleMinutes);
      if (!session) return undefined;
      const user = await repo.user(session.user_id);
      if (!user || user.disabled) return undefined;
      if (!SAFE_METHODS.has(request.method)) {
        const given = request.headers['x-csrf-token'];
        if (typeof given !== 'string' || tokenHash(given) !== session.csrf_hash) {
          throw new ForbiddenError('csrf_failed', { zh: 'CSRF 校验失败，请刷新页面后重试', en: 'CSRF check failed; reload the page and retry' });
        }
      }
      return { kind: 'society', userId: user.id, email: user.email, verified: user.email_verified_at !== null };
    },

    /** Refuses what needs a verified address (applications, keys, feedback). */
    requireVerified(p: SocietyPrincipal | undefined): SocietyPrincipal {
      if (!p) throw new UnauthorizedError();
      if (!p.verified) throw new ForbiddenError('email_not_verified', { zh: '请先完成邮箱验证', en: 'Verify your e-mail first' });
      return p;
    },

    // ---- open-API keys ----

    keys: (p: SocietyPrincipal) => repo.keys(p.userId),

    async createKey(caller: SocietyCaller, name: string) {
      const p = service.requireVerified(caller.society);
      if (p.apiKeyId) throw new ForbiddenError('api_key_not_allowed', { zh: '不能用 API 密钥创建密钥', en: 'A key cannot create keys' });
      const prefix = randomBytes(8).toString('hex').slice(0, 10);
      const key = `pdxo_${prefix}_${randomBytes(32).toString('base64url')}`;
      const row = await repo.insertKey({ id: randomUUID(), user_id: p.userId, name, prefix, key_hash: tokenHash(key) });
      await record(caller, {
        action: 'open.apikey.create',
        result: 'success',
        actor: societyActor(p),
        target: { type: 'open_api_key', id: row.id, label: name },
        details: { prefix },
      });
      return { key, row };
    },

    async revokeKey(caller: SocietyCaller, id: string) {
      const p = caller.society!;
      const row = await repo.revokeKey(p.userId, id);
      if (!row) throw new NotFoundError({ zh: 'API 密钥', en: 'API key' });
      await record(caller, { action: 'open.apikey.revoke', result: 'success', actor: societyActor(p), target: { type: 'open_api_key', id, label: row.name } });
      return row;
    },

    /** The e-mail of an account (for decisions on applications). */
    emailOf: async (userId: string) => (await repo.user(userId))?.email,

    /** Creates a verified account directly (the demo world); refuses an address already taken. */
    async seed(input: Registration): Promise<SocietyUserRow> {
      const email = input.email.trim().toLowerCase();
      if (await repo.userByEmail(email)) throw new ConflictError('email_taken', { zh: '邮箱已注册', en: 'E-mail already registered' });
      const id = randomUUID();
      await repo.insertUser({
        id,
        email,
        kind: input.kind,
        display_name: input.displayName,
        org_name: input.orgName ?? null,
        uscc: input.uscc ?? null,
        phone: input.phone ?? null,
        password_hash: await hashPassword(input.password),
      });
      await repo.setVerified(id);
      return (await repo.user(id))!;
    },

    /** Sends a notice to an account's address (decisions), or writes it to the log. */
    notify: (to: string, subject: string, text: string) => deliver(to, subject, text),
  };
  return service;
}

export type SocietyService = ReturnType<typeof createSocietyService>;
