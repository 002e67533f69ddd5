/** All SQL of security operations; every value a bound parameter. */
import type { Queryable } from '../../db/index.ts';
import type { Message } from '../../errors.ts';
import type { ContainmentKind, Severity } from './secops.settings.ts';
import type { TimelineCode, TimelineEntry } from './timeline.ts';

/** Names of what an alert is about, as they stood when it was raised (the console shows these, not ids). */
export interface AlertNames {
  /** The API key's name or the person's display name. */
  actor?: string;
  actorKind?: 'key' | 'user';
  org?: string;
  dataset?: string;
}

export interface AlertRow {
  id: string;
  detector: string;
  subject: string;
  severity: Severity;
  state: 'open' | 'acknowledged' | 'closed';
  title: Message;
  summary: Message;
  facts: Record<string, unknown>;
  evidence: number[];
  hits: number;
  dataset: string | null;
  org_id: string | null;
  incident_id: string | null;
  names: AlertNames;
  first_seen: Date;
  last_seen: Date;
  updated_at: Date;
}

/** Until `real_end`, the key's records from `real_start` on are judged as if at `replay_start` plus the time passed since. */
export interface ReplayClockRow {
  api_key_id: string;
  real_start: Date;
  real_end: Date;
  replay_start: Date;
}

export interface ContainmentRow {
  id: string;
  kind: ContainmentKind;
  target_id: string;
  target_label: string | null;
  alert_id: string | null;
  reason: Message;
  automatic: boolean;
  created_by: string | null;
  created_at: Date;
  until: Date | null;
  lifted_at: Date | null;
  lifted_by: string | null;
  lift_reason: string | null;
}

export type IncidentState = 'discovered' | 'analysing' | 'handling' | 'recovering' | 'closed';
export const INCIDENT_STATES: readonly IncidentState[] = ['discovered', 'analysing', 'handling', 'recovering', 'closed'];

export interface IncidentRow {
  id: string;
  title: string;
  severity: Severity;
  state: IncidentState;
  owner_id: string | null;
  owner_name: string | null;
  description: string;
  summary: string;
  opened_at: Date;
  first_report_due: Date | null;
  first_reported_at: Date | null;
  first_warned_at: Date | null;
  final_report_due: Date | null;
  final_reported_at: Date | null;
  final_warned_at: Date | null;
  closed_at: Date | null;
  created_by: string | null;
  /** Opened by the platform from an alert: that alert's title in both languages (`title` is its Chinese). */
  title_message: Message | null;
}

/** An incident as this repository reads it, before its owner's name. */
export type StoredIncidentRow = Omit<IncidentRow, 'owner_name'>;

export interface IncidentEventRow {
  id: number;
  incident_id: string;
  at: Date;
  actor_id: string | null;
  actor_name: string | null;
  kind: string;
  /** What a person typed; for the platform's own entries empty (or, on rows written before codes, a Chinese sentence). */
  text: string;
  details: Record<string, unknown>;
  /** The platform's own entry as a code with its parameters (timeline.ts); null for a person's. */
  code: TimelineCode | null;
  params: Record<string, unknown>;
}

