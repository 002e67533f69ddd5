import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { ApiError } from './api/client.ts';
import { identityApi, type Me, type Role } from './api/identity.ts';

export type { Me, Role };

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
      setMe(await identityApi.me());
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
      const { user } = await identityApi.login(username, password);
      setMe(user);
    },
    async logout() {
      await identityApi.logout().catch(() => undefined);
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
