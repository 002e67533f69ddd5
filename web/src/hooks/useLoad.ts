import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';

export interface Loaded<T> {
  /** The last answer; kept while a reload runs, so a page does not blink. */
  data: T | undefined;
  loading: boolean;
  /** The failed load's message (an ApiError's is already in the console language). */
  error: string | undefined;
  /** Loads again (after a change the page made); resolves when the answer is shown. */
  reload(): Promise<void>;
  /** Shows an action's answer as the data: the server already said what it is now, no need to ask again. */
  set(value: T): void;
}

/**
 * What some pages need beyond "load when the page opens". Added once here rather than worked around
 * in each page: a load that waits for something the user picks, live views, and views that another
 * part of the console tells to refresh.
 */
export interface LoadOptions {
  /** Loads on its own only while this holds (e.g. once a device is picked); reload() always loads. */
  when?: boolean;
  /** Live views: loads again this many milliseconds after each answer (not at a fixed rate, so slow answers never pile up). */
  every?: number;
  /** A window event that says the data changed elsewhere in the console (another view's action): load again. */
  on?: string;
}

/**
 * The data a page shows, loaded when it opens and again when `deps` change: the value, whether it is
 * loading, the error, and reload(). Only the latest load's answer is used, so a quick change of
 * `deps` (another version, another tab) never shows an older answer after a newer one.
 *
 *   const { data: report, loading, error } = useLoad(() => getVersionReport(code, chosen), [code, chosen]);
 *   const { data: live } = useLoad(() => telemetryApi.device(device!), [device], { when: !!device, every: 2000 });
 */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList, { when = true, every, on }: LoadOptions = {}): Loaded<T> {
  const [data, setData] = useState<T>();
  const [loading, setLoading] = useState(when);
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

  const set = useCallback((value: T) => {
    latest.current++; // a load still running answers an older state
    setData(value);
    setError(undefined);
    setLoading(false);
  }, []);

  useEffect(() => {
    if (!when) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      await reload();
      if (!stopped && every) timer = setTimeout(() => void tick(), every);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      latest.current++;
      // The dropped load never ends its own loading state.
      setLoading(false);
    };
  }, [reload, when, every]);

  useEffect(() => {
    if (!on) return;
    const again = () => void reload();
    window.addEventListener(on, again);
    return () => window.removeEventListener(on, again);
  }, [on, reload]);

  return { data, loading, error, reload, set };
}