export interface DeliveryRow {
  id: string;
  alert_id: string | null;
  incident_id: string | null;
  channel: 'webhook' | 'email';
  target: string;
  payload: Record<string, unknown>;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  next_at: Date;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

const ALERT_COLUMNS = `id, detector, subject, severity, state, title, summary, facts, evidence, hits, dataset, org_id, incident_id, names, first_seen, last_seen, updated_at`;
// The owner's name is identity's: the service adds it (StoredIncidentRow → IncidentRow).
const INCIDENT_COLUMNS = `i.id, i.title, i.severity, i.state, i.owner_id, i.description, i.summary, i.opened_at,
  i.first_report_due, i.first_reported_at, i.first_warned_at, i.final_report_due, i.final_reported_at, i.final_warned_at, i.closed_at, i.created_by, i.title_message`;

/** A containment in force now: not lifted, and untimed or not yet over (`s`: the alias of secops_containments). */
const IN_FORCE = (s = 'secops_containments') => `${s}.lifted_at IS NULL AND (${s}.until IS NULL OR ${s}.until > now())`;

/**
 * For the sharing module's access context, the one statement the records path reads per request
 * (share.repo.ts `accessContext`): the containments in force that can apply to a read — on one of the
 * grants `grantIds` (an SQL subquery of their ids as text), on the dataset `datasetId` or on the API
 * key `apiKeyId` (SQL expressions of text) — as a JSON array, oldest first. The rule of what is in
 * force stays here; secops.service.ts re-exports it for the sharing module.
 */
export const containmentsJsonForAccessContext = (on: { grantIds: string; datasetId: string; apiKeyId: string }) =>
  `(SELECT json_agg(json_build_object('id', s.id, 'kind', s.kind, 'target_id', s.target_id, 'until', s.until) ORDER BY s.created_at)
      FROM secops_containments s
     WHERE ${IN_FORCE('s')}
       AND ((s.kind = 'suspend_grant' AND s.target_id IN (${on.grantIds}))
         OR (s.kind = 'freeze_dataset' AND s.target_id = ${on.datasetId})
         OR (s.kind IN ('suspend_key', 'throttle_key') AND s.target_id = ${on.apiKeyId})))`;

const normaliseAlert = (row: AlertRow): AlertRow => ({ ...row, evidence: (row.evidence ?? []).map(Number) });

export function secopsRepo(q: Queryable) {
  return {
    // ---- cursor ----
    lockCursor: async (name: string) =>
      Number((await q.query<{ seq: number }>('SELECT seq FROM secops_cursor WHERE name = $1 FOR UPDATE', [name]))[0]?.seq ?? 0),
    moveCursor: (name: string, seq: number) => q.query('UPDATE secops_cursor SET seq = $2, updated_at = now() WHERE name = $1', [name, seq]),
    /** Takes the named row only if nobody else holds it (a periodic task run by one process). */
    tryLockCursor: async (name: string) => (await q.query<{ seq: number }>('SELECT seq FROM secops_cursor WHERE name = $1 FOR UPDATE SKIP LOCKED', [name]))[0],

    // ---- replay clocks (migration 0027) ----
    insertReplayClock: (c: { id: string; apiKeyId: string; realStart: Date; realEnd: Date; replayStart: Date; note: string }) =>
      q.query('INSERT INTO secops_replay_clocks (id, api_key_id, real_start, real_end, replay_start, note) VALUES ($1, $2, $3, $4, $5, $6)', [
        c.id,
        c.apiKeyId,
        c.realStart,
        c.realEnd,
        c.replayStart,
        c.note,
      ]),
    /** The replay clocks of these keys, oldest first. */
    replayClocks: (apiKeyIds: string[]) =>
      q.query<ReplayClockRow>(
        'SELECT api_key_id, real_start, real_end, replay_start FROM secops_replay_clocks WHERE api_key_id = ANY($1::uuid[]) ORDER BY real_start',
        [apiKeyIds],
      ),

    // ---- alerts ----
    openAlertFor: async (detector: string, subject: string, since: Date) => {
      const rows = await q.query<AlertRow>(
        `SELECT ${ALERT_COLUMNS} FROM secops_alerts WHERE detector = $1 AND subject = $2 AND state <> 'closed' AND last_seen >= $3
          ORDER BY last_seen DESC LIMIT 1 FOR UPDATE`,
        [detector, subject, since],
      );
      return rows[0] ? normaliseAlert(rows[0]) : undefined;
    },
    insertAlert: async (a: {
      id: string;
      detector: string;
      subject: string;
      severity: Severity;
      title: Message;
      summary: Message;
      facts: unknown;
      evidence: number[];
      dataset: string | null;
      orgId: string | null;
      names: AlertNames;
    }) =>
      normaliseAlert(
        (
          await q.query<AlertRow>(
            `INSERT INTO secops_alerts (id, detector, subject, severity, title, summary, facts, evidence, dataset, org_id, names)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bigint[], $9, $10, $11) RETURNING ${ALERT_COLUMNS}`,
            [
              a.id,
              a.detector,
              a.subject,
              a.severity,
              JSON.stringify(a.title),
              JSON.stringify(a.summary),
              JSON.stringify(a.facts),
              a.evidence,
              a.dataset,
              a.orgId,
              JSON.stringify(a.names),
            ],
          )
        )[0]!,
      ),
    foldIntoAlert: async (id: string, a: { severity: Severity; title: Message; summary: Message; facts: unknown; seq: number | null }) =>
      normaliseAlert(
        (
          await q.query<AlertRow>(
            `UPDATE secops_alerts SET hits = hits + 1, severity = $2, summary = $3, facts = $4, title = $6, last_seen = now(), updated_at = now(),
               evidence = CASE WHEN $5::bigint IS NULL OR cardinality(evidence) >= 100 THEN evidence ELSE array_append(evidence, $5::bigint) END
             WHERE id = $1 RETURNING ${ALERT_COLUMNS}`,
            [id, a.severity, JSON.stringify(a.summary), JSON.stringify(a.facts), a.seq, JSON.stringify(a.title)],
          )
        )[0]!,
      ),
    insertHit: (detector: string, alertId: string, seq: number | null) =>
      q.query('INSERT INTO secops_hits (detector, alert_id, seq) VALUES ($1, $2, $3)', [detector, alertId, seq]),
    linkIncident: (alertId: string, incidentId: string) =>
      q.query('UPDATE secops_alerts SET incident_id = $2, updated_at = now() WHERE id = $1', [alertId, incidentId]),
    /** The latest alert of a detector on one subject (any state). */
    latestAlertFor: async (detector: string, subject: string) => {
      const row = (
        await q.query<AlertRow>(`SELECT ${ALERT_COLUMNS} FROM secops_alerts WHERE detector = $1 AND subject = $2 ORDER BY first_seen DESC LIMIT 1`, [
          detector,
          subject,
        ])
      )[0];
      return row ? normaliseAlert(row) : undefined;
    },
    getAlert: async (id: string) => {
      const row = (await q.query<AlertRow>(`SELECT ${ALERT_COLUMNS} FROM secops_alerts WHERE id = $1`, [id]))[0];
      return row ? normaliseAlert(row) : undefined;
    },
    openAlertCount: async () => (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM secops_alerts WHERE state = 'open'`))[0]?.n ?? 0,
    listAlerts: async (f: { state?: string; severity?: string; detector?: string; updatedAfter?: Date; limit: number }) =>
      (
        await q.query<AlertRow>(
          `SELECT ${ALERT_COLUMNS} FROM secops_alerts
            WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR severity = $2) AND ($3::text IS NULL OR detector = $3)
              AND ($4::timestamptz IS NULL OR updated_at > $4)
            ORDER BY ${'updated_at'} DESC LIMIT $5`,
          [f.state ?? null, f.severity ?? null, f.detector ?? null, f.updatedAfter ?? null, f.limit],
        )
      ).map(normaliseAlert),
    /** Alerts changed after a version (microseconds since the epoch of updated_at), oldest change first. */
    alertsChangedSince: async (version: number, limit: number) =>
      (
        await q.query<AlertRow & { version: number }>(
          `SELECT ${ALERT_COLUMNS}, (extract(epoch FROM updated_at) * 1000000)::bigint AS version FROM secops_alerts
            WHERE (extract(epoch FROM updated_at) * 1000000)::bigint > $1::bigint ORDER BY updated_at LIMIT $2`,
          [version, limit],
        )
      ).map((row) => ({ ...normaliseAlert(row), version: Number(row.version) })),
    setAlertState: async (id: string, state: 'acknowledged' | 'closed', userId: string) =>
      (
        await q.query<{ id: string }>(
          `UPDATE secops_alerts SET state = $2, updated_at = now(),
             acknowledged_by = CASE WHEN $2 = 'acknowledged' THEN $3::uuid ELSE acknowledged_by END,
             closed_by = CASE WHEN $2 = 'closed' THEN $3::uuid ELSE closed_by END
           WHERE id = $1 RETURNING id`,
          [id, state, userId],
        )
      ).length > 0,

    // ---- containment ----
    activeContainment: async (kind: ContainmentKind, targetId: string) =>
      (await q.query<ContainmentRow>(`SELECT * FROM secops_containments WHERE kind = $1 AND target_id = $2 AND ${IN_FORCE()} LIMIT 1`, [kind, targetId]))[0],
    /** A person lifted this alert's containment of the target: the alert does not contain it again. */
    liftedForAlert: async (alertId: string, kind: ContainmentKind, targetId: string) =>
      (
        await q.query('SELECT 1 FROM secops_containments WHERE alert_id = $1 AND kind = $2 AND target_id = $3 AND lifted_at IS NOT NULL LIMIT 1', [
          alertId,
          kind,
          targetId,
        ])
      ).length > 0,
    insertContainment: async (c: {
      id: string;
      kind: ContainmentKind;
      targetId: string;
      label: string | null;
      alertId: string | null;
      reason: Message;
      automatic: boolean;
      createdBy: string | null;
      until: Date | null;
    }) =>
      (
        await q.query<ContainmentRow>(
          `INSERT INTO secops_containments (id, kind, target_id, target_label, alert_id, reason, automatic, created_by, until)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
          [c.id, c.kind, c.targetId, c.label, c.alertId, JSON.stringify(c.reason), c.automatic, c.createdBy, c.until],
        )
      )[0]!,
    getContainment: async (id: string) => (await q.query<ContainmentRow>('SELECT * FROM secops_containments WHERE id = $1', [id]))[0],
    liftContainment: async (id: string, userId: string, reason: string) =>
      (
        await q.query<ContainmentRow>(
          `UPDATE secops_containments SET lifted_at = now(), lifted_by = $2, lift_reason = $3 WHERE id = $1 AND lifted_at IS NULL RETURNING *`,
          [id, userId, reason],
        )
      )[0],
    listContainments: (activeOnly: boolean, limit: number) =>
      q.query<ContainmentRow>(`SELECT * FROM secops_containments WHERE ($1 = false OR (${IN_FORCE()})) ORDER BY created_at DESC LIMIT $2`, [activeOnly, limit]),
    // ---- deliveries ----
    insertDelivery: (d: { id: string; alertId: string | null; incidentId: string | null; channel: 'webhook' | 'email'; target: string; payload: unknown }) =>
      q.query(`INSERT INTO secops_deliveries (id, alert_id, incident_id, channel, target, payload) VALUES ($1, $2, $3, $4, $5, $6)`, [
        d.id,
        d.alertId,
        d.incidentId,
        d.channel,
        d.target,
        JSON.stringify(d.payload),
      ]),
    /** Claims due deliveries for `leaseMs` (another process skips them meanwhile) and counts the attempt. */
    claimDeliveries: (limit: number, leaseMs: number) =>
      q.query<DeliveryRow>(
        `UPDATE secops_deliveries SET attempts = attempts + 1, next_at = now() + ($2::int * interval '1 millisecond')
          WHERE id IN (SELECT id FROM secops_deliveries WHERE state = 'pending' AND next_at <= now() ORDER BY next_at LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING *`,
        [limit, leaseMs],
      ),
    deliverySent: (id: string, status: number | null) =>
      q.query(`UPDATE secops_deliveries SET state = 'sent', sent_at = now(), last_status = $2, last_error = NULL WHERE id = $1`, [id, status]),
    deliveryFailed: (id: string, status: number | null, error: string, retryInMs: number | null) =>
      q.query(
        `UPDATE secops_deliveries SET last_status = $2, last_error = $3,
           state = CASE WHEN $4::int IS NULL THEN 'failed' ELSE 'pending' END,
           next_at = CASE WHEN $4::int IS NULL THEN next_at ELSE now() + ($4::int * interval '1 millisecond') END
         WHERE id = $1`,
        [id, status, error.slice(0, 500), retryInMs],
      ),
    listDeliveries: (limit: number, alertId?: string) =>
      q.query<DeliveryRow>(`SELECT * FROM secops_deliveries WHERE ($2::uuid IS NULL OR alert_id = $2::uuid) ORDER BY created_at DESC LIMIT $1`, [
        limit,
        alertId ?? null,
      ]),

