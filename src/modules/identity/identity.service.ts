import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import { BadRequestError, ConflictError, NotFoundError, UnauthorizedError } from '../../errors.ts';
import { EXCLUSIVE_ROLES, type Principal, type Role } from '../../http/access.ts';
import type { AuditActor, AuditEvent, EventSink } from '../audit/events.ts';
import { isValidRegionCode, isValidUscc } from './codes.ts';
import { identityRepo, type ApiKeyRow, type OrgRow, type UserRow } from './identity.repo.ts';
import { checkPasswordPolicy, generatePassword, hashPassword, verifyPassword } from './passwords.ts';
import { passwordSignIn } from './signin.ts';
import { apiKeyPrefix, newApiKey, newToken, tokenHash } from './tokens.ts';

/** Who is acting and from where, for decisions and for the audit record. */
export interface Caller {
  principal: Principal;
  requestId?: string;
  ip?: string;
}

export interface IdentitySettings {
  /** A console session ends after this many minutes without a request. */
  sessionIdleMinutes: number;
  /** …and in any case this many hours after sign-in. */
  sessionMaxHours: number;
  maxFailedLogins: number;
  lockMinutes: number;
}

export const DEFAULT_IDENTITY_SETTINGS: IdentitySettings = {
  sessionIdleMinutes: 30,
  sessionMaxHours: 12,
  maxFailedLogins: 5,
  lockMinutes: 15,
};

export interface OrgInput {
  name: string;
  type: OrgRow['type'];
  level: OrgRow['level'];
  uscc: string | null;
  regionCode: string;
  parentId: string | null;
}

export interface UserInput {
  username: string;
  displayName: string;
  orgId: string;
  roles: Role[];
}

export type PublicUser = Omit<UserRow, 'password_hash'>;

/** Columns of api_keys that security operations set (migration 0008); read through SELECT *. */
type HeldKey = ApiKeyRow & { suspended_at?: Date | null; throttled_until?: Date | null };

const LEVEL_RANK = { province: 0, city: 1, county: 2 } as const;
const INVALID_LOGIN = { zh: '用户名或密码错误(连续失败 5 次将锁定 15 分钟)', en: 'Wrong username or password (5 failures lock the account for 15 minutes)' };

function actorOf(principal: Principal): AuditActor {
  return {
    userId: principal.userId,
    username: principal.username,
    orgId: principal.orgId,
    roles: principal.roles,
    ...(principal.apiKeyId ? { apiKeyId: principal.apiKeyId } : {}),
  };
}

function publicUser({ password_hash: _omit, ...user }: UserRow): PublicUser {
  return user;
}

/** Refuses a role set holding two of 三员 (sysadmin, secadmin, auditor). */
export function checkRoleSeparation(roles: readonly Role[]): void {
  const admin = roles.filter((r) => EXCLUSIVE_ROLES.includes(r));
  if (admin.length > 1) {
    throw new BadRequestError(
      'role_separation',
      {
        zh: `三员分立:系统管理员、安全管理员、审计管理员不能由同一账号兼任(${admin.join('、')})`,
        en: `Separation of duties: one account cannot hold more than one of sysadmin, secadmin, auditor (${admin.join(', ')})`,
      },
      { field: 'roles', roles: admin },
    );
  }
}

