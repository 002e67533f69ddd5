/**
 * Last-use times (an API key's `last_used_at`) kept in the process and written in one statement
 * every few seconds and on close, instead of one UPDATE on the request path of every call.
 *
 * A time is kept to the minute: a use within a minute of the one stored (or already waiting) is not
 * written again. Readers that show the time flush first, so this process's uses are visible at once;
 * another process's reach the database within `everyMs`.
 */
export interface UseStamps {
  /** Notes a use of `id` at `at`; `stored` is the time the caller read from the database. */
  note(id: string, stored: Date | null, at?: Date): void;
  /** Writes every waiting time now (one statement); resolves when written. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is waiting. */
  stop(): Promise<void>;
}

/** Uses within this much of the stored time are not written again. */
export const USE_PRECISION_MS = 60_000;

export function createUseStamps(
  write: (ids: string[], times: Date[]) => Promise<unknown>,
  options: { everyMs?: number; onError?: (error: unknown) => void } = {},
): UseStamps {
  const everyMs = options.everyMs ?? 5_000;
  const onError = options.onError ?? ((error: unknown) => console.error('[last use]', error));
  let waiting = new Map<string, Date>();
  let writing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = waiting;
    waiting = new Map();
    // One write at a time, in order: a later flush never lands before an earlier one.
    const written = writing.then(async () => {
      if (batch.size > 0) await write([...batch.keys()], [...batch.values()]);
    });
    writing = written.catch(() => undefined);
    return written;
  }

  return {
    note(id, stored, at = new Date()) {
      if (stopped || (stored && at.getTime() - stored.getTime() < USE_PRECISION_MS)) return;
      const pending = waiting.get(id);
      if (pending && at.getTime() - pending.getTime() < USE_PRECISION_MS) return;
      waiting.set(id, at);
      if (!timer) {
        timer = setTimeout(() => void flush().catch(onError), everyMs);
        timer.unref();
      }
    },
    flush,
    stop() {
      stopped = true;
      return flush();
    },
  };
}
