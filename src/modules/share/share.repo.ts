/** All SQL of the sharing module, with bound parameters only. */
import type { Queryable } from '../../db/index.ts';
import { maybeOne } from '../../db/index.ts';
import { columnsJsonForAccessContext, datasetForAccessContext, type ColumnRow, type DatasetRow } from '../catalog/catalog.service.ts';
import { containmentsJsonForAccessContext } from '../secops/secops.service.ts';
import { dataKeysJsonForAccessContext, type StoredDataKey } from '../protect/keyring.ts';
import type { FilterNode } from './filter.ts';
import type { GrantColumn } from './access/compile.ts';
import { GRANT_LIVE_SQL } from './access/grant.ts';
import type { ServiceTerms } from './operations.ts';
import type { SeriesTerms } from './series.ts';

export type RequestState = 'submitted' | 'provider_approved' | 'active' | 'rejected' | 'expired' | 'revoked' | 'withdrawn';

/** What the provider decided: the grant to be made once every approval is in. */
export interface GrantTerms {
  columns: GrantColumn[];
  rowFilter: FilterNode | null;
  endDate: string;
  rowsPerDay: number | null;
  requestsPerMinute: number | null;
  ipRanges: string[];
  impactAssessment: string | null;
  /** Telemetry sets only: resolution, window, devices. */
  series?: SeriesTerms | null;
  /** Interfaces only: the operations granted. */
  service?: ServiceTerms | null;
}

export interface RequestRow {
  id: string;
  dataset_id: string;
  consumer_org_id: string;
  requested_by: string;
  columns: string[];
  purpose: string;
  purpose_category: string;
  legal_basis: string;
  end_date: string;
  expected_rows_per_day: number | null;
  requested_filter: FilterNode | null;
  /** Telemetry sets only: the resolution, window and devices asked for. */
  series_terms: SeriesTerms | null;
  /** Interfaces only: the operations asked for. */
  service_terms: ServiceTerms | null;
  state: RequestState;
  needs_security: boolean;
  terms: GrantTerms | null;
  provider_decided_by: string | null;
  provider_decided_at: Date | null;
  provider_note: string | null;
  security_decided_by: string | null;
  security_decided_at: Date | null;
  security_note: string | null;
  grant_id: string | null;
  /** Withdrawn by the requester (撤回): when, and the reason given. */
  withdrawn_at: Date | null;
  withdraw_reason: string | null;
  /** A renewal (续期): the grant it asks to continue. */
  renews_grant_id: string | null;
  created_at: Date;
  updated_at: Date;
  // For approvers: who asks, for what (the names of organisations and people added by the service).
  dataset_code: string;
  dataset_name: string;
  provider_org_id: string;
  provider_name: string;
  consumer_name: string;
  requester_username: string;
  requester_name: string;
  grant_state: 'active' | 'revoked' | null;
  grant_expires_at: Date | null;
  /** Who decided (for the 审批单). */
  provider_decider_name: string | null;
  provider_decider_username: string | null;
  security_decider_name: string | null;
  security_decider_username: string | null;
}

/** The fields of a request that name organisations and people (identity's names, added by the service). */
export type RequestNames =
  | 'provider_name'
  | 'consumer_name'
  | 'requester_username'
  | 'requester_name'
  | 'provider_decider_name'
  | 'provider_decider_username'
  | 'security_decider_name'
  | 'security_decider_username';
/** A request as this repository reads it, before the names. */
export type StoredRequestRow = Omit<RequestRow, RequestNames>;

export interface GrantRow {
  id: string;
  dataset_id: string;
  consumer_org_id: string;
  request_id: string | null;
  automatic: boolean;
  columns: GrantColumn[];
  row_filter: FilterNode | null;
  purpose: string;
  purpose_category: string;
  legal_basis: string;
  rows_per_day: number | null;
  requests_per_minute: number | null;
  ip_ranges: string[];
  impact_assessment: string | null;
  series_terms: SeriesTerms | null;
  service_terms: ServiceTerms | null;
  expires_at: Date | null;
  state: 'active' | 'revoked';
  revoked_at: Date | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  /** The return flow (数据回流) that made this grant, if any. */
  return_flow_id: string | null;
  /** Set while the grant is suspended (a paused return flow): it reads nothing until resumed. */
  suspended_at: Date | null;
  /** Made by a renewal: the grant it continues. */
  renews_grant_id: string | null;
  /** Continued by a renewal's grant (this one ended when that one started). */
  superseded_by: string | null;
  created_at: Date;
  dataset_code: string;
  dataset_name: string;
  provider_org_id: string;
  consumer_name: string;
}

