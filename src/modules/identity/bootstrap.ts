import type { Db } from '../../db/index.ts';
import type { Role } from '../../http/access.ts';
import { makeUscc } from './codes.ts';
import type { IdentityService } from './identity.service.ts';

/** The platform operator every installation starts with. */
export const PLATFORM_ORG = {
  name: '辽宁省大数据管理局',
  type: 'authority' as const,
  level: 'province' as const,
  uscc: makeUscc('1', '1', '210000', 'MB1A0001'),
  regionCode: '210000',
  parentId: null,
};

const FIRST_ACCOUNTS: { username: string; displayName: string; role: Role }[] = [
  { username: 'sysadmin', displayName: '系统管理员', role: 'sysadmin' },
  { username: 'secadmin', displayName: '安全管理员', role: 'secadmin' },
  { username: 'auditor', displayName: '审计管理员', role: 'auditor' },
];

const BOOTSTRAP_LOCK = 0x7064786269647900n;

export interface FirstCredentials {
  username: string;
  role: Role;
  /** Set only when pdx generated it; such a password must be changed at first sign-in. */
  password?: string;
}

/**
 * On first start: the platform organisation and one sysadmin, secadmin and auditor (三员), each
 * created only when no account holds that role yet. Passwords come from the given values or are
 * generated and returned once; once all three exist this returns undefined and prints nothing.
 */
export async function bootstrapIdentity(
  db: Db,
  identity: IdentityService,
  passwords: Partial<Record<'sysadmin' | 'secadmin' | 'auditor', string>>,
): Promise<FirstCredentials[] | undefined> {
  return db.withAdvisoryLock(BOOTSTRAP_LOCK, async () => {
    const held = new Set((await identity.find.users()).flatMap((u) => u.roles));
    const missing = FIRST_ACCOUNTS.filter((a) => !held.has(a.role));
    if (missing.length === 0) return undefined;
    const org = (await identity.find.orgByName(PLATFORM_ORG.name)) ?? (await identity.createOrg({}, PLATFORM_ORG));
    const created: FirstCredentials[] = [];
    for (const account of missing) {
      const given = passwords[account.role as 'sysadmin' | 'secadmin' | 'auditor'];
      const { password } = await identity.createUser({}, { ...account, orgId: org.id, roles: [account.role], ...(given ? { password: given } : {}) });
      created.push({ username: account.username, role: account.role, ...(password ? { password } : {}) });
    }
    return created;
  });
}