    // ---- incidents ----
    insertIncident: async (i: {
      id: string;
      title: string;
      titleMessage: Message | null;
      severity: Severity;
      description: string;
      firstDue: Date | null;
      finalDue: Date | null;
      createdBy: string | null;
      openedAt: Date;
    }) =>
      (
        await q.query<{ id: string }>(
          `INSERT INTO secops_incidents (id, title, severity, description, first_report_due, final_report_due, created_by, opened_at, title_message)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
          [i.id, i.title, i.severity, i.description, i.firstDue, i.finalDue, i.createdBy, i.openedAt, i.titleMessage && JSON.stringify(i.titleMessage)],
        )
      )[0]!,
    getIncident: async (id: string) => (await q.query<StoredIncidentRow>(`SELECT ${INCIDENT_COLUMNS} FROM secops_incidents i WHERE i.id = $1`, [id]))[0],
    listIncidents: (state: string | null, limit: number) =>
      q.query<StoredIncidentRow>(
        `SELECT ${INCIDENT_COLUMNS} FROM secops_incidents i WHERE ($1::text IS NULL OR i.state = $1) ORDER BY i.opened_at DESC LIMIT $2`,
        [state, limit],
      ),
    updateIncident: (
      id: string,
      fields: { state?: IncidentState; ownerId?: string | null; summary?: string; severity?: Severity; firstDue?: Date | null; finalDue?: Date | null },
    ) =>
      q.query(
        `UPDATE secops_incidents SET state = COALESCE($2, state), owner_id = CASE WHEN $3 THEN $4::uuid ELSE owner_id END,
           summary = COALESCE($5, summary), severity = COALESCE($6, severity),
           first_report_due = CASE WHEN $7 THEN $8::timestamptz ELSE first_report_due END,
           final_report_due = CASE WHEN $7 THEN $9::timestamptz ELSE final_report_due END,
           closed_at = CASE WHEN $2 = 'closed' THEN now() ELSE closed_at END
         WHERE id = $1`,
        [
          id,
          fields.state ?? null,
          fields.ownerId !== undefined,
          fields.ownerId ?? null,
          fields.summary ?? null,
          fields.severity ?? null,
          fields.firstDue !== undefined,
          fields.firstDue ?? null,
          fields.finalDue ?? null,
        ],
      ),
    markReported: (id: string, kind: 'first' | 'final') =>
      q.query(
        kind === 'first'
          ? 'UPDATE secops_incidents SET first_reported_at = now() WHERE id = $1'
          : 'UPDATE secops_incidents SET final_reported_at = now() WHERE id = $1',
        [id],
      ),
    /** Incidents whose report is due within `withinMs` of `now` and not yet reported nor warned about. */
    dueForWarning: (which: 'first' | 'final', now: Date, withinMs: number) =>
      q.query<StoredIncidentRow>(
        which === 'first'
          ? `SELECT ${INCIDENT_COLUMNS} FROM secops_incidents i
              WHERE i.first_report_due IS NOT NULL AND i.first_reported_at IS NULL AND i.first_warned_at IS NULL
                AND i.first_report_due <= $1::timestamptz + ($2::bigint * interval '1 millisecond') FOR UPDATE OF i SKIP LOCKED`
          : `SELECT ${INCIDENT_COLUMNS} FROM secops_incidents i
              WHERE i.final_report_due IS NOT NULL AND i.final_reported_at IS NULL AND i.final_warned_at IS NULL
                AND i.final_report_due <= $1::timestamptz + ($2::bigint * interval '1 millisecond') FOR UPDATE OF i SKIP LOCKED`,
        [now, withinMs],
      ),
    markWarned: (id: string, which: 'first' | 'final') =>
      q.query(
        which === 'first'
          ? 'UPDATE secops_incidents SET first_warned_at = now() WHERE id = $1'
          : 'UPDATE secops_incidents SET final_warned_at = now() WHERE id = $1',
        [id],
      ),
    /** A timeline entry: a person's `text`, or the platform's own `entry` (a code and its parameters, put into words when read). */
    addIncidentEvent: (e: {
      incidentId: string;
      actorId: string | null;
      actorName: string | null;
      kind: string;
      text?: string;
      entry?: TimelineEntry;
      details?: unknown;
    }) =>
      q.query(
        `INSERT INTO secops_incident_events (incident_id, actor_id, actor_name, kind, text, details, code, params) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          e.incidentId,
          e.actorId,
          e.actorName,
          e.kind,
          e.text ?? '',
          JSON.stringify(e.details ?? {}),
          e.entry?.code ?? null,
          JSON.stringify(e.entry?.params ?? {}),
        ],
      ),
    incidentEvents: (id: string) => q.query<IncidentEventRow>('SELECT * FROM secops_incident_events WHERE incident_id = $1 ORDER BY id', [id]),
    incidentAlerts: (id: string) =>
      q.query<AlertRow>(`SELECT ${ALERT_COLUMNS} FROM secops_alerts WHERE incident_id = $1 ORDER BY first_seen`, [id]).then((rows) => rows.map(normaliseAlert)),

