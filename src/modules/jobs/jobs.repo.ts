import type { Queryable } from '../../db/index.ts';
import { maybeOne } from '../../db/index.ts';

export interface JobRow {
  id: string;
  kind: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  payload: Record<string, unknown>;
  progress: { rows?: number; bytes?: number; totalBytes?: number; phase?: string };
  result: Record<string, unknown> | null;
  error: { code: string; message: { zh: string; en: string }; details?: unknown } | null;
  attempts: number;
  locked_by: string | null;
  heartbeat_at: Date | null;
  created_by: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** All SQL of the job queue. */
export function jobsRepo(db: Queryable) {
  return {
    insert: (j: { id: string; kind: string; payload: unknown; createdBy: string | null; totalBytes?: number }) =>
      db.query(`INSERT INTO jobs (id, kind, payload, created_by, progress) VALUES ($1, $2, $3, $4, $5)`, [
        j.id,
        j.kind,
        JSON.stringify(j.payload),
        j.createdBy,
        JSON.stringify({ rows: 0, bytes: 0, totalBytes: j.totalBytes ?? null }),
      ]),
    /** A job that its worker runs itself from the start (never queued, so no worker loop claims it). */
    insertRunning: (j: { id: string; kind: string; payload: unknown; createdBy: string | null; worker: string }) =>
      db.query(
        `INSERT INTO jobs (id, kind, payload, created_by, state, locked_by, heartbeat_at, started_at, attempts) VALUES ($1, $2, $3, $4, 'running', $5, now(), now(), 1)`,
        [j.id, j.kind, JSON.stringify(j.payload), j.createdBy, j.worker],
      ),
    get: (id: string) => maybeOne<JobRow>(db, 'SELECT * FROM jobs WHERE id = $1', [id]),
    /**
     * Claims the oldest queued job of the given kinds; SKIP LOCKED lets several processes share the
     * queue without two taking the same job. A running job whose worker stopped sending heartbeats
     * (killed process) is taken back after staleSeconds.
     */
    claim: (worker: string, kinds: string[], staleSeconds: number) =>
      maybeOne<JobRow>(
        db,
        `UPDATE jobs SET state = 'running', locked_by = $1, heartbeat_at = now(), started_at = now(), attempts = attempts + 1
         WHERE id = (
           SELECT id FROM jobs
           WHERE kind = ANY($2) AND (not_before IS NULL OR not_before <= now())
             AND (state = 'queued' OR (state = 'running' AND heartbeat_at < now() - make_interval(secs => $3)))
           ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1)
         RETURNING *`,
        [worker, kinds, staleSeconds],
      ),
    /** Claims one given job if it is runnable (the CLI runs the job it queued, not other people's). */
    claimById: (worker: string, id: string, staleSeconds: number) =>
      maybeOne<JobRow>(
        db,
        `UPDATE jobs SET state = 'running', locked_by = $1, heartbeat_at = now(), started_at = now(), attempts = attempts + 1
         WHERE id = (
           SELECT id FROM jobs
           WHERE id = $2 AND (not_before IS NULL OR not_before <= now())
             AND (state = 'queued' OR (state = 'running' AND heartbeat_at < now() - make_interval(secs => $3)))
           FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [worker, id, staleSeconds],
      ),
    progress: (id: string, worker: string, progress: unknown) =>
      db.query(`UPDATE jobs SET progress = progress || $3::jsonb, heartbeat_at = now() WHERE id = $1 AND locked_by = $2 AND state = 'running'`, [
        id,
        worker,
        JSON.stringify(progress),
      ]),
    /** Gives a job back to the queue, not to be claimed for `seconds`; the attempt does not count. */
    requeue: (id: string, worker: string, seconds: number) =>
      db.query(
        `UPDATE jobs SET state = 'queued', locked_by = NULL, attempts = attempts - 1, not_before = now() + make_interval(secs => $3)
         WHERE id = $1 AND locked_by = $2`,
        [id, worker, seconds],
      ),
    /** Which of the given jobs are running with a heartbeat within staleSeconds (their work is in hand). */
    alive: (ids: readonly string[], staleSeconds: number) =>
      db.query<{ id: string }>(`SELECT id FROM jobs WHERE id = ANY($1::uuid[]) AND state = 'running' AND heartbeat_at > now() - make_interval(secs => $2)`, [
        ids,
        staleSeconds,
      ]),
    /** Fails a job whose worker died, whatever worker held it (its work was found abandoned). */
    failAbandoned: (id: string, error: unknown) =>
      db.query(`UPDATE jobs SET state = 'failed', error = $2, finished_at = now() WHERE id = $1 AND state IN ('running', 'queued')`, [
        id,
        JSON.stringify(error),
      ]),
    finish: (id: string, worker: string, result: unknown) =>
      db.query(`UPDATE jobs SET state = 'succeeded', result = $3, finished_at = now() WHERE id = $1 AND locked_by = $2`, [
        id,
        worker,
        JSON.stringify(result ?? {}),
      ]),
    fail: (id: string, worker: string, error: unknown) =>
      db.query(`UPDATE jobs SET state = 'failed', error = $3, finished_at = now() WHERE id = $1 AND locked_by = $2`, [id, worker, JSON.stringify(error)]),
  };
}
