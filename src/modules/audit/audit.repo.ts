/**
 * All SQL of the audit module. Every value is a bound parameter; column names are fixed here.
 * There is deliberately no UPDATE or DELETE of audit tables anywhere in pdx.
 */
import { maybeOne, type Queryable, type Row } from '../../db/index.ts';
import type { AuditResult } from './events.ts';
import type { AuditRecord, RecordBody } from './record.ts';

const RECORD_COLUMNS = `seq, time, action, result, actor_user_id, actor_username, actor_org_id, actor_api_key_id,
  actor_roles, target_type, target_id, target_label, dataset, details, request_id, client_ip, prev_hash, hash`;

interface RecordRow extends Row {
  seq: number;
  time: Date;
  action: string;
  result: AuditResult;
  actor_user_id: string | null;
  actor_username: string | null;
  actor_org_id: string | null;
  actor_api_key_id: string | null;
  actor_roles: string[];
  target_type: string | null;
  target_id: string | null;
  target_label: string | null;
  dataset: string | null;
  details: AuditRecord['details'];
  request_id: string | null;
  client_ip: string | null;
  prev_hash: Buffer;
  hash: Buffer;
}

function toRecord(row: RecordRow): AuditRecord {
  return {
    seq: Number(row.seq),
    time: row.time.toISOString(),
    action: row.action,
    result: row.result,
    actorUserId: row.actor_user_id,
    actorUsername: row.actor_username,
    actorOrgId: row.actor_org_id,
    actorApiKeyId: row.actor_api_key_id,
    actorRoles: row.actor_roles,
    targetType: row.target_type,
    targetId: row.target_id,
    targetLabel: row.target_label,
    dataset: row.dataset,
    details: row.details,
    requestId: row.request_id,
    clientIp: row.client_ip,
    prevHash: row.prev_hash.toString('hex'),
    hash: row.hash.toString('hex'),
  };
}

// ---- chain -------------------------------------------------------------------------------------

/**
 * Takes the chain lock for the rest of the transaction and returns the last committed record's link.
 * One round trip: the SQL function locks first, then reads the head with a snapshot taken after the
 * lock was granted (see 0007_audit.sql).
 */
export async function lockChainHead(tx: Queryable): Promise<{ seq: number; hash: Buffer; time: Date } | undefined> {
  const row = await maybeOne<{ head_seq: number; head_hash: Buffer; head_time: Date }>(
    tx,
    'SELECT head_seq, head_hash, head_time FROM audit_lock_chain_head()',
  );
  return row && { seq: Number(row.head_seq), hash: row.head_hash, time: row.head_time };
}

/** The highest committed sequence number (0 for an empty log). */
export async function maxSeq(q: Queryable): Promise<number> {
  const row = await maybeOne<{ seq: number }>(q, 'SELECT seq FROM audit_records ORDER BY seq DESC LIMIT 1');
  return row ? Number(row.seq) : 0;
}

type ChainedRow = { body: RecordBody; prevHash: Buffer; hash: Buffer };

/** The VALUES list of a batch, its parameters numbered after `first` already taken. */
function recordValues(rows: readonly ChainedRow[], first = 0): { values: string; params: unknown[] } {
  const params: unknown[] = [];
  const tuples: string[] = [];
  for (const { body, prevHash, hash } of rows) {
    const b = first + params.length;
    const p = (i: number) => `$${b + i}`;
    tuples.push(
      `(${p(1)}::int8, ${p(2)}::timestamptz, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}::text::jsonb, ` +
        `${p(10)}, ${p(11)}, ${p(12)}, ${p(13)}, ${p(14)}::text::jsonb, ${p(15)}, ${p(16)}, ${p(17)}::bytea, ${p(18)}::bytea)`,
    );
    params.push(
      body.seq,
      body.time,
      body.action,
      body.result,
      body.actorUserId,
      body.actorUsername,
      body.actorOrgId,
      body.actorApiKeyId,
      JSON.stringify(body.actorRoles),
      body.targetType,
      body.targetId,
      body.targetLabel,
      body.dataset,
      JSON.stringify(body.details),
      body.requestId,
      body.clientIp,
      prevHash,
      hash,
    );
  }
  return { values: tuples.join(', '), params };
}

