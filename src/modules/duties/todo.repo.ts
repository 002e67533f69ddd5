import type { Queryable } from '../../db/index.ts';

/** The duties' queues in counts, for the 工作台 (overview): what waits for an organisation or for the authority. */
export function dutiesToDoRepo(db: Queryable) {
  const count = async (sql: string, params: unknown[] = []) => (await db.query<{ n: number }>(sql, params))[0]?.n ?? 0;
  return {
    /** Data needs assigned to the organisation and waiting for its answer (供需对接). */
    demandsToAnswer: (orgId: string) => count(`SELECT count(*)::int AS n FROM duty_demands WHERE state = 'assigned' AND assigned_org_id = $1`, [orgId]),
    /** Data needs waiting for the authority to assign them. */
    demandsToAssign: () => count(`SELECT count(*)::int AS n FROM duty_demands WHERE state = 'open'`),
    /** Return flows proposed and waiting for the security administrator (数据回流). */
    returnFlowReviews: () => count(`SELECT count(*)::int AS n FROM duty_return_flows WHERE state = 'proposed'`),
    /** Objections to the organisation's data that wait for its answer. */
    openObjections: (orgId: string) => count(`SELECT count(*)::int AS n FROM duty_objections WHERE state = 'open' AND provider_org_id = $1`, [orgId]),
  };
}

export type DutiesToDo = ReturnType<typeof dutiesToDoRepo>;
