/** All SQL of push subscriptions (库表推送): the tables of migration 0024, bound parameters only. */
import type { Queryable } from '../../db/index.ts';

type StoredError = { code: string; message: { zh: string; en: string }; details?: unknown };

export interface SubscriptionRow {
  id: string;
  org_id: string;
  grant_id: string;
  dataset_id: string;
  target_id: string;
  target_schema: string;
  target_table: string;
  mode: 'full' | 'incremental';
  interval_minutes: number;
  next_run_at: Date | null;
  state: 'active' | 'paused' | 'stopped';
  stop_reason: StoredError | null;
  last_version: number | null;
  last_row: number | null;
  last_delivered_at: Date | null;
  pending_job: string | null;
  consecutive_failures: number;
  last_error: StoredError | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  /** The dataset's catalogue code and name (from the catalogue's service), the target's name (joined). */
  dataset_code: string;
  dataset_name: string;
  target_name: string;
}

export interface DeliveryRow {
  id: string;
  subscription_id: string;
  job_id: string | null;
  status: 'running' | 'delivered' | 'unchanged' | 'failed' | 'refused' | 'stopped';
  mode: 'full' | 'incremental' | null;
  version: number | null;
  rows: number;
  error: StoredError | null;
  started_at: Date;
  finished_at: Date | null;
  duration_ms: number | null;
}

/** A subscription as its table holds it, with its target's name; the service adds the dataset's code and name. */
export type StoredSubscription = Omit<SubscriptionRow, 'dataset_code' | 'dataset_name'>;

const SELECT = `SELECT s.*, t.name AS target_name FROM exchange_subscriptions s JOIN exchange_sources t ON t.id = s.target_id`;

export function pushRepo(db: Queryable) {
  return {
    insert: (
      s: Pick<
        SubscriptionRow,
        'id' | 'org_id' | 'grant_id' | 'dataset_id' | 'target_id' | 'target_schema' | 'target_table' | 'mode' | 'interval_minutes' | 'created_by'
      >,
    ) =>
      db.query(
        `INSERT INTO exchange_subscriptions (id, org_id, grant_id, dataset_id, target_id, target_schema, target_table, mode, interval_minutes, next_run_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), $10)`,
        [s.id, s.org_id, s.grant_id, s.dataset_id, s.target_id, s.target_schema, s.target_table, s.mode, s.interval_minutes, s.created_by],
      ),
    byId: async (id: string) => (await db.query<StoredSubscription>(`${SELECT} WHERE s.id = $1`, [id]))[0],
    byTable: async (targetId: string, schema: string, table: string) =>
      (
        await db.query<{ id: string }>('SELECT id FROM exchange_subscriptions WHERE target_id = $1 AND target_schema = $2 AND target_table = $3', [
          targetId,
          schema,
          table,
        ])
      )[0],
    ofOrg: (orgId: string) => db.query<StoredSubscription>(`${SELECT} WHERE s.org_id = $1 ORDER BY s.created_at DESC`, [orgId]),
    remove: (id: string) => db.query('DELETE FROM exchange_subscriptions WHERE id = $1', [id]),

    /** Pause or resume; resuming makes the subscription due now. A stopped one stays stopped. */
    setState: (id: string, state: 'active' | 'paused') =>
      db.query(
        `UPDATE exchange_subscriptions SET state = $2, next_run_at = CASE WHEN $2 = 'active' THEN now() ELSE next_run_at END, updated_at = now()
         WHERE id = $1 AND state <> 'stopped'`,
        [id, state],
      ),
    /** The grant is gone: no more deliveries, with the reason. */
    stop: (id: string, reason: StoredError) =>
      db.query(`UPDATE exchange_subscriptions SET state = 'stopped', stop_reason = $2, next_run_at = NULL, updated_at = now() WHERE id = $1`, [
        id,
        JSON.stringify(reason),
      ]),

    /**
     * Subscriptions whose time has come: their next run moves one interval on in the same statement,
     * so two pdx processes never both take one (SKIP LOCKED).
     */
    claimDue: () =>
      db.query<{ id: string; created_by: string; pending_job: string | null }>(
        `UPDATE exchange_subscriptions SET next_run_at = now() + make_interval(mins => interval_minutes)
         WHERE id IN (SELECT id FROM exchange_subscriptions WHERE state = 'active' AND next_run_at <= now() FOR UPDATE SKIP LOCKED)
         RETURNING id, created_by, pending_job`,
      ),
    setPending: (id: string, jobId: string | null) => db.query('UPDATE exchange_subscriptions SET pending_job = $2 WHERE id = $1', [id, jobId]),

    /** A committed delivery: the marks move, the failure streak ends. */
    delivered: (id: string, mark: { version: number; lastRow: number | null }) =>
      db.query(
        `UPDATE exchange_subscriptions SET last_version = $2, last_row = $3, last_delivered_at = now(), consecutive_failures = 0, last_error = NULL, updated_at = now()
         WHERE id = $1`,
        [id, mark.version, mark.lastRow],
      ),
    /** Nothing new (or refused by a containment): the failure streak ends, the marks stay. */
    quiet: (id: string) => db.query('UPDATE exchange_subscriptions SET consecutive_failures = 0, last_error = NULL, updated_at = now() WHERE id = $1', [id]),
    /**
     * A failed delivery: the streak grows and the next try comes after a backoff of 1, 2, 4 … minutes,
     * never later than the regular interval. Returns the streak.
     */
    failed: async (id: string, error: StoredError) =>
      (
        await db.query<{ consecutive_failures: number }>(
          `UPDATE exchange_subscriptions SET consecutive_failures = consecutive_failures + 1, last_error = $2, updated_at = now(),
             next_run_at = CASE WHEN state = 'active'
               THEN now() + make_interval(mins => LEAST(interval_minutes, power(2, LEAST(consecutive_failures, 20))::int)) ELSE next_run_at END
           WHERE id = $1 RETURNING consecutive_failures`,
          [id, JSON.stringify(error)],
        )
      )[0]?.consecutive_failures ?? 0,

    startDelivery: (d: { id: string; subscriptionId: string; jobId: string | null }) =>
      db.query(`INSERT INTO exchange_deliveries (id, subscription_id, job_id, status) VALUES ($1, $2, $3, 'running')`, [d.id, d.subscriptionId, d.jobId]),
    finishDelivery: (
      id: string,
      r: { status: DeliveryRow['status']; mode?: DeliveryRow['mode']; version?: number | null; rows?: number; error?: StoredError | null },
    ) =>
      db.query(
        `UPDATE exchange_deliveries SET status = $2, mode = $3, version = $4, rows = $5, error = $6, finished_at = now(),
           duration_ms = GREATEST(0, (extract(epoch FROM clock_timestamp() - started_at) * 1000)::int)
         WHERE id = $1`,
        [id, r.status, r.mode ?? null, r.version ?? null, r.rows ?? 0, r.error ? JSON.stringify(r.error) : null],
      ),
    deliveries: (subscriptionId: string, limit = 100) =>
      db.query<DeliveryRow>('SELECT * FROM exchange_deliveries WHERE subscription_id = $1 ORDER BY started_at DESC, id LIMIT $2', [subscriptionId, limit]),
  };
}