/** One multi-row INSERT for a whole batch (inside the transaction that holds the chain lock). */
export async function insertRecords(tx: Queryable, rows: readonly ChainedRow[]): Promise<void> {
  const { values, params } = recordValues(rows);
  await tx.query(`INSERT INTO audit_records (${RECORD_COLUMNS}) VALUES ${values}`, params);
}

/**
 * Appends a batch chained to `expected` in one statement (its own transaction), only if `expected`
 * is still the head: the statement takes the chain lock, reads the head after the lock was granted
 * (audit_lock_chain_head), and inserts nothing when another writer moved it. The request path's
 * append in one round trip; answers the head found, so the caller can chain to it and try again.
 */
export async function insertRecordsAfterHead(
  q: Queryable,
  expected: { seq: number; hash: Buffer },
  rows: readonly ChainedRow[],
): Promise<{ inserted: boolean; head: { seq: number; hash: Buffer; time: Date } | undefined }> {
  const { values, params } = recordValues(rows, 2);
  const row = await maybeOne<{ head_seq: number; head_hash: Buffer; head_time: Date; inserted: number }>(
    q,
    `WITH head AS MATERIALIZED (SELECT head_seq, head_hash, head_time FROM audit_lock_chain_head()),
     appended AS (
       INSERT INTO audit_records (${RECORD_COLUMNS})
       SELECT * FROM (VALUES ${values}) AS batch
       WHERE EXISTS (SELECT 1 FROM head WHERE head_seq = $1::int8 AND head_hash = $2::bytea)
       RETURNING seq)
     SELECT head_seq, head_hash, head_time, (SELECT count(*) FROM appended)::int AS inserted FROM head`,
    [expected.seq, expected.hash, ...params],
  );
  const head = row && { seq: Number(row.head_seq), hash: row.head_hash, time: row.head_time };
  return { inserted: (row?.inserted ?? 0) === rows.length && rows.length > 0, head };
}

/** Records with seq > afterSeq in order, at most `limit` (streaming reads page with this). */
export async function recordsAfter(q: Queryable, afterSeq: number, limit: number, uptoSeq?: number): Promise<AuditRecord[]> {
  const rows = await q.query<RecordRow>(
    `SELECT ${RECORD_COLUMNS} FROM audit_records WHERE seq > $1 AND ($3::int8 IS NULL OR seq <= $3::int8) ORDER BY seq LIMIT $2`,
    [afterSeq, limit, uptoSeq ?? null],
  );
  return rows.map(toRecord);
}

/**
 * Counts over the recent records for security operations' detectors, read inside the worker's
 * transaction: every count is of records from `since` up to and including record `upTo`.
 */
