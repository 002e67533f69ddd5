/** All SQL of the classification review: column reviews, confirmations, 重要数据 decisions, policy. */
import type { Queryable } from '../../db/index.ts';
import { ident } from '../../db/sql.ts';

export interface ReviewRow {
  id: number;
  dataset_id: string;
  column_name: string;
  version: number;
  confirmed_type: string | null;
  grade: number;
  detected_type: string | null;
  detected_grade: number;
  override: boolean;
  reason: string;
  reviewed_by: string | null;
  reviewer_name: string | null;
  reviewed_at: Date;
}

/** Detection confirmed for one column: its top type, grade and sensitivity at confirmation. */
export interface ConfirmedColumn {
  type: string | null;
  grade: number;
  sensitive: boolean;
}

export interface ConfirmationRow {
  dataset_id: string;
  version: number;
  detected: Record<string, ConfirmedColumn>;
  confirmed_by: string | null;
  confirmer_name: string | null;
  confirmed_at: Date;
}

export interface DecisionRow {
  dataset_id: string;
  version: number;
  level: 'general' | 'important' | 'core';
  reason: string;
  candidate_reasons: string[];
  decided_by: string | null;
  decider_name: string | null;
  decided_at: Date;
}

export const POLICY_KEY = 'classify.policy';

/** The rows as classification's tables hold them: the people's names come from identity (review.service.ts, `named`). */
export type ReviewFields = Omit<ReviewRow, 'reviewer_name'>;
export type ConfirmationFields = Omit<ConfirmationRow, 'confirmer_name'>;
export type DecisionFields = Omit<DecisionRow, 'decider_name'>;

export function reviewRepo(db: Queryable) {
  return {
    /** The review in force per column (the latest row of each column). */
    currentReviews: (datasetId: string) =>
      db.query<ReviewFields>(`SELECT DISTINCT ON (r.column_name) r.* FROM classification_reviews r WHERE r.dataset_id = $1 ORDER BY r.column_name, r.id DESC`, [
        datasetId,
      ]),

    insertReview: (r: Omit<ReviewRow, 'id' | 'reviewed_at' | 'reviewer_name'>) =>
      db.query(
        `INSERT INTO classification_reviews (dataset_id, column_name, version, confirmed_type, grade, detected_type, detected_grade, override, reason, reviewed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [r.dataset_id, r.column_name, r.version, r.confirmed_type, r.grade, r.detected_type, r.detected_grade, r.override, r.reason, r.reviewed_by],
      ),

    lastConfirmation: async (datasetId: string) =>
      (
        await db.query<ConfirmationFields>(
          `SELECT c.dataset_id, c.version, c.detected, c.confirmed_by, c.confirmed_at
             FROM classification_confirmations c WHERE c.dataset_id = $1 ORDER BY c.id DESC LIMIT 1`,
          [datasetId],
        )
      )[0],

    /** What the dataset's last confirmation recorded per column (its grades), if it was ever confirmed. */
    lastConfirmedColumns: async (datasetId: string) =>
      (
        await db.query<{ detected: Record<string, ConfirmedColumn> }>(
          'SELECT detected FROM classification_confirmations WHERE dataset_id = $1 ORDER BY id DESC LIMIT 1',
          [datasetId],
        )
      )[0]?.detected,

    insertConfirmation: (datasetId: string, version: number, detected: Record<string, ConfirmedColumn>, userId: string) =>
      db.query(`INSERT INTO classification_confirmations (dataset_id, version, detected, confirmed_by) VALUES ($1, $2, $3, $4)`, [
        datasetId,
        version,
        JSON.stringify(detected),
        userId,
      ]),

    lastDecision: async (datasetId: string) =>
      (
        await db.query<DecisionFields>(
          `SELECT d.dataset_id, d.version, d.level, d.reason, d.candidate_reasons, d.decided_by, d.decided_at
             FROM important_data_decisions d WHERE d.dataset_id = $1 ORDER BY d.id DESC LIMIT 1`,
          [datasetId],
        )
      )[0],

    insertDecision: (d: { datasetId: string; version: number; level: string; reason: string; candidateReasons: string[]; userId: string }) =>
      db.query(`INSERT INTO important_data_decisions (dataset_id, version, level, reason, candidate_reasons, decided_by) VALUES ($1, $2, $3, $4, $5, $6)`, [
        d.datasetId,
        d.version,
        d.level,
        d.reason,
        JSON.stringify(d.candidateReasons),
        d.userId,
      ]),

    /** Up to `limit` non-empty values of one physical column, as text (any rows; examples only). */
    sampleValues: async (relation: string, physical: string, limit: number) =>
      (
        await db.query<{ v: string }>(`SELECT ${ident(physical)}::text AS v FROM ${ident(relation)} WHERE ${ident(physical)} IS NOT NULL LIMIT $1`, [limit])
      ).map((r) => r.v),

    /** The first rows of a dataset's view in row order, the given columns as text. */
    firstRows: async (relation: string, physicals: readonly string[], limit: number) =>
      (
        await db.query<{ v: (string | null)[] }>(
          `SELECT ARRAY[${physicals.map((p) => `${ident(p)}::text`).join(', ')}]::text[] AS v FROM ${ident(relation)} ORDER BY _row LIMIT $1`,
          [limit],
        )
      ).map((r) => r.v),

    policy: async () => (await db.query<{ value: unknown }>('SELECT value FROM settings WHERE key = $1', [POLICY_KEY]))[0]?.value,

    savePolicy: (value: unknown) =>
      db.query(
        `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [POLICY_KEY, JSON.stringify(value)],
      ),
  };
}

export type ReviewRepo = ReturnType<typeof reviewRepo>;
