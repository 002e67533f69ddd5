/** All SQL of the duties module (its own tables and its key in `settings`), with bound parameters only. */
import type { Queryable } from '../../db/index.ts';
import type { GrantColumn } from '../share/access/compile.ts';
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

export type ObjectionState = 'open' | 'accepted' | 'rejected' | 'escalated' | 'dismissed';

export interface ObjectionCell {
  row: number;
  column: string;
  /** The value the reader believes correct (null: the cell should be empty). */
  proposed: string | null;
}

export interface ObjectionRow {
  id: string;
  dataset_id: string;
  dataset_code: string;
  dataset_name: string;
  provider_org_id: string;
  raised_by: string;
  raised_org_id: string;
  cells: ObjectionCell[];
  evidence: string;
  state: ObjectionState;
  due_at: Date;
  answer: string | null;
  answered_by: string | null;
  answered_at: Date | null;
  correction_version: number | null;
  changes: { row: number; column: string; before: string | null; after: string | null; encrypted: boolean }[] | null;
  escalation_reason: string | null;
  escalated_at: Date | null;
  decided_by: string | null;
  decision_note: string | null;
  decided_at: Date | null;
  created_at: Date;
}

/** A file attached to an objection as evidence (the file itself is sealed in `data`). */
export interface AttachmentRow {
  objection_id: string;
  seq: number;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
}

export type ReturnFlowState = 'proposed' | 'active' | 'paused' | 'rejected';

export interface ReturnFlowRow {
  id: string;
  dataset_id: string;
  provider_org_id: string;
  region_column: string;
  region_kind: 'code' | 'name';
  columns: GrantColumn[];
  impact_assessment: string | null;
  purpose: string;
  state: ReturnFlowState;
  proposed_by: string;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  paused_by: string | null;
  paused_at: Date | null;
  pause_reason: string | null;
  created_at: Date;
  updated_at: Date;
  dataset_code: string;
  dataset_name: string;
  provider_name: string;
}

export type DemandState = 'open' | 'assigned' | 'answered' | 'accepted';
export type AnswerKind = 'linked' | 'registered' | 'declined';

/** One step of a demand, kept in its history. */
export interface DemandStep {
  step: 'publish' | 'assign' | 'answer' | 'accept' | 'reopen';
  at: string;
  by: string;
  orgId: string;
  note: string | null;
  /** The answer of an `answer` step (kept when the need is reopened). */
  answer?: { kind: AnswerKind; dataset: string | null };
}

export interface DemandRow {
  id: string;
  title: string;
  description: string;
  fields: string[];
  purpose: string;
  suggested_org_id: string | null;
  raised_by: string;
  raised_org_id: string;
  state: DemandState;
  assigned_org_id: string | null;
  due_at: Date | null;
  answer_kind: AnswerKind | null;
  answer_dataset_id: string | null;
  answer_text: string | null;
  answered_by: string | null;
  answered_at: Date | null;
  reopened: number;
  escalated_at: Date | null;
  history: DemandStep[];
  created_at: Date;
  updated_at: Date;
  raised_org_name: string;
  suggested_org_name: string | null;
  assigned_org_name: string | null;
  answer_dataset_code: string | null;
  answer_dataset_name: string | null;
}

/** One person's rating of a dataset (共享评价), 1-5 on each dimension. */
export interface RatingRow {
  dataset_id: string;
  user_id: string;
  org_id: string;
  quality: number;
  timeliness: number;
  usefulness: number;
  comment: string | null;
  created_at: Date;
  updated_at: Date;
  org_name: string;
}

/** The ratings of one dataset summed up: how many, and the mean of each dimension. */
export interface RatingSummaryRow {
  dataset_id: string;
  count: number;
  quality: number;
  timeliness: number;
  usefulness: number;
}

/**
 * The rows as duties' tables hold them: the names of organisations (identity's) and the code and name
 * of datasets (the catalogue's) are added by the services through those modules (names.ts).
 */
export type RatingFields = Omit<RatingRow, 'org_name'>;
export type ReturnFlowFields = Omit<ReturnFlowRow, 'dataset_code' | 'dataset_name' | 'provider_name'>;
export type DemandFields = Omit<DemandRow, 'raised_org_name' | 'suggested_org_name' | 'assigned_org_name' | 'answer_dataset_code' | 'answer_dataset_name'>;