export function detectorCounts(q: Queryable) {
  const count = async (sql: string, params: unknown[]) => Number((await q.query<{ n: number }>(sql, params))[0]?.n ?? 0);
  return {
    /** Failures among `actions` (the sign-in actions) of one account. */
    failuresOfAccount: (actions: readonly string[], username: string, since: Date, upTo: number) =>
      count(
        `SELECT count(*)::int AS n FROM audit_records WHERE action = ANY($4::text[]) AND result = 'failure' AND actor_username = $1 AND time >= $2 AND seq <= $3`,
        [username, since, upTo, actions],
      ),
    /** Failures among `actions` from one address, and how many accounts they were for. */
    failuresFromAddress: async (actions: readonly string[], ip: string, since: Date, upTo: number) =>
      (
        await q.query<{ n: number; accounts: number }>(
          `SELECT count(*)::int AS n, count(DISTINCT actor_username)::int AS accounts FROM audit_records
            WHERE action = ANY($4::text[]) AND result = 'failure' AND client_ip = $1 AND time >= $2 AND seq <= $3`,
          [ip, since, upTo, actions],
        )
      )[0],
    /** Refusals of one API key, or of one person. */
    denialsOf: (who: { apiKeyId: string } | { userId: string }, since: Date, upTo: number) =>
      'apiKeyId' in who
        ? count(`SELECT count(*)::int AS n FROM audit_records WHERE result = 'denied' AND actor_api_key_id = $1 AND time >= $2 AND seq <= $3`, [
            who.apiKeyId,
            since,
            upTo,
          ])
        : count(`SELECT count(*)::int AS n FROM audit_records WHERE result = 'denied' AND actor_user_id = $1 AND time >= $2 AND seq <= $3`, [
            who.userId,
            since,
            upTo,
          ]),
    /** Records of one action by an API key, or (without a key) by a person. */
    actionsOf: (action: string, apiKeyId: string | null, userId: string | null, since: Date, upTo: number) =>
      count(
        `SELECT count(*)::int AS n FROM audit_records WHERE action = $1 AND time >= $2 AND seq <= $3 AND (actor_api_key_id = $4 OR ($4 IS NULL AND actor_user_id = $5))`,
        [action, since, upTo, apiKeyId, userId],
      ),
  };
}

export type DetectorCounts = ReturnType<typeof detectorCounts>;

export async function recordBySeq(q: Queryable, seq: number): Promise<AuditRecord | undefined> {
  const row = await maybeOne<RecordRow>(q, `SELECT ${RECORD_COLUMNS} FROM audit_records WHERE seq = $1`, [seq]);
  return row && toRecord(row);
}

/** Record hashes of seq in [fromSeq, toSeq], in order. */
export async function recordHashes(q: Queryable, fromSeq: number, toSeq: number): Promise<{ seq: number; hash: Buffer }[]> {
  const rows = await q.query<{ seq: number; hash: Buffer }>('SELECT seq, hash FROM audit_records WHERE seq BETWEEN $1 AND $2 ORDER BY seq', [fromSeq, toSeq]);
  return rows.map((r) => ({ seq: Number(r.seq), hash: r.hash }));
}

// ---- search ------------------------------------------------------------------------------------

/** What the auditor can search by; every field optional and combined with AND. */
export interface RecordFilter {
  actorUserId?: string;
  actorUsername?: string;
  orgId?: string;
  apiKeyId?: string;
  dataset?: string;
  action?: string;
  /** Matches every action starting with this text, e.g. `data.` or `auth.login`. */
  actionPrefix?: string;
  result?: AuditResult;
  from?: Date;
  to?: Date;
}

