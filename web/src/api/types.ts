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