/** A grant as this repository reads it, before the consumer's name. */
export type StoredGrantRow = Omit<GrantRow, 'consumer_name'>;

/** A grant as the read path sees it (JSON from one round trip; dates as text). */
export interface AccessGrant {
  id: string;
  automatic: boolean;
  columns: GrantColumn[];
  row_filter: FilterNode | null;
  purpose: string;
  rows_per_day: number | null;
  requests_per_minute: number | null;
  ip_ranges: string[];
  series_terms: SeriesTerms | null;
  service_terms: ServiceTerms | null;
  state: 'active' | 'revoked';
  /** Past its end (judged when the context is used: a kept context outlives the instant it was read). */
  expired: boolean;
  expires_at: string | null;
  /** Suspended (a paused return flow): refused until resumed. */
  suspended: boolean;
}

/** A containment by security operations in force now that can apply to a request (secops_containments). */
export interface AccessContainment {
  id: string;
  kind: 'suspend_grant' | 'freeze_dataset' | 'suspend_key' | 'throttle_key';
  target_id: string;
  /** The end of a timed containment (null: until lifted). */
  until: string | null;
}

/** Everything the read path needs about a dataset and the caller's grants, read in one query. */
export interface AccessContext {
  dataset: Pick<DatasetRow, 'id' | 'code' | 'name' | 'relation' | 'status' | 'share_type' | 'provider_org_id' | 'important_candidate' | 'resource_kind'>;
  columns: ColumnRow[];
  grants: AccessGrant[];
  /**
   * Containments in force on the dataset, on any of the organisation's grants of it, or on the
   * caller's API key, oldest first: read in the same statement as the grants, so a request costs one
   * round trip less and sees the grant and its containment in one snapshot.
   */
  containments: AccessContainment[];
  /** The dataset's wrapped data keys (Keyring.keysFromRows unwraps them; empty before the first key). */
  dataKeys: AccessDataKey[];
  /**
   * The access revisions of the dataset and the caller's key (migration 0040), read in the same
   * snapshot: a kept context is current while `accessRevision` of the same scopes still returns it.
   */
  revision: number;
  scopes: string[];
}

/** The scopes whose access revisions a read of a dataset by an organisation's key depends on. */
export function accessScopes(datasetId: string, apiKeyId?: string): string[] {
  return apiKeyId ? [datasetId, `key:${apiKeyId}`] : [datasetId];
}

/** A data_keys row as the read path needs it (the key stays wrapped under the master key). */
export type AccessDataKey = StoredDataKey;

// Names of organisations and people are identity's: the service adds them (RequestNames, GrantNames).
const SELECT_REQUEST = `
  SELECT r.*, to_char(r.end_date, 'YYYY-MM-DD') AS end_date,
         d.code AS dataset_code, d.name AS dataset_name, d.provider_org_id,
         g.state AS grant_state, g.expires_at AS grant_expires_at
    FROM share_requests r
    JOIN datasets d ON d.id = r.dataset_id
    LEFT JOIN share_grants g ON g.id = r.grant_id`;

const SELECT_GRANT = `
  SELECT g.*, d.code AS dataset_code, d.name AS dataset_name, d.provider_org_id
    FROM share_grants g
    JOIN datasets d ON d.id = g.dataset_id`;

/** Who sees a list: a consumer organisation, a provider organisation, or everything (secadmin). */
export interface Scope {
  consumerOrgId?: string;
  providerOrgId?: string;
  all?: boolean;
}

function scopeWhere(scope: Scope, params: unknown[], alias: 'r' | 'g'): string {
  if (scope.all) return 'TRUE';
  const parts: string[] = [];
  if (scope.consumerOrgId) {
    params.push(scope.consumerOrgId);
    parts.push(`${alias}.consumer_org_id = $${params.length}`);
  }
  if (scope.providerOrgId) {
    params.push(scope.providerOrgId);
    parts.push(`d.provider_org_id = $${params.length}`);
  }
  return parts.length ? `(${parts.join(' OR ')})` : 'FALSE';
}

/**
 * The parts of the access context other modules own, each written in its owner's repository and
 * named for this statement: the catalogue's dataset and 信息项, protection's wrapped data keys and
 * security operations' containments in force. Joined here so the records path stays one round trip
 * per request.
 */