function whereOf(filter: RecordFilter, params: unknown[]): string[] {
  const where: string[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (filter.actorUserId !== undefined) add((p) => `actor_user_id = ${p}`, filter.actorUserId);
  if (filter.actorUsername !== undefined) add((p) => `actor_username = ${p}`, filter.actorUsername);
  if (filter.orgId !== undefined) add((p) => `actor_org_id = ${p}`, filter.orgId);
  if (filter.apiKeyId !== undefined) add((p) => `actor_api_key_id = ${p}`, filter.apiKeyId);
  if (filter.dataset !== undefined) add((p) => `dataset = ${p}`, filter.dataset);
  if (filter.action !== undefined) add((p) => `action = ${p}`, filter.action);
  if (filter.actionPrefix !== undefined) add((p) => `starts_with(action, ${p})`, filter.actionPrefix);
  if (filter.result !== undefined) add((p) => `result = ${p}`, filter.result);
  if (filter.from !== undefined) add((p) => `time >= ${p}::timestamptz`, filter.from);
  if (filter.to !== undefined) add((p) => `time < ${p}::timestamptz`, filter.to);
  return where;
}

/** One page of matching records, by seq, after (asc) or before (desc) the cursor. */
export async function searchRecords(
  q: Queryable,
  filter: RecordFilter,
  page: { cursor?: number; limit: number; order: 'asc' | 'desc'; uptoSeq?: number },
): Promise<AuditRecord[]> {
  const params: unknown[] = [];
  const where = whereOf(filter, params);
  if (page.cursor !== undefined) {
    params.push(page.cursor);
    where.push(page.order === 'asc' ? `seq > $${params.length}` : `seq < $${params.length}`);
  }
  if (page.uptoSeq !== undefined) {
    params.push(page.uptoSeq);
    where.push(`seq <= $${params.length}`);
  }
  params.push(page.limit);
  const rows = await q.query<RecordRow>(
    `SELECT ${RECORD_COLUMNS} FROM audit_records ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY seq ${page.order === 'asc' ? 'ASC' : 'DESC'} LIMIT $${params.length}`,
    params,
  );
  return rows.map(toRecord);
}

/** Filter of "who read this column of this dataset": data responses carry details.columns. */
export interface AccessFilter {
  dataset: string;
  column?: string;
  from?: Date;
  to?: Date;
  result?: AuditResult;
}

/** Events that put values of a dataset in someone's hands; approvals and reviews that only name columns are not reads. */
export const DATA_ACCESS_ACTIONS = ['data.read', 'data.export', 'data.download', 'data.push', 'data.verify', 'classification.view', 'dataset.preview'];

function accessWhere(filter: AccessFilter, params: unknown[]): string[] {
  const where = whereOf({ dataset: filter.dataset, from: filter.from, to: filter.to, result: filter.result }, params);
  params.push(DATA_ACCESS_ACTIONS);
  where.push(`action = ANY($${params.length}::text[])`);
  if (filter.column !== undefined) {
    params.push(JSON.stringify({ columns: [{ name: filter.column }] }));
    where.push(`details @> $${params.length}::text::jsonb`);
  } else {
    where.push(`jsonb_typeof(details -> 'columns') = 'array'`);
  }
  return where;
}

/** Data responses touching the dataset (and column), newest first. */
export async function accessEntries(q: Queryable, filter: AccessFilter, page: { cursor?: number; limit: number }): Promise<AuditRecord[]> {
  const params: unknown[] = [];
  const where = accessWhere(filter, params);
  if (page.cursor !== undefined) {
    params.push(page.cursor);
    where.push(`seq < $${params.length}`);
  }
  params.push(page.limit);
  const rows = await q.query<RecordRow>(
    `SELECT ${RECORD_COLUMNS} FROM audit_records WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map(toRecord);
}

export interface AccessSummaryRow {
  actorUserId: string | null;
  actorUsername: string | null;
  actorOrgId: string | null;
  actorApiKeyId: string | null;
  responses: number;
  rows: number;
  firstTime: string;
  lastTime: string;
}

/** Per caller: how many responses and rows, first and last time. */
export async function accessSummary(q: Queryable, filter: AccessFilter): Promise<AccessSummaryRow[]> {
  const params: unknown[] = [];
  const where = accessWhere(filter, params);
  const rows = await q.query<{
    actor_user_id: string | null;
    actor_username: string | null;
    actor_org_id: string | null;
    actor_api_key_id: string | null;
    responses: number;
    rows: number;
    first_time: Date;
    last_time: Date;
  }>(
    `SELECT actor_user_id, actor_username, actor_org_id, actor_api_key_id, count(*)::int8 AS responses,
            coalesce(sum(CASE WHEN jsonb_typeof(details -> 'rowCount') = 'number' THEN (details ->> 'rowCount')::numeric END), 0)::int8 AS rows,
            min(time) AS first_time, max(time) AS last_time
       FROM audit_records WHERE ${where.join(' AND ')}
      GROUP BY actor_user_id, actor_username, actor_org_id, actor_api_key_id
      ORDER BY responses DESC, actor_username NULLS LAST
      LIMIT 1000`,
    params,
  );
  return rows.map((r) => ({
    actorUserId: r.actor_user_id,
    actorUsername: r.actor_username,
    actorOrgId: r.actor_org_id,
    actorApiKeyId: r.actor_api_key_id,
    responses: Number(r.responses),
    rows: Number(r.rows),
    firstTime: r.first_time.toISOString(),
    lastTime: r.last_time.toISOString(),
  }));
}

/** Which data responses the usage statistics count, over which instants and (optionally) datasets and grants. */
export interface UsageFilter {
  actions: readonly string[];
  from: Date;
  to: Date;
  /** Catalogue codes; null: every dataset. */
  datasets: string[] | null;
  /** Grant ids (details.grantId); omitted or null: every grant. */
  grants?: string[] | null;
}

/** Successful responses and rows of one dataset, one China day (UTC+8), one consumer organisation and one grant. */
export interface UsageRow {
  dataset: string;
  day: string;
  orgId: string | null;
  /** The grant the responses were made under (details.grantId); null for records without one. */
  grantId: string | null;
  calls: number;
  rows: number;
  /** The last of these responses. */
  lastAt: Date;
}

/**
 * Data responses grouped by dataset, China day, consumer organisation and grant. A read streamed in
 * several chunks has one record per chunk (`details.part` from the second on): each adds its rows,
 * only the first counts as a call.
 */
export async function usageRows(q: Queryable, filter: UsageFilter): Promise<UsageRow[]> {
  const rows = await q.query<{ dataset: string; day: string; org_id: string | null; grant_id: string | null; calls: number; rows: number; last_at: Date }>(
    `SELECT dataset, to_char((time AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD') AS day, actor_org_id AS org_id, details ->> 'grantId' AS grant_id,
            count(*) FILTER (WHERE NOT (details ? 'part'))::int8 AS calls,
            coalesce(sum(CASE WHEN jsonb_typeof(details -> 'rowCount') = 'number' THEN (details ->> 'rowCount')::numeric END), 0)::int8 AS rows,
            max(time) AS last_at
       FROM audit_records
      WHERE action = ANY($1::text[]) AND result = 'success' AND dataset IS NOT NULL AND time >= $2 AND time < $3
        AND ($4::text[] IS NULL OR dataset = ANY($4::text[]))
        AND ($5::text[] IS NULL OR details ->> 'grantId' = ANY($5::text[]))
      GROUP BY 1, 2, 3, 4
      ORDER BY 2, 1`,
    [filter.actions, filter.from, filter.to, filter.datasets, filter.grants ?? null],
  );
  return rows.map((r) => ({
    dataset: r.dataset,
    day: r.day,
    orgId: r.org_id,
    grantId: r.grant_id,
    calls: Number(r.calls),
    rows: Number(r.rows),
    lastAt: new Date(r.last_at),
  }));
}

/**
 * The overview's activity over the last `days` days: interface calls (`gateway.call`, failed ones
 * included) per China day, and denials and failures (security events) per day and action.
 */
export async function dailyActivity(q: Queryable, days: number) {
  const [gatewayCalls, security] = await Promise.all([
    q.query<{ day: string; calls: number }>(
      `SELECT to_char((time AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD') AS day, count(*)::int AS calls
         FROM audit_records
        WHERE action = 'gateway.call' AND time > now() - make_interval(days => $1)
        GROUP BY 1 ORDER BY 1`,
      [days],
    ),
    q.query<{ day: string; kind: string; events: number }>(
      `SELECT to_char(date_trunc('day', time), 'YYYY-MM-DD') AS day, action AS kind, count(*)::int AS events
         FROM audit_records WHERE result IN ('denied', 'failure') AND time > now() - make_interval(days => $1)
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [days],
    ),
  ]);
  return { gatewayCalls, security };
}

/** Which interface calls (`gateway.call`) the call statistics count. */
export interface CallStatsFilter {
  from: Date;
  to: Date;
  /** Service (catalogue) codes; null: every service. */
  datasets: string[] | null;
  /** The calling organisation; null: every one. */
  orgId: string | null;
  operation: string | null;
}

/**
 * Calls, failures and latency percentiles (ms) of one group: a China day (UTC+8), service, operation
 * and calling organisation; a null dimension is the group over all of its values (`total`: every day;
 * `byDay`: every service, operation and organisation of one day; `group`: every day of one service,
 * operation and organisation).
 */
export interface CallStatsRow {
  level: 'cell' | 'group' | 'day' | 'total';
  day: string | null;
  dataset: string | null;
  operation: string | null;
  orgId: string | null;
  calls: number;
  errors: number;
  p50: number | null;
  p95: number | null;
}

/** Interface calls grouped by day, service, operation and calling organisation, in one pass over the log. */
export async function callStatsRows(q: Queryable, filter: CallStatsFilter): Promise<CallStatsRow[]> {
  const rows = await q.query<{
    g: number;
    day: string | null;
    dataset: string | null;
    operation: string | null;
    org_id: string | null;
    calls: string;
    errors: string;
    p50: number | null;
    p95: number | null;
  }>(
    `SELECT grouping(day, dataset, operation, org_id)::int AS g, day, dataset, operation, org_id,
            count(*)::int8 AS calls, count(*) FILTER (WHERE result <> 'success')::int8 AS errors,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY latency) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY latency) AS p95
       FROM (SELECT to_char((time AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD') AS day, dataset,
                    coalesce(details ->> 'operation', '') AS operation, coalesce(actor_org_id, '') AS org_id, result,
                    CASE WHEN jsonb_typeof(details -> 'latencyMs') = 'number' THEN (details ->> 'latencyMs')::float8 END AS latency
               FROM audit_records
              WHERE action = 'gateway.call' AND dataset IS NOT NULL AND time >= $1 AND time < $2
                AND ($3::text[] IS NULL OR dataset = ANY($3::text[]))
                AND ($4::text IS NULL OR actor_org_id = $4)
                AND ($5::text IS NULL OR details ->> 'operation' = $5)) c
      GROUP BY GROUPING SETS ((day, dataset, operation, org_id), (dataset, operation, org_id), (day), ())
      ORDER BY g, day, dataset, operation, org_id`,
    [filter.from, filter.to, filter.datasets, filter.orgId, filter.operation],
  );
  // grouping() bits, highest first: day 8, dataset 4, operation 2, org 1 (a set bit: grouped over).
  const levels: Record<number, CallStatsRow['level']> = { 0: 'cell', 8: 'group', 7: 'day', 15: 'total' };
  const ms = (v: number | null) => (v === null ? null : Math.round(Number(v)));
  return rows.map((r) => ({
    level: levels[r.g] ?? 'cell',
    day: r.day,
    dataset: r.dataset,
    operation: r.operation,
    orgId: r.org_id || null,
    calls: Number(r.calls),
    errors: Number(r.errors),
    p50: ms(r.p50),
    p95: ms(r.p95),
  }));
}

// ---- checkpoints and tree ----------------------------------------------------------------------

export interface CheckpointRow {
  treeSize: number;
  rootHash: Buffer;
  time: Date;
  hashAlg: string;
  keyId: string;
  signature: Buffer;
}

const CHECKPOINT_COLUMNS = 'tree_size, root_hash, time, hash_alg, key_id, signature';

function toCheckpoint(row: Row): CheckpointRow {
  return {
    treeSize: Number(row.tree_size),
    rootHash: row.root_hash as Buffer,
    time: row.time as Date,
    hashAlg: row.hash_alg as string,
    keyId: row.key_id as string,
    signature: row.signature as Buffer,
  };
}

/** Stores a signed head; a head of the same size stored first by another process wins. */
export async function insertCheckpoint(q: Queryable, c: CheckpointRow): Promise<void> {
  await q.query(`INSERT INTO audit_checkpoints (${CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tree_size) DO NOTHING`, [
    c.treeSize,
    c.rootHash,
    c.time,
    c.hashAlg,
    c.keyId,
    c.signature,
  ]);
}

export async function checkpointOfSize(q: Queryable, treeSize: number): Promise<CheckpointRow | undefined> {
  const row = await maybeOne<Row>(q, `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE tree_size = $1`, [treeSize]);
  return row && toCheckpoint(row);
}

export async function latestCheckpoint(q: Queryable): Promise<CheckpointRow | undefined> {
  const row = await maybeOne<Row>(q, `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`);
  return row && toCheckpoint(row);
}

/** Checkpoints with tree_size > afterSize in order, at most `limit`. */
export async function checkpointsAfter(q: Queryable, afterSize: number, limit: number): Promise<CheckpointRow[]> {
  const rows = await q.query(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE tree_size > $1 ORDER BY tree_size LIMIT $2`, [afterSize, limit]);
  return rows.map(toCheckpoint);
}

export async function treeNode(q: Queryable, level: number, idx: number): Promise<Buffer | undefined> {
  const row = await maybeOne<{ hash: Buffer }>(q, 'SELECT hash FROM audit_tree_nodes WHERE level = $1 AND idx = $2', [level, idx]);
  return row?.hash;
}

export async function insertTreeNode(q: Queryable, level: number, idx: number, hash: Buffer): Promise<void> {
  await q.query('INSERT INTO audit_tree_nodes (level, idx, hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [level, idx, hash]);
}

// ---- signing keys ------------------------------------------------------------------------------

/** Advisory lock key ("pdxaukey") so concurrent first starts generate only one key. */
const KEY_LOCK = '8098730389895477611'; // 0x706478617561796bn.toString()

export async function lockKeys(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::int8)', [KEY_LOCK]);
}

export interface SigningKeyRow {
  keyId: string;
  publicKeyPem: string;
  sealedPrivateKey: Buffer;
}

export async function currentSigningKey(q: Queryable): Promise<SigningKeyRow | undefined> {
  const row = await maybeOne<{ key_id: string; public_key_pem: string; sealed_private_key: Buffer }>(
    q,
    'SELECT key_id, public_key_pem, sealed_private_key FROM audit_signing_keys ORDER BY created_at DESC, key_id LIMIT 1',
  );
  return row && { keyId: row.key_id, publicKeyPem: row.public_key_pem, sealedPrivateKey: row.sealed_private_key };
}

export async function insertSigningKey(q: Queryable, key: SigningKeyRow): Promise<void> {
  await q.query('INSERT INTO audit_signing_keys (key_id, public_key_pem, sealed_private_key) VALUES ($1, $2, $3)', [
    key.keyId,
    key.publicKeyPem,
    key.sealedPrivateKey,
  ]);
}

/** Every stored signing key, oldest first (there should be exactly one). */
export async function signingKeys(q: Queryable): Promise<Omit<SigningKeyRow, 'sealedPrivateKey'>[]> {
  const rows = await q.query<{ key_id: string; public_key_pem: string }>('SELECT key_id, public_key_pem FROM audit_signing_keys ORDER BY created_at, key_id');
  return rows.map((r) => ({ keyId: r.key_id, publicKeyPem: r.public_key_pem }));
}

/** The log's head policy (0011): a head at every multiple of everyRecords after requiredFrom. */
export interface HeadPolicy {
  everyRecords: number;
  requiredFrom: number;
}

export async function headPolicy(q: Queryable): Promise<HeadPolicy> {
  const row = await maybeOne<{ every_records: number; required_from: number }>(q, 'SELECT every_records, required_from FROM audit_head_policy');
  // A database whose policy row was deleted still gets the default interval, required from the start.
  return row ? { everyRecords: Number(row.every_records), requiredFrom: Number(row.required_from) } : { everyRecords: 1000, requiredFrom: 0 };
}