    // ---- dashboard ----
    alertsBySeverity: () =>
      q.query<{ severity: string; state: string; n: number }>(`SELECT severity, state, count(*)::int AS n FROM secops_alerts GROUP BY severity, state`),
    incidentsByState: () => q.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM secops_incidents GROUP BY state`),
    hitsByHour: (since: Date) =>
      q.query<{ hour: Date; detector: string; n: number }>(
        `SELECT date_trunc('hour', at) AS hour, detector, count(*)::int AS n FROM secops_hits WHERE at >= $1 GROUP BY 1, 2 ORDER BY 1`,
        [since],
      ),
    /** Who read the most sensitive rows (subject `key:<id>` or `user:<id>`, and the organisation); the service names them. */
    topSensitiveConsumers: (since: Date, limit: number) =>
      q.query<{ subject: string; org_id: string | null; sensitive_rows: number; rows: number }>(
        `SELECT s.subject, s.org_id, sum(s.sensitive_rows)::bigint AS sensitive_rows, sum(s.rows)::bigint AS rows
           FROM secops_usage s
          WHERE s.hour >= $1 GROUP BY s.subject, s.org_id HAVING sum(s.sensitive_rows) > 0
          ORDER BY sum(s.sensitive_rows) DESC LIMIT $2`,
        [since, limit],
      ),
  };
}

export type SecopsRepo = ReturnType<typeof secopsRepo>;

/**
 * The containment contract of the sharing module: is this grant, dataset or key held by security
 * operations right now? Checked on each data request (from the database, so every process agrees).
 */
export async function isContained(
  q: Queryable,
  target: { grantId?: string; datasetId?: string; apiKeyId?: string },
): Promise<{ contained: boolean; kind?: ContainmentKind; containmentId?: string }> {
  const rows = await q.query<{ id: string; kind: ContainmentKind }>(
    `SELECT id, kind FROM secops_containments
      WHERE ${IN_FORCE()}
        AND ((kind = 'suspend_grant' AND target_id = $1) OR (kind = 'freeze_dataset' AND target_id = $2)
          OR (kind IN ('suspend_key', 'throttle_key') AND target_id = $3))
      ORDER BY created_at LIMIT 1`,
    [target.grantId ?? null, target.datasetId ?? null, target.apiKeyId ?? null],
  );
  const row = rows[0];
  return row ? { contained: true, kind: row.kind, containmentId: row.id } : { contained: false };
}
