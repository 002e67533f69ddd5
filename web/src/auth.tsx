import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError } from './api/client.ts';

export type Role = 'sysadmin' | 'secadmin' | 'auditor' | 'data_officer' | 'consumer';

export interface Me {
  id: string;
  username: string;
  displayName: string;
  orgId: string;
  orgName: string;
  roles: Role[];
  mustChangePassword: boolean;
}

interface Auth {
  /** undefined while loading, null when signed out. */
  me: Me | null | undefined;
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
  refresh(): Promise<void>;
  has(...roles: Role[]): boolean;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const refresh = useCallback(async () => {
    try {
      setMe(await api<Me>('GET', '/api/v1/auth/me'));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setMe(null);
      else throw error;
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);

  const value: Auth = {
    me,
    refresh,
    async login(username, password) {
      const { user } = await api<{ user: Me }>('POST', '/api/v1/auth/login', { username, password });
      setMe(user);
    },
    async logout() {
      await api('POST', '/api/v1/auth/logout').catch(() => undefined);
      setMe(null);
    },
    has: (...roles) => !!me && me.roles.some((r) => roles.includes(r)),
  };
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside AuthProvider');
  return value;
}
