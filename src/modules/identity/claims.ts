import { z } from 'zod';
import { EXCLUSIVE_ROLES } from '../../http/access.ts';

/** The roles the identity provider's claims can give: business roles only; 三员 stay local. */
export const SSO_ROLES = ['data_officer', 'consumer'] as const;
export type SsoRole = (typeof SSO_ROLES)[number];

const role = z.string().superRefine((value, ctx) => {
  if ((EXCLUSIVE_ROLES as readonly string[]).includes(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `${value} is never given through sign-on: sysadmin, secadmin and auditor accounts stay local (三员不经统一身份认证授予)`,
    });
  } else if (!(SSO_ROLES as readonly string[]).includes(value)) {
    ctx.addIssue({ code: 'custom', message: `unknown role ${value}; roles: ${SSO_ROLES.join(', ')}` });
  }
});

/**
 * How the provider's claims map to a pdx account (PDX_OIDC_CLAIMS, JSON). Claim names may be dotted
 * paths into nested claims (`realm_access.roles`).
 */
export const claimMappingSchema = z
  .object({
    /** The claim naming the person's organisation. */
    orgClaim: z.string().min(1).default('uscc'),
    /** What that claim holds: 统一社会信用代码 (`uscc`), 组织机构代码 (`org_code`, characters 9-17 of it) or the organisation's name. */
    orgBy: z.enum(['uscc', 'org_code', 'name']).default('uscc'),
    /** The claim listing the person's groups or roles at the provider (an array, or a space- or comma-separated string). */
    rolesClaim: z.string().min(1).default('groups'),
    /** Group (or provider role) → pdx roles. */
    roles: z.record(z.string(), z.array(role)).default({}),
    /** pdx roles of a person none of whose groups is mapped. */
    defaultRoles: z.array(role).default([]),
    /** Accounts that need no approval: true (everyone), false (nobody: the sysadmin approves each new account) or a list of groups. */
    autoApprove: z.union([z.boolean(), z.array(z.string())]).default(false),
    /** The claim proposing the user name of a new account. */
    usernameClaim: z.string().min(1).default('preferred_username'),
    /** The claim holding the person's display name. */
    nameClaim: z.string().min(1).default('name'),
  })
  .strict();

export type ClaimMapping = z.infer<typeof claimMappingSchema>;

/** Parses PDX_OIDC_CLAIMS (JSON); throws an Error naming each problem. */
export function parseClaimMapping(text: string | undefined): ClaimMapping {
  let json: unknown = {};
  if (text !== undefined && text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`not JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  const parsed = claimMappingSchema.safeParse(json);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  return parsed.data;
}

/** A claim by name or dotted path. */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), claims);
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : undefined;

/** What the claims say of a person: organisation key, groups, the pdx roles and approval they map to. */
export interface MappedClaims {
  /** The organisation claim normalised for lookup (upper case, no dashes or spaces for codes); undefined when absent. */
  org: string | undefined;
  groups: string[];
  roles: SsoRole[];
  autoApprove: boolean;
  username: string | undefined;
  displayName: string | undefined;
}

export function mapClaims(claims: Record<string, unknown>, mapping: ClaimMapping): MappedClaims {
  const rawOrg = text(claimAt(claims, mapping.orgClaim));
  const org = rawOrg === undefined ? undefined : mapping.orgBy === 'name' ? rawOrg : rawOrg.toUpperCase().replace(/[\s-]/g, '');
  const rawGroups = claimAt(claims, mapping.rolesClaim);
  const groups = (Array.isArray(rawGroups) ? rawGroups.map(text) : typeof rawGroups === 'string' ? rawGroups.split(/[\s,]+/) : []).filter(
    (g): g is string => !!g,
  );
  const mapped = groups.flatMap((g) => (mapping.roles[g] ?? []) as SsoRole[]);
  const roles = [...new Set(mapped.length ? mapped : (mapping.defaultRoles as SsoRole[]))];
  const autoApprove = Array.isArray(mapping.autoApprove) ? groups.some((g) => (mapping.autoApprove as string[]).includes(g)) : mapping.autoApprove;
  return { org, groups, roles, autoApprove, username: text(claimAt(claims, mapping.usernameClaim)), displayName: text(claimAt(claims, mapping.nameClaim)) };
}

/**
 * A user name for a new account from the provider's proposal: lower case, the characters pdx allows,
 * 3-64 long; else one derived from the subject. `taken` says which are in use (a suffix is added).
 */
export async function usernameFor(proposal: string | undefined, fallback: string, taken: (name: string) => Promise<boolean>): Promise<string> {
  const cleaned = (proposal ?? '')
    .toLowerCase()
    .replace(/@.*$/, '')
    .replace(/[^a-z0-9._-]/g, '')
    .replace(/^[._-]+/, '')
    .slice(0, 56);
  const base = cleaned.length >= 3 ? cleaned : fallback;
  for (let i = 1; i < 1000; i++) {
    const name = i === 1 ? base : `${base}-${i}`;
    if (!(await taken(name))) return name;
  }
  throw new Error(`no free user name for ${base}`);
}
