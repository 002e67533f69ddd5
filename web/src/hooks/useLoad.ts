import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';

export interface Loaded<T> {
  /** The last answer; kept while a reload runs, so a page does not blink. */
  data: T | undefined;
  loading: boolean;
  /** The failed load's message (an ApiError's is already in the console language). */
  error: string | undefined;
  /** Loads again (after a change the page made); resolves when the answer is shown. */
  reload(): Promise<void>;
}

/**
 * The data a page shows, loaded when it opens and again when `deps` change: the value, whether it is
 * loading, the error, and reload(). Only the latest load's answer is used, so a quick change of
 * `deps` (another version, another tab) never shows an older answer after a newer one.
 *
 *   const { data: report, loading, error } = useLoad(() => getVersionReport(code, chosen), [code, chosen]);
 */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [data, setData] = useState<T>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const latest = useRef(0);
  // `load` is a new closure on each render; the caller's `deps` say when it loads something else.
  const run = useCallback(load, deps);

  const reload = useCallback(async () => {
    const n = ++latest.current;
    setLoading(true);
    try {
      const value = await run();
      if (n === latest.current) {
        setData(value);
        setError(undefined);
      }
    } catch (e) {
      if (n === latest.current) setError((e as Error).message);
    } finally {
      if (n === latest.current) setLoading(false);
    }
  }, [run]);

  useEffect(() => {
    void reload();
    return () => {
      latest.current++;
    };
  }, [reload]);

  return { data, loading, error, reload };
}
