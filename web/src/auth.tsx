import { createContext, useContext, type ReactNode } from 'react';
import { identityApi, type Me, type Role } from './api/identity.ts';
import type { SecondFactorAnswer, SecondFactorStep } from './api/signon.ts';
import { useSession } from './hooks/useSession.ts';

export type { Me, Role };

interface Auth {
  /** undefined while loading, null when signed out. */
  me: Me | null | undefined;
  /** The password step: signs in, or returns the second step an administrator must take. */
  login(username: string, password: string): Promise<SecondFactorStep | undefined>;
  /** The second step; the caller shows recovery codes (if any) and then calls `signedIn`. */
  secondFactor(ticket: string, code: string): Promise<SecondFactorAnswer>;
  signedIn(user: Me): void;
  logout(): Promise<void>;
  refresh(): Promise<void>;
  has(...roles: Role[]): boolean;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const { me, refresh, setMe } = useSession<Me>(identityApi.me);

  const value: Auth = {
    me,
    refresh,
    async login(username, password) {
      const answer = await identityApi.login(username, password);
      if ('secondFactor' in answer) return answer.secondFactor;
      setMe(answer.user);
      return undefined;
    },
    secondFactor: (ticket, code) => identityApi.secondFactor(ticket, code),
    signedIn: (user) => setMe(user),
    async logout() {
      // A session opened through the identity provider ends there too (RP-initiated logout).
      const answer = await identityApi.logout().catch(() => undefined);
      setMe(null);
      if (answer && 'endSessionUrl' in answer && answer.endSessionUrl) window.location.assign(answer.endSessionUrl);
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
