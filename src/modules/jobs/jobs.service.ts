import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Db, Queryable } from '../../db/index.ts';
import { AppError } from '../../errors.ts';
import { jobsRepo, type JobRow } from './jobs.repo.ts';

/** What a handler may do while it runs. */
export interface JobContext {
  job: JobRow;
  /** Records progress (and proves the worker is alive). */
  progress(update: JobRow['progress']): Promise<void>;
}

export type JobHandler = (ctx: JobContext) => Promise<Record<string, unknown> | void>;

export interface JobsOptions {
  /** How often an idle worker looks for work. */
  pollMs?: number;
  /** A running job without a heartbeat for this long is taken over by another worker. */
  staleSeconds?: number;
}

/** Thrown by a handler that cannot run yet (another job holds what it needs): requeue it for later. */
export class RetryLater extends Error {
  constructor(readonly seconds: number) {
    super(`retry in ${seconds}s`);
  }
}

/** Maps any failure to the stored form: stable code and a bilingual message, never a stack. */
function storedError(error: unknown): JobRow['error'] {
  if (error instanceof AppError) return { code: error.code, message: error.text, details: error.details };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'job_failed', message: { zh: `任务失败：${message}`, en: `Job failed: ${message}` } };
}

/**
 * The background job queue: jobs are rows, so they survive restarts and are shared by every pdx
 * process on the database; each process runs one worker loop for the kinds it has handlers for.
 */
export function createJobs(db: Db, options: JobsOptions = {}) {
  const repo = jobsRepo(db);
  const handlers = new Map<string, JobHandler>();
  const worker = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const pollMs = options.pollMs ?? 1000;
  const staleSeconds = options.staleSeconds ?? 60;
  let running = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;

  async function runOne(job: JobRow): Promise<void> {
    const handler = handlers.get(job.kind);
    if (!handler) return;
    const ctx: JobContext = { job, progress: (update) => repo.progress(job.id, worker, update).then(() => undefined) };
    try {
      const result = await handler(ctx);
      await repo.finish(job.id, worker, result ?? {});
    } catch (error) {
      if (error instanceof RetryLater) await repo.requeue(job.id, worker, error.seconds);
      else await repo.fail(job.id, worker, storedError(error)).catch(() => undefined);
    }
  }

  const service = {
    worker,
    staleSeconds,
    get: (id: string) => repo.get(id),

    /** Fails a job whose work was found abandoned, inside the finder's own transaction. */
    failAbandoned: (tx: Queryable, id: string, error: unknown) => jobsRepo(tx).failAbandoned(id, error),

    /**
     * Which of the given jobs are alive (running, heartbeat within staleSeconds), read on the caller's
     * handle (its transaction, under the lock of what the jobs work on). No statement for no ids.
     */
    async alive(q: Queryable, ids: readonly (string | null)[]): Promise<Set<string>> {
      const given = [...new Set(ids.filter((id): id is string => id !== null))];
      if (given.length === 0) return new Set();
      return new Set((await jobsRepo(q).alive(given, staleSeconds)).map((j) => j.id));
    },

    /** Registers the handler of a job kind (before start()). */
    handle(kind: string, handler: JobHandler) {
      handlers.set(kind, handler);
    },

    /** Stores a job and wakes the local worker. */
    async enqueue(kind: string, payload: Record<string, unknown>, createdBy: string | null, totalBytes?: number): Promise<string> {
      const id = randomUUID();
      await repo.insert({ id, kind, payload, createdBy, ...(totalBytes === undefined ? {} : { totalBytes }) });
      wake?.();
      return id;
    },

    /**
     * Starts a job that this process runs itself, outside the queue (a long-running worker such as a
     * CDC stream): it is 'running' from the start, kept alive by `ctx.progress`, and ended with
     * `finish` or `fail`. Its heartbeat tells other processes whether the work is still in hand.
     */
    async begin(kind: string, payload: Record<string, unknown>, createdBy: string | null) {
      const id = randomUUID();
      await repo.insertRunning({ id, kind, payload, createdBy, worker });
      const job = (await repo.get(id))!;
      const ctx: JobContext = { job, progress: (update) => repo.progress(id, worker, update).then(() => undefined) };
      return {
        ctx,
        finish: (result: Record<string, unknown> = {}) => repo.finish(id, worker, result).then(() => undefined),
        fail: (error: unknown) => repo.fail(id, worker, storedError(error)).then(() => undefined),
      };
    },

    /** Claims and runs queued jobs until none is left; returns how many ran (CLI and tests). */
    async drain(): Promise<number> {
      let count = 0;
      for (;;) {
        const job = await repo.claim(worker, [...handlers.keys()], staleSeconds);
        if (!job) return count;
        await runOne(job);
        count++;
      }
    },

    /** Runs one given job in this process if it can be claimed now; true when it ran. */
    async runJob(id: string): Promise<boolean> {
      const job = await repo.claimById(worker, id, staleSeconds);
      if (!job) return false;
      await runOne(job);
      return true;
    },

    /** Starts the worker loop of this process. */
    start() {
      if (running) return;
      running = true;
      loop = (async () => {
        while (running) {
          const ran = await service.drain().catch(() => 0);
          if (ran === 0 && running) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, pollMs);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            wake = undefined;
          }
        }
      })();
    },

    /** Stops after the job in hand; waits for it. */
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
  return service;
}

export type Jobs = ReturnType<typeof createJobs>;