/** Identity, organisations, sessions and API keys: who is calling and what they hold. */
export function createIdentityService(deps: { db: Db; events: EventSink; settings?: Partial<IdentitySettings> }) {
  const { db, events } = deps;
  const settings = { ...DEFAULT_IDENTITY_SETTINGS, ...deps.settings };
  const repo = identityRepo(db);

  const record = (caller: Partial<Caller>, event: Omit<AuditEvent, 'requestId' | 'ip'>) =>
    events.record({ ...event, ...(caller.requestId ? { requestId: caller.requestId } : {}), ...(caller.ip ? { ip: caller.ip } : {}) });

  async function validateOrg(input: OrgInput, selfId?: string): Promise<void> {
    if (input.uscc !== null && !isValidUscc(input.uscc)) {
      throw new BadRequestError(
        'invalid_uscc',
        { zh: `统一社会信用代码无效:${input.uscc}(校验位不符或含非法字符)`, en: `Invalid unified social credit code: ${input.uscc}` },
        { field: 'uscc' },
      );
    }
    if (!isValidRegionCode(input.regionCode)) {
      throw new BadRequestError(
        'invalid_region_code',
        { zh: `行政区划代码无效:${input.regionCode}(应为 GB/T 2260 六位代码)`, en: `Invalid region code: ${input.regionCode} (six-digit GB/T 2260)` },
        { field: 'regionCode' },
      );
    }
    if (input.parentId === null) return;
    const parent = await repo.getOrg(input.parentId);
    if (!parent) {
      throw new BadRequestError('unknown_org', { zh: `上级机构不存在:${input.parentId}`, en: `Unknown parent organisation: ${input.parentId}` }, { field: 'parentId' });
    }
    if (LEVEL_RANK[parent.level] > LEVEL_RANK[input.level]) {
      throw new BadRequestError(
        'invalid_parent',
        { zh: '上级机构的行政层级不能低于本机构', en: 'A parent organisation cannot be at a lower administrative level' },
        { field: 'parentId' },
      );
    }
    if (selfId && (await repo.orgAncestors(input.parentId)).some((a) => a.id === selfId)) {
      throw new BadRequestError('invalid_parent', { zh: '机构层级不能形成环', en: 'Organisation tree cannot contain a cycle' }, { field: 'parentId' });
    }
  }

  async function uniqueOrgWrite<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new ConflictError('org_exists', { zh: '同名机构或相同信用代码已存在', en: 'An organisation with this name or credit code exists' });
      }
      throw error;
    }
  }

  async function requireOrg(id: string): Promise<OrgRow> {
    const org = await repo.getOrg(id);
    if (!org) throw new BadRequestError('unknown_org', { zh: `机构不存在:${id}`, en: `Unknown organisation: ${id}` }, { field: 'orgId' });
    return org;
  }

  async function principalOf(user: UserRow, extra: Partial<Principal>): Promise<Principal> {
    return { kind: 'user', userId: user.id, username: user.username, orgId: user.org_id, roles: user.roles, ...extra };
  }

  const service = {
    settings,
    repo,

    // ---- sign-in and sessions ----

    /** Signs in; the same error for unknown users, wrong passwords and locked accounts. */
    async login(input: { username: string; password: string; ip?: string; userAgent?: string; requestId?: string }) {
      const caller = { requestId: input.requestId, ip: input.ip };
      const user = await repo.getUserByName(input.username.trim().toLowerCase());
      const actor = user ? { userId: user.id, username: user.username, orgId: user.org_id } : { username: input.username };
      const { token, csrf } = await passwordSignIn(user, input.password, {
        store: repo,
        maxFailedLogins: settings.maxFailedLogins,
        lockMinutes: settings.lockMinutes,
        sessionHours: settings.sessionMaxHours,
        refusal: INVALID_LOGIN,
        ...(input.ip ? { ip: input.ip } : {}),
        ...(input.userAgent ? { userAgent: input.userAgent } : {}),
        onFailure: (reason) => record(caller, { action: 'auth.login', result: 'failure', actor, details: { reason } }),
        onLockout: (lockedUntil) =>
          record(caller, { action: 'auth.lockout', result: 'success', actor, target: { type: 'user', id: user!.id, label: user!.username }, details: { lockedUntil } }),
      });
      await record(caller, { action: 'auth.login', result: 'success', actor: { ...actor, roles: user!.roles } });
      return { token, csrf, user: publicUser(user!) };
    },

    /** The principal of a live console session, refreshing its idle clock; undefined when ended. */
    async authenticateSession(token: string) {
      const session = await repo.touchSession(tokenHash(token), settings.sessionIdleMinutes);
      if (!session) return undefined;
      const user = await repo.getUser(session.user_id);
      if (!user || user.disabled) return undefined;
      return {
        principal: await principalOf(user, { sessionId: tokenHash(token).slice(0, 16) }),
        csrfHash: session.csrf_hash,
        mustChangePassword: user.must_change_password,
      };
    },

    async logout(caller: Caller, token: string) {
      await repo.endSession(tokenHash(token));
      await record(caller, { action: 'auth.logout', result: 'success', actor: actorOf(caller.principal) });
    },

    async changePassword(caller: Caller, current: string, next: string) {
      const user = await repo.getUser(caller.principal.userId);
      if (!user) throw new UnauthorizedError();
      if (!(await verifyPassword(current, user.password_hash))) {
        await record(caller, { action: 'auth.password_change', result: 'failure', actor: actorOf(caller.principal), details: { reason: 'wrong_current_password' } });
        throw new BadRequestError('wrong_password', { zh: '当前密码不正确', en: 'Current password is wrong' }, { field: 'currentPassword' });
      }
      if (current === next) {
        throw new BadRequestError('same_password', { zh: '新密码不能与当前密码相同', en: 'New password must differ from the current one' }, { field: 'newPassword' });
      }
      checkPasswordPolicy(next, user.username);
      await repo.setPassword(user.id, await hashPassword(next), false);
      await record(caller, { action: 'auth.password_change', result: 'success', actor: actorOf(caller.principal), target: { type: 'user', id: user.id, label: user.username } });
    },

    // ---- API keys ----

    /**
     * The principal of an API key, checked against the database on every call so a revoked or
     * expired key is refused at once on every process. Returns the refusal reason otherwise.
     */
    async authenticateApiKey(key: string, caller: Partial<Caller> = {}): Promise<{ principal?: Principal; refusal?: string }> {
      const prefix = apiKeyPrefix(key);
      if (!prefix) return { refusal: 'malformed' };
      const row = await repo.getApiKeyByPrefix(prefix);
      if (!row || row.key_hash !== tokenHash(key)) return { refusal: 'unknown' };
      const refusal = row.revoked_at
        ? 'revoked'
        : row.expires_at && row.expires_at <= new Date()
          ? 'expired'
          : // Containment by security operations (secops): suspended until lifted, throttled for a while.
            (row as HeldKey).suspended_at
            ? 'suspended'
            : (row as HeldKey).throttled_until && (row as HeldKey).throttled_until! > new Date()
              ? 'throttled'
              : undefined;
      const owner = await repo.getUser(row.created_by);
      if (refusal || !owner || owner.disabled) {
        await record(caller, {
          action: 'auth.apikey',
          result: 'denied',
          actor: { apiKeyId: row.id, orgId: row.org_id },
          target: { type: 'api_key', id: row.id, label: row.name },
          details: { reason: refusal ?? 'owner_disabled' },
        });
        return { refusal: refusal ?? 'owner_disabled' };
      }
      await repo.touchApiKey(row.id);
      return {
        principal: {
          kind: 'apikey',
          userId: owner.id,
          username: owner.username,
          orgId: row.org_id,
          // A key acts for its organisation's applications: it never carries administrator roles.
          roles: owner.roles.filter((r) => r === 'consumer' || r === 'data_officer'),
          apiKeyId: row.id,
        },
      };
    },

    listApiKeys: (caller: Caller) => repo.listApiKeys(caller.principal.orgId),

    async createApiKey(caller: Caller, input: { name: string; expiresAt: Date | null }) {
      if (input.expiresAt && input.expiresAt <= new Date()) {
        throw new BadRequestError('invalid_expiry', { zh: '过期时间必须晚于当前时间', en: 'Expiry must be in the future' }, { field: 'expiresAt' });
      }
      const { key, prefix } = newApiKey();
      const row = await repo.insertApiKey({
        id: randomUUID(),
        org_id: caller.principal.orgId,
        created_by: caller.principal.userId,
        name: input.name,
        prefix,
        key_hash: tokenHash(key),
        expires_at: input.expiresAt,
      });
      await record(caller, { action: 'apikey.create', result: 'success', actor: actorOf(caller.principal), target: { type: 'api_key', id: row.id, label: row.name }, details: { prefix, expiresAt: row.expires_at } });
      return { key, row };
    },

    /** Revokes a key of the caller's own organisation; another organisation's key is "not found". */
    async revokeApiKey(caller: Caller, id: string): Promise<ApiKeyRow> {
      const row = await repo.getApiKey(id);
      if (!row || row.org_id !== caller.principal.orgId) throw new NotFoundError({ zh: 'API 密钥', en: 'API key' });
      const revoked = (await repo.revokeApiKey(id)) ?? row;
      await record(caller, { action: 'apikey.revoke', result: 'success', actor: actorOf(caller.principal), target: { type: 'api_key', id, label: row.name } });
      return revoked;
    },

    // ---- organisations ----

    listOrgs: () => repo.listOrgs(),

    orgUscc: async (orgId: string) => (await repo.getOrg(orgId))?.uscc ?? null,

    async getOrg(id: string) {
      const org = await repo.getOrg(id);
      if (!org) throw new NotFoundError({ zh: '机构', en: 'Organisation' });
      return org;
    },

    async createOrg(caller: Partial<Caller>, input: OrgInput): Promise<OrgRow> {
      await validateOrg(input);
      const org = await uniqueOrgWrite(() =>
        repo.insertOrg({ id: randomUUID(), name: input.name, type: input.type, level: input.level, uscc: input.uscc, region_code: input.regionCode, parent_id: input.parentId }),
      );
      await record(caller, { action: 'org.create', result: 'success', ...(caller.principal ? { actor: actorOf(caller.principal) } : {}), target: { type: 'organization', id: org.id, label: org.name } });
      return org;
    },

    async updateOrg(caller: Caller, id: string, input: OrgInput): Promise<OrgRow> {
      await service.getOrg(id);
      await validateOrg(input, id);
      const org = await uniqueOrgWrite(() =>
        repo.updateOrg(id, { name: input.name, type: input.type, level: input.level, uscc: input.uscc, region_code: input.regionCode, parent_id: input.parentId }),
      );
      if (!org) throw new NotFoundError({ zh: '机构', en: 'Organisation' });
      await record(caller, { action: 'org.update', result: 'success', actor: actorOf(caller.principal), target: { type: 'organization', id, label: org.name } });
      return org;
    },

    // ---- users ----

    listUsers: async () => (await repo.listUsers()).map(publicUser),

    async getUser(id: string): Promise<PublicUser> {
      const user = await repo.getUser(id);
      if (!user) throw new NotFoundError({ zh: '用户', en: 'User' });
      return publicUser(user);
    },

    /**
     * Creates an account. Without a password one is generated, returned once, and must be changed
     * at first sign-in.
     */
    async createUser(caller: Partial<Caller>, input: UserInput & { password?: string }) {
      checkRoleSeparation(input.roles);
      await requireOrg(input.orgId);
      const username = input.username.trim().toLowerCase();
      if (!/^[a-z0-9][a-z0-9._-]{2,63}$/.test(username)) {
        throw new BadRequestError(
          'invalid_username',
          { zh: '用户名须为 3-64 位小写字母、数字、点、下划线或连字符', en: 'Username: 3-64 lower-case letters, digits, dot, underscore or hyphen' },
          { field: 'username' },
        );
      }
      const generated = input.password === undefined;
      const password = input.password ?? generatePassword();
      if (!generated) checkPasswordPolicy(password, username);
      if (await repo.getUserByName(username)) {
        throw new ConflictError('username_taken', { zh: `用户名已存在:${username}`, en: `Username already exists: ${username}` }, { field: 'username' });
      }
      const user = await repo.insertUser({
        id: randomUUID(),
        org_id: input.orgId,
        username,
        display_name: input.displayName,
        roles: [...new Set(input.roles)],
        password_hash: await hashPassword(password),
        must_change_password: generated,
      });
      await record(caller, { action: 'user.create', result: 'success', ...(caller.principal ? { actor: actorOf(caller.principal) } : {}), target: { type: 'user', id: user.id, label: username }, details: { roles: user.roles, orgId: user.org_id } });
      return { user: publicUser(user), password: generated ? password : undefined };
    },

    async updateUser(caller: Caller, id: string, input: Partial<Omit<UserInput, 'username'>> & { disabled?: boolean }) {
      const current = await repo.getUser(id);
      if (!current) throw new NotFoundError({ zh: '用户', en: 'User' });
      const roles = input.roles ? [...new Set(input.roles)] : current.roles;
      checkRoleSeparation(roles);
      if (input.orgId) await requireOrg(input.orgId);
      if (id === caller.principal.userId && (input.disabled || !roles.includes('sysadmin'))) {
        throw new BadRequestError('self_lockout', { zh: '不能停用自己或移除自己的系统管理员角色', en: 'You cannot disable yourself or drop your own sysadmin role' }, { field: 'roles' });
      }
      const user = await repo.updateUser(id, {
        org_id: input.orgId ?? current.org_id,
        display_name: input.displayName ?? current.display_name,
        roles,
        disabled: input.disabled ?? current.disabled,
      });
      if (!user) throw new NotFoundError({ zh: '用户', en: 'User' });
      if (user.disabled) await repo.endUserSessions(id);
      const rolesChanged = roles.join() !== current.roles.join();
      await record(caller, {
        action: rolesChanged ? 'user.roles_change' : 'user.update',
        result: 'success',
        actor: actorOf(caller.principal),
        target: { type: 'user', id, label: user.username },
        details: { before: { roles: current.roles, orgId: current.org_id, disabled: current.disabled }, after: { roles: user.roles, orgId: user.org_id, disabled: user.disabled } },
      });
      return publicUser(user);
    },

    /** Sets a new generated password that must be changed at next sign-in; ends the user's sessions. */
    async resetPassword(caller: Partial<Caller>, id: string) {
      const user = await repo.getUser(id);
      if (!user) throw new NotFoundError({ zh: '用户', en: 'User' });
      const password = generatePassword();
      await repo.setPassword(id, await hashPassword(password), true);
      await repo.endUserSessions(id);
      await record(caller, { action: 'user.password_reset', result: 'success', ...(caller.principal ? { actor: actorOf(caller.principal) } : {}), target: { type: 'user', id, label: user.username } });
      return { user: publicUser(user), password };
    },

    async unlockUser(caller: Caller, id: string) {
      const user = await repo.getUser(id);
      if (!user) throw new NotFoundError({ zh: '用户', en: 'User' });
      await repo.unlock(id);
      await record(caller, { action: 'user.unlock', result: 'success', actor: actorOf(caller.principal), target: { type: 'user', id, label: user.username } });
    },
  };
  return service;
}

export type IdentityService = ReturnType<typeof createIdentityService>;
