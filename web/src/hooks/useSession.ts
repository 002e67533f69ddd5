import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../api/client.ts';

export interface Session<U> {
  /** undefined while loading, null when signed out. */
  me: U | null | undefined;
  /** Asks the server again who is signed in (a 401 means no one). */
  refresh(): Promise<void>;
  /** Sets the signed-in user from an answer that already says it (a sign-in), or null after signing out. */
  setMe(user: U | null): void;
}

/**
 * Who is signed in to a session, read from its `me` endpoint when the page opens: the console's
 * (auth.tsx) and the open-data portal's society users (their own session, separate from the
 * console's). `readMe` must be stable (a module-level API function).
 */
export function useSession<U>(readMe: () => Promise<U>): Session<U> {
  const [me, setMe] = useState<U | null | undefined>(undefined);
  const refresh = useCallback(async () => {
    try {
      setMe(await readMe());
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setMe(null);
      else throw error;
    }
  }, [readMe]);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return { me, refresh, setMe };
}
