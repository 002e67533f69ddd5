import type { Role } from '../auth.tsx';

export interface Org {
  id: string;
  name: string;
  type: 'authority' | 'government' | 'department' | 'enterprise';
  level: 'province' | 'city' | 'county';
  uscc: string | null;
  regionCode: string;
  parentId: string | null;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  orgId: string;
  roles: Role[];
  mustChangePassword: boolean;
  locked: boolean;
  disabled: boolean;
  lastLoginAt: string | null;
  createdAt: string;
  /** Made by a first sign-in through 统一身份认证, waiting for the sysadmin. */
  pendingApproval: boolean;
  signOn: 'local' | 'sso';
  /** An authenticator (TOTP) is enrolled. */
  secondFactor: boolean;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
  state: 'active' | 'revoked' | 'expired';
}

/** The account fields a change to an administrator account sets (or held before it). */
export interface AdminChangeFields {
  username?: string;
  displayName?: string;
  orgId?: string;
  roles?: Role[];
  disabled?: boolean;
}

/** A change to an administrator account (三员) waiting for, or decided by, a second administrator. */
export interface AdminChange {
  id: string;
  kind: 'create' | 'update' | 'reset_password';
  state: 'pending' | 'applied' | 'rejected' | 'withdrawn';
  targetUserId: string | null;
  targetUsername: string;
  adminRoles: ('sysadmin' | 'secadmin' | 'auditor')[];
  approverRole: 'secadmin' | 'auditor';
  changes: AdminChangeFields;
  before: AdminChangeFields | null;
  proposedBy: { id: string; username: string };
  proposedAt: string;
  decidedBy: { id: string; username: string } | null;
  decidedAt: string | null;
  reason: string | null;
}

/** What POST /users, PATCH /users/{id} and reset-password answer when the change is held (202). */
export interface HeldChange {
  change: AdminChange;
  passwordPart?: string;
}