const SELECT_RATING = `SELECT r.* FROM duty_ratings r`;

const SELECT_FLOW = `SELECT f.* FROM duty_return_flows f`;

const SELECT_DEMAND = `SELECT m.* FROM duty_demands m`;

/** States in which an objection's rows are flagged to readers. */
export const FLAGGING_STATES: ObjectionState[] = ['open', 'escalated'];

export function dutiesRepo(db: Queryable) {
  return {
    insertObjection: (
      o: Pick<
        ObjectionRow,
        'id' | 'dataset_id' | 'dataset_code' | 'dataset_name' | 'provider_org_id' | 'raised_by' | 'raised_org_id' | 'cells' | 'evidence' | 'due_at'
      >,
    ) =>
      db.query(
        `INSERT INTO duty_objections (id, dataset_id, dataset_code, dataset_name, provider_org_id, raised_by, raised_org_id, cells, evidence, state, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10)`,
        [o.id, o.dataset_id, o.dataset_code, o.dataset_name, o.provider_org_id, o.raised_by, o.raised_org_id, JSON.stringify(o.cells), o.evidence, o.due_at],
      ),
    objection: async (id: string) => (await db.query<ObjectionRow>('SELECT * FROM duty_objections WHERE id = $1', [id]))[0],
    /** Objections an organisation raised or must answer (or all, for the authority). */
    objections: (scope: { orgId: string; provider: boolean } | { all: true }, filter: { datasetId?: string; state?: string }, limit: number) =>
      db.query<ObjectionRow>(
        `SELECT * FROM duty_objections
          WHERE ($1::boolean OR raised_org_id = $2 OR ($3::boolean AND provider_org_id = $2))
            AND ($4::uuid IS NULL OR dataset_id = $4) AND ($5::text IS NULL OR state = $5)
          ORDER BY created_at DESC LIMIT $6`,
        ['all' in scope, 'all' in scope ? null : scope.orgId, 'all' in scope ? false : scope.provider, filter.datasetId ?? null, filter.state ?? null, limit],
      ),
    /** Moves an objection from one of `from` to a new state with the given fields; false if it was not in `from`. */
    async transition(
      id: string,
      from: ObjectionState[],
      to: ObjectionState,
      fields: Partial<
        Pick<
          ObjectionRow,
          | 'answer'
          | 'answered_by'
          | 'answered_at'
          | 'correction_version'
          | 'changes'
          | 'escalation_reason'
          | 'escalated_at'
          | 'decided_by'
          | 'decision_note'
          | 'decided_at'
          | 'due_at'
        >
      >,
    ) {
      const names = Object.keys(fields) as (keyof typeof fields)[];
      const sets = names.map((n, i) => `${n} = $${i + 4}`);
      const values = names.map((n) => (n === 'changes' ? JSON.stringify(fields[n]) : fields[n]));
      const rows = await db.query(`UPDATE duty_objections SET ${['state = $3', ...sets].join(', ')} WHERE id = $1 AND state = ANY($2::text[]) RETURNING id`, [
        id,
        from,
        to,
        ...values,
      ]);
      return rows.length > 0;
    },
    /** Evidence files of an objection, sealed by the caller (seq from 1). */
    insertAttachments: async (objectionId: string, files: { name: string; contentType: string; size: number; sha256: string; sealed: Buffer }[]) => {
      for (const [i, f] of files.entries()) {
        await db.query(
          `INSERT INTO duty_objection_attachments (objection_id, seq, name, content_type, size, sha256, data) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [objectionId, i + 1, f.name, f.contentType, f.size, f.sha256, f.sealed],
        );
      }
    },
    /** What is attached to each of the objections (without the files). */
    attachments: (objectionIds: string[]) =>
      db.query<AttachmentRow>(
        `SELECT objection_id, seq, name, content_type, size, sha256 FROM duty_objection_attachments WHERE objection_id = ANY($1::uuid[]) ORDER BY objection_id, seq`,
        [objectionIds],
      ),
    /** One attached file, still sealed. */
    attachment: async (objectionId: string, seq: number) =>
      (
        await db.query<AttachmentRow & { data: Buffer }>(
          `SELECT objection_id, seq, name, content_type, size, sha256, data FROM duty_objection_attachments WHERE objection_id = $1 AND seq = $2`,
          [objectionId, seq],
        )
      )[0],
    /** The cells under an open or escalated objection, each with when it was first objected to. */
    flaggedCells: (datasetId: string) =>
      db.query<{ row: string; column: string; since: Date }>(
        `SELECT (c->>'row')::bigint AS row, c->>'column' AS column, min(o.created_at) AS since FROM duty_objections o, jsonb_array_elements(o.cells) c
          WHERE o.dataset_id = $1 AND o.state = ANY($2::text[]) GROUP BY 1, 2 ORDER BY 1, 2`,
        [datasetId, FLAGGING_STATES],
      ),
    flaggedRows: async (datasetId: string) =>
      (
        await db.query<{ row: string }>(
          `SELECT DISTINCT (c->>'row')::bigint AS row FROM duty_objections o, jsonb_array_elements(o.cells) c
            WHERE o.dataset_id = $1 AND o.state = ANY($2::text[]) ORDER BY 1`,
          [datasetId, FLAGGING_STATES],
        )
      ).map((r) => Number(r.row)),
    objectionCounts: () =>
      db.query<{ dataset_id: string; dataset_code: string; dataset_name: string; provider_org_id: string; state: ObjectionState; overdue: boolean; n: number }>(
        `SELECT dataset_id, dataset_code, dataset_name, provider_org_id, state, (state = 'open' AND due_at < now()) AS overdue, count(*)::int AS n
           FROM duty_objections GROUP BY 1, 2, 3, 4, 5, 6`,
      ),

    // ---- return flow ------------------------------------------------------------------------------

    /** A proposal, or a new one over a proposed or rejected flow of the dataset; undefined when the flow is already approved. */
    proposeFlow: async (
      f: Pick<
        ReturnFlowRow,
        'id' | 'dataset_id' | 'provider_org_id' | 'region_column' | 'region_kind' | 'columns' | 'impact_assessment' | 'purpose' | 'proposed_by'
      >,
    ) =>
      (
        await db.query<{ id: string }>(
          `INSERT INTO duty_return_flows (id, dataset_id, provider_org_id, region_column, region_kind, columns, impact_assessment, purpose, state, proposed_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'proposed', $9)
           ON CONFLICT (dataset_id) DO UPDATE SET region_column = EXCLUDED.region_column, region_kind = EXCLUDED.region_kind, columns = EXCLUDED.columns,
             impact_assessment = EXCLUDED.impact_assessment, purpose = EXCLUDED.purpose, state = 'proposed', proposed_by = EXCLUDED.proposed_by,
             decided_by = NULL, decided_at = NULL, decision_note = NULL, updated_at = now()
           WHERE duty_return_flows.state IN ('proposed', 'rejected')
           RETURNING id`,
          [f.id, f.dataset_id, f.provider_org_id, f.region_column, f.region_kind, JSON.stringify(f.columns), f.impact_assessment, f.purpose, f.proposed_by],
        )
      )[0]?.id,
    flow: async (id: string) => (await db.query<ReturnFlowFields>(`${SELECT_FLOW} WHERE f.id = $1`, [id]))[0],
    /** Flows of one provider organisation, or all (undefined). */
    flows: (providerOrgId: string | undefined, states: ReturnFlowState[] | null = null) =>
      db.query<ReturnFlowFields>(
        `${SELECT_FLOW} WHERE ($1::uuid IS NULL OR f.provider_org_id = $1) AND ($2::text[] IS NULL OR f.state = ANY($2::text[])) ORDER BY f.created_at DESC`,
        [providerOrgId ?? null, states],
      ),
    /** Moves a flow from one of `from` to `to`; false if it was not in `from`. */
    async moveFlow(id: string, from: ReturnFlowState[], to: ReturnFlowState, by: string, note: string | null) {
      const decided = to === 'active' && from.includes('proposed');
      const rows = await db.query(
        `UPDATE duty_return_flows SET state = $3, updated_at = now(),
           decided_by = CASE WHEN $5 OR $3 = 'rejected' THEN $4 ELSE decided_by END,
           decided_at = CASE WHEN $5 OR $3 = 'rejected' THEN now() ELSE decided_at END,
           decision_note = CASE WHEN $5 OR $3 = 'rejected' THEN $6 ELSE decision_note END,
           paused_by = CASE WHEN $3 = 'paused' THEN $4 WHEN $3 = 'active' THEN NULL ELSE paused_by END,
           paused_at = CASE WHEN $3 = 'paused' THEN now() WHEN $3 = 'active' THEN NULL ELSE paused_at END,
           pause_reason = CASE WHEN $3 = 'paused' THEN $6 WHEN $3 = 'active' THEN NULL ELSE pause_reason END
         WHERE id = $1 AND state = ANY($2::text[]) RETURNING id`,
        [id, from, to, by, decided, note],
      );
      return rows.length > 0;
    },

    // ---- demand lists -----------------------------------------------------------------------------

    insertDemand: (
      m: Pick<DemandRow, 'id' | 'title' | 'description' | 'fields' | 'purpose' | 'suggested_org_id' | 'raised_by' | 'raised_org_id' | 'history'>,
    ) =>
      db.query(
        `INSERT INTO duty_demands (id, title, description, fields, purpose, suggested_org_id, raised_by, raised_org_id, state, history)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9)`,
        [m.id, m.title, m.description, m.fields, m.purpose, m.suggested_org_id, m.raised_by, m.raised_org_id, JSON.stringify(m.history)],
      ),
    demand: async (id: string) => (await db.query<DemandFields>(`${SELECT_DEMAND} WHERE m.id = $1`, [id]))[0],
    demands: (filter: { state?: DemandState }, limit: number) =>
      db.query<DemandFields>(`${SELECT_DEMAND} WHERE ($1::text IS NULL OR m.state = $1) ORDER BY m.created_at DESC LIMIT $2`, [filter.state ?? null, limit]),
    /** Moves a demand from one of `from` to `to` with the given fields and one more history step; false if it was not in `from`. */
    async moveDemand(
      id: string,
      from: DemandState[],
      to: DemandState,
      step: DemandStep,
      fields: Partial<
        Pick<
          DemandRow,
          'assigned_org_id' | 'due_at' | 'answer_kind' | 'answer_dataset_id' | 'answer_text' | 'answered_by' | 'answered_at' | 'reopened' | 'escalated_at'
        >
      >,
    ) {
      const names = Object.keys(fields) as (keyof typeof fields)[];
      const sets = names.map((n, i) => `${n} = $${i + 5}`);
      const rows = await db.query(
        `UPDATE duty_demands SET ${['state = $3', 'history = history || $4::jsonb', 'updated_at = now()', ...sets].join(', ')}
          WHERE id = $1 AND state = ANY($2::text[]) RETURNING id`,
        [id, from, to, JSON.stringify([step]), ...names.map((n) => fields[n])],
      );
      return rows.length > 0;
    },

    /** Assigned needs past their answer deadline and not yet escalated. */
    overdueDemands: (at: Date) =>
      db.query<DemandFields>(`${SELECT_DEMAND} WHERE m.state = 'assigned' AND m.escalated_at IS NULL AND m.due_at < $1 ORDER BY m.due_at`, [at]),
    /** Claims the escalation of an overdue need (once, across processes). */
    claimDemandEscalation: async (id: string, at: Date) =>
      (await db.query(`UPDATE duty_demands SET escalated_at = $2 WHERE id = $1 AND state = 'assigned' AND escalated_at IS NULL RETURNING id`, [id, at]))
        .length > 0,

    // ---- ratings and upkeep (目录挂接与共享评价) ------------------------------------------------------

    rating: async (datasetId: string, userId: string) =>
      (await db.query<RatingFields>(`${SELECT_RATING} WHERE r.dataset_id = $1 AND r.user_id = $2`, [datasetId, userId]))[0],
    /** Rates, or replaces the person's earlier rating of the dataset. */
    saveRating: (r: Pick<RatingRow, 'dataset_id' | 'user_id' | 'org_id' | 'quality' | 'timeliness' | 'usefulness' | 'comment'>) =>
      db.query(
        `INSERT INTO duty_ratings (dataset_id, user_id, org_id, quality, timeliness, usefulness, comment) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (dataset_id, user_id) DO UPDATE SET org_id = EXCLUDED.org_id, quality = EXCLUDED.quality, timeliness = EXCLUDED.timeliness,
           usefulness = EXCLUDED.usefulness, comment = EXCLUDED.comment, updated_at = now()`,
        [r.dataset_id, r.user_id, r.org_id, r.quality, r.timeliness, r.usefulness, r.comment],
      ),
    ratings: (datasetId: string) => db.query<RatingFields>(`${SELECT_RATING} WHERE r.dataset_id = $1 ORDER BY r.updated_at DESC`, [datasetId]),
    /** Count and means per dataset, of the given datasets (null: every rated dataset). */
    ratingSummaries: async (datasetIds: string[] | null) =>
      (
        await db.query<{ dataset_id: string; count: number; quality: string; timeliness: string; usefulness: string }>(
          `SELECT dataset_id, count(*)::int AS count, avg(quality) AS quality, avg(timeliness) AS timeliness, avg(usefulness) AS usefulness
             FROM duty_ratings WHERE ($1::uuid[] IS NULL OR dataset_id = ANY($1::uuid[])) GROUP BY dataset_id`,
          [datasetIds],
        )
      ).map((r): RatingSummaryRow => ({
        dataset_id: r.dataset_id,
        count: r.count,
        quality: Number(r.quality),
        timeliness: Number(r.timeliness),
        usefulness: Number(r.usefulness),
      })),

    /** Claims the reminder of an overdue catalogue entry for one overdue period (once, across processes). */
    claimUpkeepReminder: async (datasetId: string, periodStart: Date, dueAt: Date, at: Date) =>
      (
        await db.query(
          `INSERT INTO duty_upkeep_reminders (dataset_id, period_start, due_at, reminded_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING dataset_id`,
          [datasetId, periodStart, dueAt, at],
        )
      ).length > 0,

    /**
     * Objections per provider department judged for timeliness at `at`: answered by their deadline, or
     * answered after it (or escalated unanswered, or still open past it). Open ones within their
     * deadline are not judged yet; an upheld objection is judged on its new deadline.
     */
    objectionTimeliness: (at: Date) =>
      db.query<{ provider_org_id: string; on_time: number; late: number }>(
        `SELECT provider_org_id,
                count(*) FILTER (WHERE state <> 'open' AND answered_at IS NOT NULL AND answered_at <= due_at)::int AS on_time,
                count(*) FILTER (WHERE (state <> 'open' AND (answered_at IS NULL OR answered_at > due_at)) OR (state = 'open' AND due_at <= $1))::int AS late
           FROM duty_objections GROUP BY provider_org_id`,
        [at],
      ),

    settings: async () => (await db.query<{ value: unknown }>('SELECT value FROM settings WHERE key = $1', [SETTINGS_KEY]))[0]?.value,
    saveSettings: (value: unknown) =>
      db.query(
        `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [SETTINGS_KEY, JSON.stringify(value)],
      ),

    clocks: (requestIds: string[]) =>
      requestIds.length === 0
        ? Promise.resolve([] as ClockRow[])
        : db.query<ClockRow>('SELECT * FROM duty_request_clocks WHERE request_id = ANY($1::uuid[])', [requestIds]),

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
      (
        await db.query('UPDATE duty_request_clocks SET reminded_at = $3 WHERE request_id = $1 AND stage = $2 AND reminded_at IS NULL RETURNING request_id', [
          requestId,
          stage,
          at,
        ])
      ).length > 0,

    /** Claims the escalation of an overdue stage (once, across processes). */
    claimEscalation: async (requestId: string, stage: Stage, at: Date) =>
      (
        await db.query('UPDATE duty_request_clocks SET escalated_at = $3 WHERE request_id = $1 AND stage = $2 AND escalated_at IS NULL RETURNING request_id', [
          requestId,
          stage,
          at,
        ])
      ).length > 0,
  };
}

export type DutiesRepo = ReturnType<typeof dutiesRepo>;
