/** All SQL of the duties module (its own tables and its key in `settings`), with bound parameters only. */
import type { Queryable } from '../../db/index.ts';
import { SETTINGS_KEY } from './duties.settings.ts';

export type Stage = 'provider' | 'security';
export type Basis = 'unconditional' | 'conditional_shared' | 'conditional';

export interface ClockRow {
  request_id: string;
  stage: Stage;
  basis: Basis;
  limit_days: number;
  provider_org_id: string;
  extension_days: number;
  extension_reason: string | null;
  extended_by: string | null;
  extended_at: Date | null;
  reminded_at: Date | null;
  escalated_at: Date | null;
}

export function dutiesRepo(db: Queryable) {
  return {
    settings: async () => (await db.query<{ value: unknown }>('SELECT value FROM settings WHERE key = $1', [SETTINGS_KEY]))[0]?.value,
    saveSettings: (value: unknown) =>
      db.query(`INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`, [
        SETTINGS_KEY,
        JSON.stringify(value),
      ]),

    clocks: (requestIds: string[]) =>
      requestIds.length === 0 ? Promise.resolve([] as ClockRow[]) : db.query<ClockRow>('SELECT * FROM duty_request_clocks WHERE request_id = ANY($1::uuid[])', [requestIds]),

    /** Opens the clock of a stage with the limit in force now; an existing clock keeps its limit. */
    async openClocks(rows: { requestId: string; stage: Stage; basis: Basis; limitDays: number; providerOrgId: string }[]): Promise<void> {
      if (rows.length === 0) return;
      await db.query(
        `INSERT INTO duty_request_clocks (request_id, stage, basis, limit_days, provider_org_id)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::uuid[]) ON CONFLICT DO NOTHING`,
        [rows.map((r) => r.requestId), rows.map((r) => r.stage), rows.map((r) => r.basis), rows.map((r) => r.limitDays), rows.map((r) => r.providerOrgId)],
      );
    },

    /** The one extension of a request's stage; false when it was already extended. */
    extend: async (requestId: string, stage: Stage, e: { days: number; reason: string; by: string; at: Date }) =>
      (
        await db.query(
          `UPDATE duty_request_clocks SET extension_days = $3, extension_reason = $4, extended_by = $5, extended_at = $6
            WHERE request_id = $1 AND stage = $2 AND extended_at IS NULL RETURNING request_id`,
          [requestId, stage, e.days, e.reason, e.by, e.at],
        )
      ).length > 0,

    /** Claims the reminder of a stage (once, across processes). */
    claimReminder: async (requestId: string, stage: Stage, at: Date) =>
      (await db.query('UPDATE duty_request_clocks SET reminded_at = $3 WHERE request_id = $1 AND stage = $2 AND reminded_at IS NULL RETURNING request_id', [requestId, stage, at])).length > 0,

    /** Claims the escalation of an overdue stage (once, across processes). */
    claimEscalation: async (requestId: string, stage: Stage, at: Date) =>
      (await db.query('UPDATE duty_request_clocks SET escalated_at = $3 WHERE request_id = $1 AND stage = $2 AND escalated_at IS NULL RETURNING request_id', [requestId, stage, at])).length > 0,
  };
}

export type DutiesRepo = ReturnType<typeof dutiesRepo>;
