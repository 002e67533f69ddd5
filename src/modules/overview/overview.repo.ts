import type { Queryable } from '../../db/index.ts';

/** Aggregates for the 城市大脑 overview: counts only, never a record or a value. */
export function overviewRepo(db: Queryable) {
  return {
    assetsByOrgAndGrade: () =>
      db.query<{ org: string; grade: number | null; datasets: number; rows: number }>(
        `SELECT o.name AS org, d.grade, count(*)::int AS datasets, sum(d.row_count)::bigint AS rows
         FROM datasets d JOIN organizations o ON o.id = d.provider_org_id
         WHERE d.status = 'published'
         GROUP BY o.name, d.grade ORDER BY o.name, d.grade`,
      ),
    totals: () =>
      db.query<{ datasets: number; rows: number; organizations: number; encrypted_columns: number; open_datasets: number }>(
        `SELECT (SELECT count(*)::int FROM datasets WHERE status = 'published') AS datasets,
                (SELECT coalesce(sum(row_count), 0)::bigint FROM datasets WHERE status = 'published') AS rows,
                (SELECT count(*)::int FROM organizations) AS organizations,
                (SELECT count(*)::int FROM dataset_columns c JOIN datasets d ON d.id = c.dataset_id WHERE c.encrypted AND d.status = 'published') AS encrypted_columns,
                (SELECT count(*)::int FROM datasets WHERE status = 'published' AND open_type <> 'none') AS open_datasets`,
      ),
    /** Interface calls through the gateway (gateway.call, success or not) per China day over the last `days` days. */
    gatewayCallsByDay: (days: number) =>
      db.query<{ day: string; calls: number }>(
        `SELECT to_char((time AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD') AS day, count(*)::int AS calls
           FROM audit_records
          WHERE action = 'gateway.call' AND time > now() - make_interval(days => $1)
          GROUP BY 1 ORDER BY 1`,
        [days],
      ),
    /** Denials and failures per day (security events) over the last `days` days. */
    securityByDay: (days: number) =>
      db.query<{ day: string; kind: string; events: number }>(
        `SELECT to_char(date_trunc('day', time), 'YYYY-MM-DD') AS day, action AS kind, count(*)::int AS events
         FROM audit_records WHERE result IN ('denied', 'failure') AND time > now() - make_interval(days => $1)
         GROUP BY 1, 2 ORDER BY 1, 2`,
        [days],
      ),
    // ---- the caller's to-do counts (工作台) ----
    openAlerts: async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM secops_alerts WHERE state = 'open'`))[0]?.n ?? 0,
    /** Data needs assigned to the organisation and waiting for its answer (供需对接). */
    demandsToAnswer: async (orgId: string) =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM duty_demands WHERE state = 'assigned' AND assigned_org_id = $1`, [orgId]))[0]?.n ?? 0,
    /** Data needs waiting for the authority to assign them. */
    demandsToAssign: async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM duty_demands WHERE state = 'open'`))[0]?.n ?? 0,
    /** Return flows proposed and waiting for the security administrator (数据回流). */
    returnFlowReviews: async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM duty_return_flows WHERE state = 'proposed'`))[0]?.n ?? 0,
    /** Objections to the organisation's data that wait for its answer. */
    openObjections: async (orgId: string) =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM duty_objections WHERE state = 'open' AND provider_org_id = $1`, [orgId]))[0]?.n ?? 0,
  };
}
