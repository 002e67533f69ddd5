import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../../db/index.ts';
import { createUseStamps } from '../../db/use-stamps.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, type Message } from '../../errors.ts';
import { EXCLUSIVE_ROLES, ROLE_LABELS, type Caller as BaseCaller, type Principal, type Role } from '../../http/access.ts';
import { callerEvent, type AuditActor, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { Sealer } from '../audit/signer.ts';
import { isValidRegionCode, isValidUscc } from './codes.ts';
import {
  identityRepo,
  type AdminChangeFields,
  type AdminChangeRow,
  type ApiKeyRow,
  type IdentityRepo,
  type NoticeRecipients,
  type NoticeRow,
  type OrgRow,
  type UserRow,
} from './identity.repo.ts';
import { checkPasswordPolicy, generatePassword, hashPassword, verifyPassword } from './passwords.ts';
import { createSecondFactor, type Challenge, type SignInMethod } from './second-factor.ts';
import { checkPassword, countFailure as countLockout, NO_PASSWORD, openSignInSession } from './signin.ts';
import type { SignOnPolicy } from './signon.repo.ts';
import { apiKeyPrefix, newApiKey, tokenHash } from '../../lib/tokens.ts';

/** Who is acting and from where, for decisions and for the audit record. */
export interface Caller extends BaseCaller {
  /**
   * Set by the pdx command line: the operator has access to the host (and so to the database and the
   * master key). Changes to secadmin and auditor accounts then apply at once, recorded and alerted as
   * `admin_change.apply` with `via: 'host'`, instead of waiting for a second administrator.
   */
  hostAccess?: boolean;
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

/** What a change of an account may set (the user name never changes). */
export type UserPatch = Partial<Omit<UserInput, 'username'>> & { disabled?: boolean };

export type PublicUser = Omit<UserRow, 'password_hash' | 'totp_secret'>;

/** Where a sign-in comes from, for the session and the audit record. */
export interface SignInMeta {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

/** A console session just opened: the cookie tokens (returned once) and the account. */
export interface OpenedSession {
  token: string;
  csrf: string;
  user: PublicUser;
}

/** Columns of api_keys that security operations set (migration 0008); read through SELECT *. */
type HeldKey = ApiKeyRow & { suspended_at?: Date | null; throttled_until?: Date | null };

const LEVEL_RANK = { province: 0, city: 1, county: 2 } as const;
/** Why a known account is refused at sign-in (audited; the caller hears only INVALID_LOGIN). */
function disabledReason(user: Pick<UserRow, 'pending_approval' | 'org_disabled'>): string {
  return user.pending_approval ? 'pending_approval' : user.org_disabled ? 'org_disabled' : 'disabled';
}

const INVALID_LOGIN = { zh: '用户名或密码错误（连续失败 5 次将锁定 15 分钟）', en: 'Wrong username or password (5 failures lock the account for 15 minutes)' };
const INVALID_CODE = {
  zh: '动态验证码或恢复码错误（连续失败 5 次将锁定 15 分钟）',
  en: 'Wrong authenticator code or recovery code (5 failures lock the account for 15 minutes)',
};
const SIGN_IN_EXPIRED = {
  zh: '登录已超时或已完成，请重新输入用户名和密码',
  en: 'This sign-in has expired or was completed; enter your user name and password again',
};
export { NO_PASSWORD };
export { organizationNameSql } from './identity.repo.ts';

function publicUser({ password_hash: _omit, totp_secret: _secret, ...user }: UserRow): PublicUser {
  return user;
}

const zhRoles = (roles: readonly Role[]) => roles.map((r) => `${ROLE_LABELS[r].zh}（${r}）`).join('、');

/**
 * 三员分立: an account holds at most one of sysadmin, secadmin and auditor, holds it alone (no
 * business role beside it), and belongs to the platform authority's organisation. The database
 * enforces the same (migrations 0002 and 0010).
 */
export function checkRoleSeparation(roles: readonly Role[], org?: Pick<OrgRow, 'name' | 'type'>): void {
  const unique = [...new Set(roles)];
  const admin = unique.filter((r) => EXCLUSIVE_ROLES.includes(r));
  const refuse = (text: Message, details: Record<string, unknown> = {}) =>
    new BadRequestError(
      'role_separation',
      { zh: `三员分立：${text.zh}`, en: `Separation of duties: ${text.en}` },
      { field: 'roles', roles: unique, ...details },
    );
  if (admin.length > 1) {
    throw refuse({
      zh: `系统管理员、安全管理员、审计管理员不能由同一账号兼任（${zhRoles(admin)}）`,
      en: `one account cannot hold more than one of sysadmin, secadmin, auditor (${admin.join(', ')})`,
    });
  }
  const [role] = admin;
  if (!role) return;
  const others = unique.filter((r) => r !== role);
  if (others.length > 0) {
    throw refuse({
      zh: `${zhRoles([role])}不能兼任其他角色（${zhRoles(others)}）`,
      en: `${role} cannot be combined with other roles (${others.join(', ')})`,
    });
  }
  if (org && org.type !== 'authority') {
    throw refuse(
      {
        zh: `${zhRoles([role])}账号只能属于平台管理机构，${org.name}不是平台管理机构`,
        en: `a ${role} account belongs to the platform authority; ${org.name} is not it`,
      },
      { field: 'orgId' },
    );
  }
}

/** The administrator roles (三员): their accounts change only with a second administrator's approval. */
export type AdminRole = 'sysadmin' | 'secadmin' | 'auditor';
/**
 * Who approves a change to an account of each administrator role (a sysadmin proposes): the auditor
 * approves changes to sysadmin and secadmin accounts, the secadmin changes to auditor accounts.
 */
export const APPROVER_OF: Record<AdminRole, 'secadmin' | 'auditor'> = { sysadmin: 'auditor', secadmin: 'auditor', auditor: 'secadmin' };

const isAdminRole = (r: Role): r is AdminRole => EXCLUSIVE_ROLES.includes(r);

/** The administrator roles an account holds before or after a change. */
function adminRolesOf(...roleSets: readonly (readonly Role[])[]): AdminRole[] {
  return [...new Set(roleSets.flat().filter(isAdminRole))];
}

/** The one role that approves a change touching these administrator roles, if there is one that is not itself involved. */
function approverFor(roles: readonly AdminRole[]): 'secadmin' | 'auditor' | undefined {
  const approvers = new Set(roles.map((r) => APPROVER_OF[r]).filter((a) => !roles.includes(a)));
  return approvers.size === 1 ? [...approvers][0] : undefined;
}

/** Does a patch create, re-role, disable or enable (not only rename or move) the account? */
function sensitivePatch(current: Pick<UserRow, 'roles' | 'disabled'>, next: Pick<UserRow, 'roles' | 'disabled'>): boolean {
  const a = new Set(current.roles);
  const b = new Set(next.roles);
  return a.size !== b.size || [...a].some((r) => !b.has(r)) || current.disabled !== next.disabled;
}

/** A change held for approval, as the routes return it. */
export interface HeldChange {
  held: true;
  change: AdminChangeRow;
  /** First half of a generated password (create, reset), shown to the proposer only here. */
  passwordPart?: string;
}

const CHANGE_KIND: Record<AdminChangeRow['kind'], Message> = {
  create: { zh: '新建', en: 'create' },
  update: { zh: '修改', en: 'change' },
  reset_password: { zh: '重置密码', en: 'reset the password of' },
};
/** Where the console lists changes to administrator accounts. */
const CHANGES_LINK = '/admin/changes';
/** The generated password of a held change is split: this many characters to the proposer, the rest to the approver. */
const PROPOSER_PART = 8;
const CHANGE = { zh: '三员账号变更', en: 'Administrator account change' };

function changeDecided(): ConflictError {
  return new ConflictError('change_decided', {
    zh: '该变更已处理（已生效、已驳回或已撤回）',
    en: 'This change has already been decided (applied, rejected or withdrawn)',
  });
}

/** The audit target of a change: the account, or the proposed user name before it exists. */
function changeTarget(row: AdminChangeRow): { type: string; id?: string; label: string } {
  return { type: 'user', ...(row.target_user_id ? { id: row.target_user_id } : {}), label: row.target_username };
}

/** What the audit record says of a change (no secret: the sealed password never leaves the row). */
function changeDetails(row: AdminChangeRow): Record<string, unknown> {
  return {
    changeId: row.id,
    kind: row.kind,
    adminRoles: row.admin_roles,
    approverRole: row.approver_role,
    username: row.target_username,
    changes: row.changes,
    proposedBy: row.proposed_by,
  };
}

/** The account fields a change compares. */
function fieldsOf(u: UserRow): AdminChangeFields {
  return { displayName: u.display_name, orgId: u.org_id, roles: u.roles, disabled: u.disabled };
}

/** Identity, organisations, sessions and API keys: who is calling and what they hold. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Names by id, as `IdentityService.names` reads them. */
export interface Names {
  users: Map<string, { username: string; displayName: string; orgId: string | null; orgName: string | null }>;
  orgs: Map<string, { name: string; regionCode: string }>;
  apiKeys: Map<string, { name: string; orgId: string; orgName: string }>;
}

export type { NoticeRecipients, NoticeRow } from './identity.repo.ts';

export function createIdentityService(deps: {
  db: Db;
  events: EventSink;
  sealer: Sealer;
  settings?: Partial<IdentitySettings>;
  /** The clock second-factor codes are checked against (default: the system clock). */
  now?: () => Date;
}) {
  const { db, events, sealer } = deps;
  const settings = { ...DEFAULT_IDENTITY_SETTINGS, ...deps.settings };
  const repo = identityRepo(db);
  const secondFactor = createSecondFactor({ db, sealer, now: deps.now ?? (() => new Date()) });
  // Last use of API keys: written in batches off the request path (a statement every few seconds).
  const keyUses = createUseStamps((ids, times) => repo.touchApiKeys(ids, times));

  /** The caller's event; an explicit actor (a sign-in, an API key's use) stands instead of the caller's. */
  const record = (caller: Partial<Caller>, event: Omit<AuditEvent, 'requestId' | 'ip'>) => {
    const { actor, ...rest } = event;
    const base = callerEvent(caller, rest);
    return events.record(actor ? { ...base, actor } : base);
  };

  async function validateOrg(input: OrgInput, selfId?: string): Promise<void> {
    if (input.uscc !== null && !isValidUscc(input.uscc)) {
      throw new BadRequestError(
        'invalid_uscc',
        { zh: `统一社会信用代码无效：${input.uscc}（校验位不符或含非法字符）`, en: `Invalid unified social credit code: ${input.uscc}` },
        { field: 'uscc' },
      );
    }
    if (!isValidRegionCode(input.regionCode)) {
      throw new BadRequestError(
        'invalid_region_code',
        { zh: `行政区划代码无效：${input.regionCode}（应为 GB/T 2260 六位代码）`, en: `Invalid region code: ${input.regionCode} (six-digit GB/T 2260)` },
        { field: 'regionCode' },
      );
    }
    if (input.parentId === null) return;
    const parent = await repo.getOrg(input.parentId);
    if (!parent) {
      throw new BadRequestError(
        'unknown_org',
        { zh: `上级机构不存在：${input.parentId}`, en: `Unknown parent organisation: ${input.parentId}` },
        { field: 'parentId' },
      );
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
    if (!org) throw new BadRequestError('unknown_org', { zh: `机构不存在：${id}`, en: `Unknown organisation: ${id}` }, { field: 'orgId' });
    return org;
  }

  /** A new account, or an account moved, goes only into an organisation that is in service. */
  async function requireEnabledOrg(id: string): Promise<OrgRow> {
    const org = await requireOrg(id);
    if (org.disabled_at)
      throw new BadRequestError('org_disabled', { zh: `机构已停用：${org.name}`, en: `The organisation is disabled: ${org.name}` }, { field: 'orgId' });
    return org;
  }

  async function principalOf(user: UserRow, extra: Partial<Principal>): Promise<Principal> {
    return { kind: 'user', userId: user.id, username: user.username, orgId: user.org_id, roles: user.roles, ...extra };
  }

  /** Checks a new account (organisation, 三员分立, user name) without writing anything. */
  async function validateNewUser(input: UserInput): Promise<{ username: string; org: OrgRow }> {
    const org = await requireEnabledOrg(input.orgId);
    checkRoleSeparation(input.roles, org);
    const username = input.username.trim().toLowerCase();
    if (!/^[a-z0-9][a-z0-9._-]{2,63}$/.test(username)) {
      throw new BadRequestError(
        'invalid_username',
        { zh: '用户名须为 3-64 位小写字母、数字、点、下划线或连字符', en: 'Username: 3-64 lower-case letters, digits, dot, underscore or hyphen' },
        { field: 'username' },
      );
    }
    if (await repo.getUserByName(username)) throw usernameTaken(username);
    return { username, org };
  }

  function usernameTaken(username: string): ConflictError {
    return new ConflictError('username_taken', { zh: `用户名已存在：${username}`, en: `Username already exists: ${username}` }, { field: 'username' });
  }

  async function insertUser(r: IdentityRepo, input: UserInput, password: string, mustChange: boolean): Promise<UserRow> {
    try {
      return await r.insertUser({
        id: randomUUID(),
        org_id: input.orgId,
        username: input.username,
        display_name: input.displayName,
        roles: [...new Set(input.roles)],
        password_hash: await hashPassword(password),
        must_change_password: mustChange,
      });
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw usernameTaken(input.username);
      throw error;
    }
  }

  /** The account after a patch, checked (organisation, 三员分立, a sysadmin cannot lock itself out). */
  async function validatePatch(
    caller: Partial<Caller>,
    current: UserRow,
    input: UserPatch,
  ): Promise<Pick<UserRow, 'org_id' | 'display_name' | 'roles' | 'disabled'>> {
    const roles = input.roles ? [...new Set(input.roles)] : current.roles;
    // Moving an account into a disabled organisation is refused; an account of one may still be edited.
    const org = input.orgId && input.orgId !== current.org_id ? await requireEnabledOrg(input.orgId) : await requireOrg(current.org_id);
    checkRoleSeparation(roles, org);
    if (current.id === caller.principal?.userId && (input.disabled || !roles.includes('sysadmin'))) {
      throw new BadRequestError(
        'self_lockout',
        { zh: '不能停用自己或移除自己的系统管理员角色', en: 'You cannot disable yourself or drop your own sysadmin role' },
        { field: 'roles' },
      );
    }
    return { org_id: org.id, display_name: input.displayName ?? current.display_name, roles, disabled: input.disabled ?? current.disabled };
  }

  async function applyPatch(r: IdentityRepo, current: UserRow, next: Pick<UserRow, 'org_id' | 'display_name' | 'roles' | 'disabled'>): Promise<UserRow> {
    const user = await r.updateUser(current.id, next);
    if (!user) throw new NotFoundError({ zh: '用户', en: 'User' });
    if (user.disabled) await r.endUserSessions(current.id);
    return user;
  }

  async function applyReset(r: IdentityRepo, id: string, password: string): Promise<void> {
    await r.setPassword(id, await hashPassword(password), true);
    await r.endUserSessions(id);
  }

  async function recordUpdate(caller: Partial<Caller>, current: UserRow, user: UserRow, extra: Record<string, unknown> = {}): Promise<void> {
    const rolesChanged = user.roles.join() !== current.roles.join();
    await record(caller, {
      action: rolesChanged ? 'user.roles_change' : 'user.update',
      result: 'success',
      target: { type: 'user', id: user.id, label: user.username },
      details: {
        before: { roles: current.roles, orgId: current.org_id, disabled: current.disabled },
        after: { roles: user.roles, orgId: user.org_id, disabled: user.disabled },
        ...extra,
      },
    });
  }

  /**
   * An API caller (a signed-in administrator) never changes a secadmin or auditor account alone: the
   * request* functions hold such changes for a second administrator. Host access and first start may.
   */
  function refuseWithoutSecondAdmin(caller: Partial<Caller>, guarded: readonly AdminRole[]): void {
    if (guarded.length && caller.principal && !caller.hostAccess) {
      throw new ForbiddenError('two_person_control', {
        zh: '三员账号（系统管理员、安全管理员、审计管理员）的新建、角色变更、重置密码、停用和启用须经第二位管理员审批',
        en: 'Creating, re-roling, resetting, disabling or enabling an administrator account needs a second administrator’s approval',
      });
    }
  }

  /** A change applied with host access is recorded as such; security operations raise an alert on it. */
  async function recordHostChange(
    caller: Partial<Caller>,
    kind: AdminChangeRow['kind'] | 'reset_mfa',
    username: string,
    guarded: readonly AdminRole[],
    details: Record<string, unknown>,
  ): Promise<void> {
    if (!caller.hostAccess) return;
    await record(caller, {
      action: 'admin_change.apply',
      result: 'success',
      target: { type: 'user', label: username },
      details: { kind, adminRoles: guarded, username, via: 'host', ...details },
    });
  }

  async function propose(
    caller: Caller,
    p: {
      kind: AdminChangeRow['kind'];
      target: UserRow | null;
      username: string;
      guarded: AdminRole[];
      changes: AdminChangeFields;
      before: AdminChangeFields | null;
    },
  ): Promise<HeldChange> {
    const approverRole = approverFor(p.guarded);
    if (!approverRole) {
      throw new BadRequestError(
        'admin_role_swap',
        {
          zh: '安全管理员与审计管理员之间不能直接转换（双方互为审批人）；请用主机命令行 pdx user 操作',
          en: 'An account cannot move between secadmin and auditor (each approves the other’s changes); use the pdx user command on the host',
        },
        { field: 'roles' },
      );
    }
    const password = p.kind === 'update' ? undefined : generatePassword();
    let row: AdminChangeRow;
    try {
      row = await repo.insertAdminChange({
        id: randomUUID(),
        kind: p.kind,
        target_user_id: p.target?.id ?? null,
        target_username: p.username,
        admin_roles: p.guarded,
        approver_role: approverRole,
        changes: p.changes,
        before: p.before,
        sealed_password: password ? sealer.seal(Buffer.from(password, 'utf8')).toString('base64') : null,
        proposed_by: caller.principal.userId,
      });
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new ConflictError(
          'change_pending',
          { zh: `账号 ${p.username} 已有一项待审批的变更`, en: `Account ${p.username} already has a change waiting for approval` },
          { field: 'username' },
        );
      }
      throw error;
    }
    await record(caller, { action: 'admin_change.propose', result: 'success', target: changeTarget(row), details: changeDetails(row) });
    const kind = CHANGE_KIND[p.kind];
    const role = { zh: p.guarded.map((r) => ROLE_LABELS[r].zh).join('、'), en: p.guarded.map((r) => ROLE_LABELS[r].en).join(', ') };
    await repo.notify(
      {
        kind: 'admin_change',
        title: { zh: `待审批：${kind.zh}${role.zh}账号 ${p.username}`, en: `Awaiting your approval: ${kind.en} the ${role.en} account ${p.username}` },
        body: { changeId: row.id, kind: p.kind, username: p.username, proposedBy: caller.principal.username },
        link: CHANGES_LINK,
      },
      { role: approverRole },
    );
    return { held: true, change: (await repo.getAdminChange(row.id))!, ...(password ? { passwordPart: password.slice(0, PROPOSER_PART) } : {}) };
  }

  /** A pending change the caller may decide: the approving role, neither its proposer nor its subject. */
  async function pendingChange(caller: Caller, id: string): Promise<AdminChangeRow> {
    const change = await repo.getAdminChange(id);
    if (!change) throw new NotFoundError(CHANGE);
    if (change.state !== 'pending') throw changeDecided();
    const p = caller.principal;
    if (!p.roles.includes(change.approver_role) || p.userId === change.proposed_by || p.userId === change.target_user_id) {
      const approver = ROLE_LABELS[change.approver_role];
      throw new ForbiddenError(
        'not_approver',
        { zh: `此变更须由${approver.zh}审批`, en: `This change is approved by the ${approver.en}` },
        { approverRole: change.approver_role },
      );
    }
    return change;
  }

  /** What an approval writes: the account as the change makes it (checked again now), and the password. */
  async function prepareChange(change: AdminChangeRow): Promise<{ before?: UserRow; password?: string; write: (r: IdentityRepo) => Promise<UserRow> }> {
    const password = change.sealed_password ? sealer.unseal(Buffer.from(change.sealed_password, 'base64')).toString('utf8') : undefined;
    const c = change.changes;
    if (change.kind === 'create') {
      const input: UserInput = {
        username: c.username ?? change.target_username,
        displayName: c.displayName ?? change.target_username,
        orgId: c.orgId ?? '',
        roles: c.roles ?? [],
      };
      await validateNewUser(input);
      return { password, write: (r) => insertUser(r, input, password!, true) };
    }
    const before = change.target_user_id ? await repo.getUser(change.target_user_id) : undefined;
    if (!before) throw new NotFoundError({ zh: '用户', en: 'User' });
    if (change.kind === 'update') {
      const next = await validatePatch({}, before, c);
      return { before, write: (r) => applyPatch(r, before, next) };
    }
    return {
      before,
      password,
      write: async (r) => {
        await applyReset(r, before.id, password!);
        return before;
      },
    };
  }

  const actorOfUser = (user: Pick<UserRow, 'id' | 'username' | 'org_id'>): AuditActor => ({ userId: user.id, username: user.username, orgId: user.org_id });

  /** Lockout of identity accounts: the shared rule of signin.ts, the lockout in the audit log. */
  const lockout = (caller: Partial<Caller>, user: UserRow, factor: string) => ({
    store: repo,
    maxFailedLogins: settings.maxFailedLogins,
    lockMinutes: settings.lockMinutes,
    onLockout: (lockedUntil: Date | null) =>
      record(caller, {
        action: 'auth.lockout',
        result: 'success',
        actor: actorOfUser(user),
        target: { type: 'user', id: user.id, label: user.username },
        details: { lockedUntil, factor },
      }),
  });

  /** A failed factor counts toward the lockout (the fifth in a row locks the account) and is recorded. */
  async function countFailure(caller: Partial<Caller>, user: UserRow, details: { factor: string } & Record<string, unknown>): Promise<void> {
    await countLockout(user, lockout(caller, user, details.factor));
    await record(caller, { action: 'auth.login', result: 'failure', actor: actorOfUser(user), details });
  }

  /** Opens a session for an account that passed every factor (shared sign-in); an ID token is kept sealed for logout. */
  async function openSession(
    user: UserRow,
    meta: SignInMeta,
    method: SignInMethod,
    extra: { idToken?: string; details?: Record<string, unknown> } = {},
  ): Promise<OpenedSession> {
    const idToken = extra.idToken ? sealer.seal(Buffer.from(extra.idToken, 'utf8')).toString('base64') : null;
    const { token, csrf } = await openSignInSession(user, {
      store: { ...repo, insertSession: (s) => repo.insertSession({ ...s, method, idToken }) },
      sessionHours: settings.sessionMaxHours,
      method,
      ...(meta.ip ? { ip: meta.ip } : {}),
      ...(meta.userAgent ? { userAgent: meta.userAgent } : {}),
    });
    await record(meta, { action: 'auth.login', result: 'success', actor: { ...actorOfUser(user), roles: user.roles }, details: { method, ...extra.details } });
    return { token, csrf, user: publicUser(user) };
  }

  const service = {
    settings,
    /**
     * Read-only lookups for other modules, the CLI and the demo world (rows or undefined); the repo
     * itself stays inside this module.
     */
    find: {
      user: (id: string) => repo.getUser(id),
      userByName: (username: string) => repo.getUserByName(username),
      users: () => repo.listUsers(),
      org: (id: string) => repo.getOrg(id),
      orgByName: (name: string) => repo.getOrgByName(name),
      apiKey: (id: string) => repo.getApiKey(id),
    },
    /**
     * Names of users, organisations and API keys for other modules' pages and notices, in one
     * statement (none when nothing is asked); `q` is the caller's transaction when it holds one.
     */
    names: async (ids: { users?: readonly string[]; orgs?: readonly string[]; apiKeys?: readonly string[] }, q: Queryable = db): Promise<Names> => {
      const wanted = (list: readonly string[] | undefined) => [...new Set(list ?? [])].filter((id) => UUID.test(id));
      const users = wanted(ids.users);
      const orgs = wanted(ids.orgs);
      const apiKeys = wanted(ids.apiKeys);
      const names: Names = { users: new Map(), orgs: new Map(), apiKeys: new Map() };
      if (!users.length && !orgs.length && !apiKeys.length) return names;
      for (const row of await identityRepo(q).names({ users, orgs, apiKeys })) {
        if (row.kind === 'user') names.users.set(row.id, { username: row.handle!, displayName: row.name, orgId: row.org_id, orgName: row.org_name });
        else if (row.kind === 'key') names.apiKeys.set(row.id, { name: row.name, orgId: row.org_id!, orgName: row.org_name! });
        else names.orgs.set(row.id, { name: row.name, regionCode: row.region_code! });
      }
      return names;
    },
    /**
     * The console's notices (站内通知), the inbox of every account: other modules notify through
     * this, inside their own transaction when they pass it (`q`).
     */
    notices: (q: Queryable = db) => {
      const r = q === db ? repo : identityRepo(q);
      return {
        notify: (n: { kind: string; title: Message; body: Record<string, unknown>; link: string | null }, to: NoticeRecipients) => r.notify(n, to),
        /** Marks every notice about something (`body[key] = value`) read for everyone (nobody needs to act on it any more). */
        settle: (key: string, value: string) => r.settleNotices(key, value),
        /** A user's notices, newest first, and how many are unread. */
        list: (userId: string, unreadOnly: boolean, limit = 200): Promise<[NoticeRow[], number]> =>
          Promise.all([r.notices(userId, unreadOnly, limit), r.unreadNotices(userId)]),
        /** Marks one notice (or, with null, all) of a user read; the ids marked. */
        markRead: (userId: string, id: string | null) => r.markNoticesRead(userId, id),
      };
    },
    /**
     * What security operations contain and lift, inside its transaction: API keys suspended or
     * throttled, accounts locked. The auth path reads these columns on every request. The name of
     * what was contained is returned (undefined: no such key or account).
     */
    containment: (tx: Queryable) => {
      const r = identityRepo(tx);
      return {
        suspendKey: r.suspendKey,
        unsuspendKey: async (id: string) => void (await r.unsuspendKey(id)),
        throttleKey: r.throttleKey,
        unthrottleKey: async (id: string) => void (await r.unthrottleKey(id)),
        lockAccount: r.lockUntil,
        unlockAccount: async (id: string) => void (await r.unlock(id)),
      };
    },
    secondFactor,

    // ---- sign-in and sessions ----

    /**
     * The password step of a sign-in; the same error for unknown users, wrong passwords and locked,
     * disabled or pending accounts. An account that needs a second factor gets the ticket for it
     * (and, at its first sign-in, a new authenticator secret to enrol) instead of a session.
     */
    async login(input: { username: string; password: string } & SignInMeta): Promise<OpenedSession | { secondFactor: Challenge }> {
      const caller = { requestId: input.requestId, ip: input.ip };
      const user = await repo.getUserByName(input.username.trim().toLowerCase());
      const actor = user ? actorOfUser(user) : { username: input.username };
      // The shared password step; an account waiting for approval is refused like a disabled one.
      await checkPassword(user ? { ...user, disabled: user.disabled || user.pending_approval || user.org_disabled } : undefined, input.password, {
        ...(user
          ? lockout(caller, user, 'password')
          : { store: repo, maxFailedLogins: settings.maxFailedLogins, lockMinutes: settings.lockMinutes, onLockout: async () => {} }),
        refusal: INVALID_LOGIN,
        onFailure: (reason) =>
          record(caller, {
            action: 'auth.login',
            result: 'failure',
            actor,
            details: { method: 'password', factor: 'password', reason: reason === 'disabled' ? disabledReason(user!) : reason },
          }),
      });
      if (await secondFactor.required(user!)) {
        const challenge = await secondFactor.challenge(user!);
        await record(caller, {
          action: 'auth.second_factor',
          result: 'success',
          actor,
          details: { factor: 'password', next: challenge.enrol ? 'totp_enrol' : 'totp' },
        });
        return { secondFactor: challenge };
      }
      return openSession(user!, input, 'password');
    },

    /**
     * The second step: a code from the authenticator (or a recovery code) with the ticket of the
     * password step. Wrong codes count toward the lockout like wrong passwords. At enrolment the ten
     * recovery codes are returned here, once; after a recovery code, how many are left.
     */
    async completeSecondFactor(
      input: { ticket: string; code: string } & SignInMeta,
    ): Promise<OpenedSession & { recoveryCodes?: string[]; recoveryCodesLeft?: number }> {
      const caller = { requestId: input.requestId, ip: input.ip };
      const result = await secondFactor.check(input.ticket, input.code);
      if (!result.ok) {
        const details = { method: `password+${result.factor}`, factor: result.factor, reason: result.reason };
        if (result.user && ['wrong_code', 'replayed', 'wrong_recovery_code'].includes(result.reason)) await countFailure(caller, result.user, details);
        else await record(caller, { action: 'auth.login', result: 'failure', ...(result.user ? { actor: actorOfUser(result.user) } : {}), details });
        if (result.reason === 'invalid_ticket') throw new UnauthorizedError('sign_in_expired', SIGN_IN_EXPIRED);
        throw new UnauthorizedError('invalid_second_factor', INVALID_CODE);
      }
      const { user, method, recoveryCodes, recoveryCodesLeft } = result;
      if (recoveryCodes)
        await record(caller, {
          action: 'auth.totp_enrol',
          result: 'success',
          actor: actorOfUser(user),
          target: { type: 'user', id: user.id, label: user.username },
          details: { recoveryCodes: recoveryCodes.length },
        });
      const session = await openSession(user, input, method, recoveryCodesLeft === undefined ? {} : { details: { recoveryCodesLeft } });
      return { ...session, ...(recoveryCodes ? { recoveryCodes } : {}), ...(recoveryCodesLeft === undefined ? {} : { recoveryCodesLeft }) };
    },

    /** Opens a session for an account that passed every factor (the identity provider's sign-in too). */
    openSession: (user: UserRow, meta: SignInMeta, method: SignInMethod, extra: { idToken?: string; details?: Record<string, unknown> } = {}) =>
      openSession(user, meta, method, extra),

    /** The principal of a live console session, refreshing its idle clock; undefined when ended. */
    async authenticateSession(token: string) {
      const session = await repo.touchSession(tokenHash(token), settings.sessionIdleMinutes);
      if (!session) return undefined;
      const user = await repo.getUser(session.user_id);
      if (!user || user.disabled || user.pending_approval || user.org_disabled) return undefined;
      return {
        principal: await principalOf(user, { sessionId: tokenHash(token).slice(0, 16) }),
        csrfHash: session.csrf_hash,
        mustChangePassword: user.must_change_password,
      };
    },

    /** Ends the session; for one opened through the identity provider, returns its ID token (for RP-initiated logout). */
    async logout(caller: Caller, token: string): Promise<{ idToken?: string }> {
      const ended = await repo.endSession(tokenHash(token));
      await record(caller, { action: 'auth.logout', result: 'success', ...(ended?.id_token ? { details: { method: 'oidc' } } : {}) });
      return ended?.id_token ? { idToken: sealer.unseal(Buffer.from(ended.id_token, 'base64')).toString('utf8') } : {};
    },

    /** Changes one's own password and ends every other session of the account (the current one stays). */
    async changePassword(caller: Caller, current: string, next: string) {
      const user = await repo.getUser(caller.principal.userId);
      if (!user) throw new UnauthorizedError();
      if (!(await verifyPassword(current, user.password_hash))) {
        await record(caller, { action: 'auth.password_change', result: 'failure', details: { reason: 'wrong_current_password' } });
        throw new BadRequestError('wrong_password', { zh: '当前密码不正确', en: 'Current password is wrong' }, { field: 'currentPassword' });
      }
      if (current === next) {
        throw new BadRequestError(
          'same_password',
          { zh: '新密码不能与当前密码相同', en: 'New password must differ from the current one' },
          { field: 'newPassword' },
        );
      }
      checkPasswordPolicy(next, user.username);
      await repo.setPassword(user.id, await hashPassword(next), false);
      // Whoever else holds a session of this account (a stolen cookie, another browser) is signed out.
      const ended = await repo.endOtherSessions(user.id, caller.principal.sessionId ?? '');
      await record(caller, {
        action: 'auth.password_change',
        result: 'success',
        target: { type: 'user', id: user.id, label: user.username },
        details: { otherSessionsEnded: ended.length },
      });
    },

    // ---- API keys ----

    /**
     * The principal of an API key, checked against the database on every call so a revoked or
     * expired key is refused at once on every process. Returns the refusal reason otherwise.
     */
    async authenticateApiKey(key: string, caller: Partial<Caller> = {}): Promise<{ principal?: Principal; refusal?: string }> {
      const prefix = apiKeyPrefix(key);
      if (!prefix) return { refusal: 'malformed' };
      const row = await repo.getApiKeyWithOwner(prefix);
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
      const owner = row.owner;
      const denied = refusal ?? (!owner || owner.disabled ? 'owner_disabled' : owner.org_disabled ? 'org_disabled' : undefined);
      if (denied || !owner) {
        await record(caller, {
          action: 'auth.apikey',
          result: 'denied',
          actor: { apiKeyId: row.id, orgId: row.org_id },
          target: { type: 'api_key', id: row.id, label: row.name },
          details: { reason: denied ?? 'owner_disabled' },
        });
        return { refusal: denied ?? 'owner_disabled' };
      }
      // Last use is kept to the minute and written in batches, not on the request path.
      keyUses.note(row.id, row.last_used_at);
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

    async listApiKeys(caller: Caller) {
      // This process's waiting last-use times first, so the list shows a use made a moment ago.
      await keyUses.flush().catch((error: unknown) => console.error('[last use]', error));
      return repo.listApiKeys(caller.principal.orgId);
    },

    /** Writes the waiting last-use times of API keys and stops batching them (at shutdown, before the database closes). */
    stop: () => keyUses.stop(),

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
      await record(caller, {
        action: 'apikey.create',
        result: 'success',
        target: { type: 'api_key', id: row.id, label: row.name },
        details: { prefix, expiresAt: row.expires_at },
      });
      return { key, row };
    },

    /** Revokes a key of the caller's own organisation; another organisation's key is "not found". */
    async revokeApiKey(caller: Caller, id: string): Promise<ApiKeyRow> {
      const row = await repo.getApiKey(id);
      if (!row || row.org_id !== caller.principal.orgId) throw new NotFoundError({ zh: 'API 密钥', en: 'API key' });
      const revoked = (await repo.revokeApiKey(id)) ?? row;
      await record(caller, { action: 'apikey.revoke', result: 'success', target: { type: 'api_key', id, label: row.name } });
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
        repo.insertOrg({
          id: randomUUID(),
          name: input.name,
          type: input.type,
          level: input.level,
          uscc: input.uscc,
          region_code: input.regionCode,
          parent_id: input.parentId,
        }),
      );
      await record(caller, { action: 'org.create', result: 'success', target: { type: 'organization', id: org.id, label: org.name } });
      return org;
    },

    async updateOrg(caller: Caller, id: string, input: OrgInput): Promise<OrgRow> {
      const current = await service.getOrg(id);
      if (current.type === 'authority' && input.type !== 'authority' && (await repo.orgHasAdmins(id))) {
        throw new BadRequestError(
          'role_separation',
          {
            zh: `三员分立：${current.name} 有系统管理员、安全管理员或审计管理员账号，须保持为平台管理机构`,
            en: `Separation of duties: ${current.name} holds administrator accounts and must stay the platform authority`,
          },
          { field: 'type' },
        );
      }
      await validateOrg(input, id);
      const org = await uniqueOrgWrite(() =>
        repo.updateOrg(id, {
          name: input.name,
          type: input.type,
          level: input.level,
          uscc: input.uscc,
          region_code: input.regionCode,
          parent_id: input.parentId,
        }),
      );
      if (!org) throw new NotFoundError({ zh: '机构', en: 'Organisation' });
      await record(caller, { action: 'org.update', result: 'success', target: { type: 'organization', id, label: org.name } });
      return org;
    },

    /**
     * Disables (停用) or enables an organisation, e.g. when a department is merged: while disabled,
     * none of its accounts signs in (open sessions end now) and none of its API keys is accepted; its
     * catalogue, grants and records stay as they are. The platform authority, home of the 三员, is
     * never disabled.
     */
    async setOrgDisabled(caller: Caller, id: string, input: { disabled: boolean; reason?: string }): Promise<OrgRow> {
      const current = await service.getOrg(id);
      if (input.disabled && current.type === 'authority') {
        throw new BadRequestError(
          'org_authority',
          { zh: `平台管理机构不能停用：${current.name}`, en: `The platform authority cannot be disabled: ${current.name}` },
          { field: 'disabled' },
        );
      }
      const reason = input.reason?.trim() || null;
      if (input.disabled && !reason)
        throw new BadRequestError('reason_required', { zh: '停用机构须说明理由', en: 'Give a reason for disabling the organisation' }, { field: 'reason' });
      const org = await db.transaction(async (tx) => {
        const r = identityRepo(tx);
        const updated = await r.setOrgDisabled(id, input.disabled, reason);
        if (input.disabled) await r.endOrgSessions(id);
        return updated;
      });
      if (!org) throw new NotFoundError({ zh: '机构', en: 'Organisation' });
      await record(caller, {
        action: input.disabled ? 'org.disable' : 'org.enable',
        result: 'success',
        target: { type: 'organization', id, label: org.name },
        ...(reason ? { details: { reason } } : {}),
      });
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
     * Creates an account at once. Without a password one is generated, returned once, and must be
     * changed at first sign-in. A secadmin or auditor account is created here only with host access
     * (the CLI, first start); the API goes through requestCreateUser.
     */
    async createUser(caller: Partial<Caller>, input: UserInput & { password?: string }) {
      const { username, org } = await validateNewUser(input);
      const guarded = adminRolesOf(input.roles);
      refuseWithoutSecondAdmin(caller, guarded);
      const generated = input.password === undefined;
      const password = input.password ?? generatePassword();
      if (!generated) checkPasswordPolicy(password, username);
      const user = await insertUser(repo, { ...input, username }, password, generated);
      await record(caller, {
        action: 'user.create',
        result: 'success',
        target: { type: 'user', id: user.id, label: username },
        details: { roles: user.roles, orgId: org.id },
      });
      if (guarded.length) await recordHostChange(caller, 'create', user.username, guarded, { roles: user.roles, orgId: org.id });
      return { user: publicUser(user), password: generated ? password : undefined };
    },

    /** The API's account creation: a secadmin or auditor account is proposed for approval, others created. */
    async requestCreateUser(caller: Caller, input: UserInput): Promise<{ held: false; user: PublicUser; password: string } | HeldChange> {
      const guarded = adminRolesOf(input.roles);
      if (!guarded.length) {
        const { user, password } = await service.createUser(caller, input);
        return { held: false, user, password: password ?? '' };
      }
      const { username } = await validateNewUser(input);
      return propose(caller, {
        kind: 'create',
        target: null,
        username,
        guarded,
        changes: { username, displayName: input.displayName, orgId: input.orgId, roles: [...new Set(input.roles)] },
        before: null,
      });
    },

    /** Changes an account at once; a secadmin or auditor account only with host access (see requestUpdateUser). */
    async updateUser(caller: Partial<Caller>, id: string, input: UserPatch) {
      const current = await repo.getUser(id);
      if (!current) throw new NotFoundError({ zh: '用户', en: 'User' });
      const next = await validatePatch(caller, current, input);
      const guarded = sensitivePatch(current, next) ? adminRolesOf(current.roles, next.roles) : [];
      refuseWithoutSecondAdmin(caller, guarded);
      const user = await applyPatch(repo, current, next);
      await recordUpdate(caller, current, user);
      if (guarded.length) await recordHostChange(caller, 'update', user.username, guarded, { before: fieldsOf(current), after: fieldsOf(user) });
      return publicUser(user);
    },

    /** The API's account change: a change to a secadmin or auditor account is proposed for approval. */
    async requestUpdateUser(caller: Caller, id: string, input: UserPatch): Promise<({ held: false } & PublicUser) | HeldChange> {
      const current = await repo.getUser(id);
      if (!current) throw new NotFoundError({ zh: '用户', en: 'User' });
      const next = await validatePatch(caller, current, input);
      const guarded = sensitivePatch(current, next) ? adminRolesOf(current.roles, next.roles) : [];
      if (!guarded.length) return { held: false, ...(await service.updateUser(caller, id, input)) };
      const changes: AdminChangeFields = {};
      if (input.displayName !== undefined) changes.displayName = next.display_name;
      if (input.orgId !== undefined) changes.orgId = next.org_id;
      if (input.roles !== undefined) changes.roles = next.roles;
      if (input.disabled !== undefined) changes.disabled = next.disabled;
      return propose(caller, { kind: 'update', target: current, username: current.username, guarded, changes, before: fieldsOf(current) });
    },

    /**
     * Sets a new generated password that must be changed at next sign-in and ends the user's
     * sessions; a secadmin or auditor account only with host access (see requestResetPassword).
     */
    async resetPassword(caller: Partial<Caller>, id: string) {
      const user = await repo.getUser(id);
      if (!user) throw new NotFoundError({ zh: '用户', en: 'User' });
      const guarded = adminRolesOf(user.roles);
      refuseWithoutSecondAdmin(caller, guarded);
      const password = generatePassword();
      await applyReset(repo, id, password);
      await record(caller, { action: 'user.password_reset', result: 'success', target: { type: 'user', id, label: user.username } });
      if (guarded.length) await recordHostChange(caller, 'reset_password', user.username, guarded, {});
      return { user: publicUser(user), password };
    },

    /** The API's password reset: a secadmin or auditor account's reset is proposed for approval. */
    async requestResetPassword(caller: Caller, id: string): Promise<{ held: false; password: string } | HeldChange> {
      const user = await repo.getUser(id);
      if (!user) throw new NotFoundError({ zh: '用户', en: 'User' });
      const guarded = adminRolesOf(user.roles);
      if (!guarded.length) return { held: false, password: (await service.resetPassword(caller, id)).password };
      return propose(caller, { kind: 'reset_password', target: user, username: user.username, guarded, changes: {}, before: fieldsOf(user) });
    },

    // ---- two-person control of secadmin and auditor accounts ----

    /** Every change to a secadmin or auditor account, pending first (the three administrators see all). */
    listAdminChanges: () => repo.listAdminChanges(200),

    /**
     * The second administrator approves: the change applies in one transaction with its decision. A
     * generated password's second half is returned here, once; the proposer had the first half.
     */
    async approveAdminChange(caller: Caller, id: string): Promise<{ change: AdminChangeRow; passwordPart?: string }> {
      const pending = await pendingChange(caller, id);
      const { before, password, write } = await prepareChange(pending);
      const { user, decided } = await db.transaction(async (tx) => {
        const txRepo = identityRepo(tx);
        const user = await write(txRepo);
        const decided = await txRepo.decideAdminChange(id, { state: 'applied', by: caller.principal.userId, reason: null, targetUserId: user.id });
        if (!decided) throw changeDecided();
        return { user, decided };
      });
      const target = { type: 'user', id: user.id, label: user.username };
      await record(caller, { action: 'admin_change.approve', result: 'success', target, details: changeDetails(decided) });
      if (decided.kind === 'create') {
        await record(caller, { action: 'user.create', result: 'success', target, details: { roles: user.roles, orgId: user.org_id, adminChange: id } });
      } else if (decided.kind === 'update') {
        await recordUpdate(caller, before!, user, { adminChange: id });
      } else {
        await record(caller, { action: 'user.password_reset', result: 'success', target, details: { adminChange: id } });
      }
      await record(caller, {
        action: 'admin_change.apply',
        result: 'success',
        target,
        details: { ...changeDetails(decided), via: 'approval', after: fieldsOf(user) },
      });
      await repo.notify(
        {
          kind: 'admin_change',
          title: { zh: `三员账号变更已批准并生效：${user.username}`, en: `Administrator account change approved and applied: ${user.username}` },
          body: { changeId: id },
          link: CHANGES_LINK,
        },
        { userIds: [decided.proposed_by] },
      );
      return { change: (await repo.getAdminChange(id))!, ...(password ? { passwordPart: password.slice(PROPOSER_PART) } : {}) };
    },

    /** The second administrator refuses a pending change, with a reason. */
    async rejectAdminChange(caller: Caller, id: string, reason: string): Promise<AdminChangeRow> {
      await pendingChange(caller, id);
      const decided = await repo.decideAdminChange(id, { state: 'rejected', by: caller.principal.userId, reason });
      if (!decided) throw changeDecided();
      await record(caller, { action: 'admin_change.reject', result: 'success', target: changeTarget(decided), details: { ...changeDetails(decided), reason } });
      await repo.notify(
        {
          kind: 'admin_change',
          title: { zh: `三员账号变更被驳回：${decided.target_username}`, en: `Administrator account change rejected: ${decided.target_username}` },
          body: { changeId: id, reason },
          link: CHANGES_LINK,
        },
        { userIds: [decided.proposed_by] },
      );
      return (await repo.getAdminChange(id))!;
    },

    /** A system administrator withdraws a pending proposal. */
    async withdrawAdminChange(caller: Caller, id: string): Promise<AdminChangeRow> {
      const decided = await repo.decideAdminChange(id, { state: 'withdrawn', by: caller.principal.userId, reason: null });
      if (!decided) {
        if (!(await repo.getAdminChange(id))) throw new NotFoundError(CHANGE);
        throw changeDecided();
      }
      await record(caller, { action: 'admin_change.withdraw', result: 'success', target: changeTarget(decided), details: changeDetails(decided) });
      return (await repo.getAdminChange(id))!;
    },

    async unlockUser(caller: Caller, id: string) {
      const user = await repo.getUser(id);
      if (!user) throw new NotFoundError({ zh: '用户', en: 'User' });
      await repo.unlock(id);
      await record(caller, { action: 'user.unlock', result: 'success', target: { type: 'user', id, label: user.username } });
    },

    /** Admits an account made by a first sign-in through the identity provider; it can sign in from now on. */
    async approveUser(caller: Caller, id: string): Promise<PublicUser> {
      const user = await repo.getUser(id);
      if (!user) throw new NotFoundError({ zh: '用户', en: 'User' });
      const approved = await repo.approve(id);
      if (!approved)
        throw new ConflictError('not_pending', { zh: `账号 ${user.username} 不在待审核状态`, en: `Account ${user.username} is not waiting for approval` });
      await record(caller, {
        action: 'user.approve',
        result: 'success',
        target: { type: 'user', id, label: user.username },
        details: { roles: approved.roles, orgId: approved.org_id },
      });
      return publicUser(approved);
    },

    /**
     * Removes an account's second factor (lost phone and recovery codes) and ends its sessions: the
     * holder enrols again at the next sign-in. An administrator's (三员) only with host access (`pdx user reset-mfa`), recorded
     * and alerted as an administrator account change.
     */
    async resetSecondFactor(caller: Partial<Caller>, id: string): Promise<void> {
      const user = await repo.getUser(id);
      if (!user) throw new NotFoundError({ zh: '用户', en: 'User' });
      const guarded = adminRolesOf(user.roles);
      refuseWithoutSecondAdmin(caller, guarded);
      await secondFactor.repo.clearSecondFactor(id);
      // As a password reset: whoever holds the lost authenticator may be signed in.
      await repo.endUserSessions(id);
      await record(caller, { action: 'user.mfa_reset', result: 'success', target: { type: 'user', id, label: user.username } });
      if (guarded.length) await recordHostChange(caller, 'reset_mfa', user.username, guarded, {});
    },

    getSignOnPolicy: (): Promise<SignOnPolicy> => secondFactor.repo.getPolicy(),

    /** The security administrator's sign-in policy: whether data officers need a second factor too. */
    async setSignOnPolicy(caller: Caller, policy: SignOnPolicy): Promise<SignOnPolicy> {
      const before = await secondFactor.repo.getPolicy();
      await secondFactor.repo.setPolicy(policy);
      await record(caller, {
        action: 'settings.sign_on',
        result: 'success',
        target: { type: 'settings', label: 'identity.signon' },
        details: { before, after: policy },
      });
      return policy;
    },
  };
  return service;
}

export type IdentityService = ReturnType<typeof createIdentityService>;