const DATASET = datasetForAccessContext('$1');
const COLUMNS = columnsJsonForAccessContext('d.id');
const DATA_KEYS = dataKeysJsonForAccessContext('d.id');
const CONTAINMENTS = containmentsJsonForAccessContext({
  grantIds: 'SELECT id::text FROM share_grants WHERE dataset_id = d.id AND consumer_org_id = $2',
  datasetId: 'd.id::text',
  apiKeyId: '$3::text',
});

export function shareRepo(db: Queryable) {
  return {
    insertRequest: (r: {
      id: string;
      datasetId: string;
      consumerOrgId: string;
      requestedBy: string;
      columns: string[];
      purpose: string;
      purposeCategory: string;
      legalBasis: string;
      endDate: string;
      expectedRowsPerDay: number | null;
      requestedFilter: FilterNode | null;
      needsSecurity: boolean;
      seriesTerms?: SeriesTerms | null;
      serviceTerms?: ServiceTerms | null;
      renewsGrantId?: string | null;
      /** Demo only: a request submitted earlier than now (the demo world's overdue request). */
      createdAt?: Date | null;
    }) =>
      db.query(
        `INSERT INTO share_requests (id, dataset_id, consumer_org_id, requested_by, columns, purpose, purpose_category, legal_basis,
           end_date, expected_rows_per_day, requested_filter, needs_security, series_terms, service_terms, renews_grant_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, COALESCE($16::timestamptz, now()))`,
        [
          r.id,
          r.datasetId,
          r.consumerOrgId,
          r.requestedBy,
          r.columns,
          r.purpose,
          r.purposeCategory,
          r.legalBasis,
          r.endDate,
          r.expectedRowsPerDay,
          r.requestedFilter === null ? null : JSON.stringify(r.requestedFilter),
          r.needsSecurity,
          r.seriesTerms ? JSON.stringify(r.seriesTerms) : null,
          r.serviceTerms ? JSON.stringify(r.serviceTerms) : null,
          r.renewsGrantId ?? null,
          r.createdAt ?? null,
        ],
      ),

    /** The renewal of a grant awaiting a decision, if any. */
    openRenewal: (grantId: string) =>
      maybeOne<{ id: string }>(db, `SELECT id FROM share_requests WHERE renews_grant_id = $1 AND state IN ('submitted', 'provider_approved')`, [grantId]),

    /** The requester withdraws (inside the transition's lock). */
    withdraw: (id: string, reason: string | null) =>
      db.query(`UPDATE share_requests SET state = 'withdrawn', withdrawn_at = now(), withdraw_reason = $2, updated_at = now() WHERE id = $1`, [id, reason]),

    /** A renewal's grant takes over: the old one ends now (if it had not ended already) and points at the new. */
    supersedeGrant: (oldId: string, newId: string) =>
      db.query(
        `UPDATE share_grants SET superseded_by = $2, expires_at = CASE WHEN ${GRANT_LIVE_SQL()} THEN now() ELSE expires_at END
          WHERE id = $1 AND superseded_by IS NULL`,
        [oldId, newId],
      ),

    request: (id: string) => maybeOne<StoredRequestRow>(db, `${SELECT_REQUEST} WHERE r.id = $1`, [id]),

    /** Locks a request row for a state change (inside a transaction). */
    lockRequest: (id: string) => maybeOne<{ state: RequestState }>(db, 'SELECT state FROM share_requests WHERE id = $1 FOR UPDATE', [id]),

    requests(scope: Scope, filter: { state?: string; datasetId?: string }, limit: number) {
      const params: unknown[] = [];
      const where = [scopeWhere(scope, params, 'r')];
      if (filter.state) {
        params.push(filter.state);
        where.push(`r.state = $${params.length}`);
      }
      if (filter.datasetId) {
        params.push(filter.datasetId);
        where.push(`r.dataset_id = $${params.length}`);
      }
      params.push(limit);
      return db.query<StoredRequestRow>(`${SELECT_REQUEST} WHERE ${where.join(' AND ')} ORDER BY r.created_at DESC LIMIT $${params.length}`, params);
    },

    allRequests: (states: RequestState[] | null, limit: number) =>
      db.query<StoredRequestRow>(`${SELECT_REQUEST} WHERE ($1::text[] IS NULL OR r.state = ANY($1::text[])) ORDER BY r.created_at LIMIT $2`, [states, limit]),

    async sharedBefore(rows: { id: string; dataset_id: string; consumer_org_id: string; created_at: Date }[]): Promise<Set<string>> {
      if (rows.length === 0) return new Set();
      const found = await db.query<{ id: string }>(
        `SELECT r.id FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[]) AS r(id, dataset_id, consumer_org_id, created_at)
          WHERE EXISTS (SELECT 1 FROM share_grants g WHERE g.dataset_id = r.dataset_id AND g.consumer_org_id <> r.consumer_org_id
                          AND g.created_at < r.created_at AND (g.revoked_at IS NULL OR g.revoked_at > r.created_at))`,
        [rows.map((r) => r.id), rows.map((r) => r.dataset_id), rows.map((r) => r.consumer_org_id), rows.map((r) => new Date(r.created_at).toISOString())],
      );
      return new Set(found.map((r) => r.id));
    },

    /** Whether the organisation holds or ever held a grant on the dataset (active, expired, revoked or suspended). */
    heldGrant: async (datasetId: string, orgId: string) =>
      (await db.query('SELECT 1 FROM share_grants WHERE dataset_id = $1 AND consumer_org_id = $2 LIMIT 1', [datasetId, orgId])).length > 0,

    grantHolders: async (datasetId: string) =>
      (
        await db.query<{ consumer_org_id: string }>(
          `SELECT DISTINCT consumer_org_id FROM share_grants WHERE dataset_id = $1 AND state = 'active' AND ${GRANT_LIVE_SQL()}`,
          [datasetId],
        )
      ).map((r) => r.consumer_org_id),

    // ---- the 工作台's to-do counts (overview) ----
    /** Requests waiting for the providing organisation's answer. */
    approvalsAwaiting: async (providerOrgId: string) =>
      (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM share_requests r JOIN datasets d ON d.id = r.dataset_id WHERE r.state = 'submitted' AND d.provider_org_id = $1`,
          [providerOrgId],
        )
      )[0]?.n ?? 0,
    /** Requests approved by their provider and waiting for the security administrator. */
    securityReviewsAwaiting: async () =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM share_requests WHERE state = 'provider_approved'`))[0]?.n ?? 0,
    /** Active grants that have not ended and end within `days`, of the organisation as consumer or as provider. */
    grantsEnding: async (orgId: string, side: 'consumer' | 'provider', days: number) =>
      (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM share_grants g JOIN datasets d ON d.id = g.dataset_id
            WHERE g.state = 'active' AND ${GRANT_LIVE_SQL('g')} AND g.expires_at <= now() + make_interval(days => $3)
              AND (CASE WHEN $2 = 'consumer' THEN g.consumer_org_id ELSE d.provider_org_id END) = $1`,
          [orgId, side, days],
        )
      )[0]?.n ?? 0,

    providerDecision: (id: string, d: { state: RequestState; terms: GrantTerms | null; by: string; note: string | null }) =>
      db.query(
        `UPDATE share_requests SET state = $2, terms = $3, provider_decided_by = $4, provider_decided_at = now(), provider_note = $5, updated_at = now() WHERE id = $1`,
        [id, d.state, d.terms === null ? null : JSON.stringify(d.terms), d.by, d.note],
      ),

    securityDecision: (id: string, d: { state: RequestState; by: string; note: string | null }) =>
      db.query(
        `UPDATE share_requests SET state = $2, security_decided_by = $3, security_decided_at = now(), security_note = $4, updated_at = now() WHERE id = $1`,
        [id, d.state, d.by, d.note],
      ),

    setRequestState: (id: string, state: RequestState, grantId?: string) =>
      db.query('UPDATE share_requests SET state = $2, grant_id = COALESCE($3, grant_id), updated_at = now() WHERE id = $1', [id, state, grantId ?? null]),

    insertGrant: (g: {
      id: string;
      datasetId: string;
      consumerOrgId: string;
      requestId: string | null;
      automatic: boolean;
      columns: GrantColumn[];
      rowFilter: FilterNode | null;
      purpose: string;
      purposeCategory: string;
      legalBasis: string;
      rowsPerDay: number | null;
      requestsPerMinute: number | null;
      ipRanges: string[];
      impactAssessment: string | null;
      expiresAt: Date | null;
      seriesTerms?: SeriesTerms | null;
      serviceTerms?: ServiceTerms | null;
      returnFlowId?: string | null;
      renewsGrantId?: string | null;
    }) =>
      db.query<{ id: string }>(
        `INSERT INTO share_grants (id, dataset_id, consumer_org_id, request_id, automatic, columns, row_filter, purpose, purpose_category, legal_basis,
           rows_per_day, requests_per_minute, ip_ranges, impact_assessment, expires_at, series_terms, service_terms, return_flow_id, renews_grant_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
         ON CONFLICT DO NOTHING RETURNING id`,
        [
          g.id,
          g.datasetId,
          g.consumerOrgId,
          g.requestId,
          g.automatic,
          JSON.stringify(g.columns),
          g.rowFilter === null ? null : JSON.stringify(g.rowFilter),
          g.purpose,
          g.purposeCategory,
          g.legalBasis,
          g.rowsPerDay,
          g.requestsPerMinute,
          g.ipRanges,
          g.impactAssessment,
          g.expiresAt,
          g.seriesTerms ? JSON.stringify(g.seriesTerms) : null,
          g.serviceTerms ? JSON.stringify(g.serviceTerms) : null,
          g.returnFlowId ?? null,
          g.renewsGrantId ?? null,
        ],
      ),

    grant: (id: string) => maybeOne<StoredGrantRow>(db, `${SELECT_GRANT} WHERE g.id = $1`, [id]),

    grants(scope: Scope, filter: { datasetId?: string }, limit: number) {
      const params: unknown[] = [];
      const where = [scopeWhere(scope, params, 'g')];
      if (filter.datasetId) {
        params.push(filter.datasetId);
        where.push(`g.dataset_id = $${params.length}`);
      }
      params.push(limit);
      return db.query<StoredGrantRow>(`${SELECT_GRANT} WHERE ${where.join(' AND ')} ORDER BY g.created_at DESC LIMIT $${params.length}`, params);
    },

    /** The grants a return flow made, one per organisation (the service orders them by the organisations' region codes and names). */
    flowGrants: (flowId: string) => db.query<StoredGrantRow>(`${SELECT_GRANT} WHERE g.return_flow_id = $1`, [flowId]),

    /** Suspends (pause) or resumes every grant of a return flow; returns how many changed. */
    suspendFlowGrants: async (flowId: string, suspend: boolean) =>
      (
        await db.query(
          `UPDATE share_grants SET suspended_at = CASE WHEN $2 THEN now() END
            WHERE return_flow_id = $1 AND state = 'active' AND (suspended_at IS NULL) = $2 RETURNING id`,
          [flowId, suspend],
        )
      ).length,

    revokeGrant: (id: string, by: string, reason: string) =>
      db.query<{ id: string; request_id: string | null }>(
        `UPDATE share_grants SET state = 'revoked', revoked_at = now(), revoked_by = $2, revoke_reason = $3 WHERE id = $1 AND state = 'active' RETURNING id, request_id`,
        [id, by, reason],
      ),

    /**
     * The dataset, its columns and the caller organisation's most recent grants in one round trip:
     * the read path checks grant state in the database on every request (revocation on every process).
     */
    async accessContext(code: string, consumerOrgId: string, apiKeyId?: string): Promise<AccessContext | undefined> {
      const row = await maybeOne<{
        dataset: AccessContext['dataset'];
        columns: ColumnRow[] | null;
        grants: AccessGrant[] | null;
        containments: AccessContainment[] | null;
        data_keys: (Omit<AccessDataKey, 'wrapped_key'> & { wrapped_key: string })[] | null;
        revision: string;
      }>(
        db,
        `SELECT d.dataset,
                ${COLUMNS} AS columns,
                (SELECT json_agg(json_build_object('id', g.id, 'automatic', g.automatic, 'columns', g.columns, 'row_filter', g.row_filter,
                          'purpose', g.purpose, 'rows_per_day', g.rows_per_day, 'requests_per_minute', g.requests_per_minute, 'ip_ranges', g.ip_ranges,
                          'series_terms', g.series_terms, 'service_terms', g.service_terms, 'state', g.state, 'expires_at', g.expires_at,
                          'suspended', g.suspended_at IS NOT NULL) ORDER BY g.created_at DESC)
                   FROM (SELECT * FROM share_grants WHERE dataset_id = d.id AND consumer_org_id = $2 ORDER BY created_at DESC LIMIT 50) g) AS grants,
                ${CONTAINMENTS} AS containments,
                ${DATA_KEYS} AS data_keys,
                (SELECT coalesce(sum(rev), 0) FROM access_revisions WHERE scope IN (d.id::text, 'key:' || $3::text)) AS revision
           FROM ${DATASET} d`,
        [code, consumerOrgId, apiKeyId ?? null],
      );
      if (!row) return undefined;
      return {
        dataset: row.dataset,
        columns: row.columns ?? [],
        grants: row.grants ?? [],
        containments: row.containments ?? [],
        dataKeys: (row.data_keys ?? []).map((k) => ({ ...k, wrapped_key: Buffer.from(k.wrapped_key, 'base64') })),
        revision: Number(row.revision),
        scopes: accessScopes(row.dataset.id, apiKeyId),
      };
    },

    /** The current sum of the access revisions of `scopes` (see AccessContext.revision). */
    async accessRevision(scopes: string[]): Promise<number> {
      const rows = await db.query<{ revision: string }>('SELECT coalesce(sum(rev), 0) AS revision FROM access_revisions WHERE scope = ANY($1::text[])', [
        scopes,
      ]);
      return Number(rows[0]!.revision);
    },

    /**
     * Adds `amount` to a usage counter and returns the new total; one statement, so every process
     * on the database counts against the same number.
     */
    async addUsage(grantId: string, kind: 'requests' | 'rows' | 'verify', windowStart: Date, amount: number): Promise<number> {
      const rows = await db.query<{ used: number }>(
        `INSERT INTO share_usage (grant_id, kind, window_start, used) VALUES ($1, $2, $3, $4)
         ON CONFLICT (grant_id, kind, window_start) DO UPDATE SET used = share_usage.used + EXCLUDED.used RETURNING used`,
        [grantId, kind, windowStart, amount],
      );
      return Number(rows[0]!.used);
    },

    /** Adds to several windows of one grant in one statement; the used amount per kind. */
    async addUsages(grantId: string, items: { kind: 'requests' | 'rows' | 'verify'; windowStart: Date; amount: number }[]): Promise<Map<string, number>> {
      const rows = await db.query<{ kind: string; used: number }>(
        `INSERT INTO share_usage (grant_id, kind, window_start, used)
         SELECT $1, k, w, a FROM unnest($2::text[], $3::timestamptz[], $4::bigint[]) AS t(k, w, a)
         ON CONFLICT (grant_id, kind, window_start) DO UPDATE SET used = share_usage.used + EXCLUDED.used RETURNING kind, used`,
        [grantId, items.map((i) => i.kind), items.map((i) => i.windowStart), items.map((i) => i.amount)],
      );
      return new Map(rows.map((r) => [r.kind, Number(r.used)]));
    },

    // ---- exports -------------------------------------------------------------------------------

    insertExport: (e: {
      id: string;
      grantId: string;
      datasetId: string;
      consumerOrgId: string;
      requestedBy: string;
      apiKeyId: string | null;
      format: string;
      query: unknown;
      tokenHash: string;
      expiresAt: Date;
    }) =>
      db.query(
        `INSERT INTO share_exports (id, grant_id, dataset_id, consumer_org_id, requested_by, api_key_id, format, query, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [e.id, e.grantId, e.datasetId, e.consumerOrgId, e.requestedBy, e.apiKeyId, e.format, JSON.stringify(e.query), e.tokenHash, e.expiresAt],
      ),
    setExportJob: (id: string, jobId: string) => db.query('UPDATE share_exports SET job_id = $2 WHERE id = $1', [id, jobId]),
    exportById: (id: string) =>
      maybeOne<{
        id: string;
        grant_id: string;
        dataset_id: string;
        consumer_org_id: string;
        requested_by: string;
        api_key_id: string | null;
        format: 'csv' | 'ndjson';
        query: Record<string, unknown>;
        job_id: string | null;
        state: 'queued' | 'ready' | 'failed';
        row_count: number | null;
        bytes: number | null;
        token_hash: string;
        expires_at: Date;
        created_at: Date;
        dataset_code: string;
      }>(db, 'SELECT e.*, d.code AS dataset_code FROM share_exports e JOIN datasets d ON d.id = e.dataset_id WHERE e.id = $1', [id]),
    addExportChunk: (id: string, seq: number, data: Buffer) =>
      db.query('INSERT INTO share_export_chunks (export_id, seq, data) VALUES ($1, $2, $3)', [id, seq, data]),
    clearExportChunks: (id: string) => db.query('DELETE FROM share_export_chunks WHERE export_id = $1', [id]),
    finishExport: (id: string, state: 'ready' | 'failed', rows: number, bytes: number) =>
      db.query('UPDATE share_exports SET state = $2, row_count = $3, bytes = $4 WHERE id = $1', [id, state, rows, bytes]),
    exportChunk: (id: string, seq: number) =>
      maybeOne<{ data: Buffer }>(db, 'SELECT data FROM share_export_chunks WHERE export_id = $1 AND seq = $2', [id, seq]),
  };
}

export type ShareRepo = ReturnType<typeof shareRepo>;
