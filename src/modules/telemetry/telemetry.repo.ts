/**
 * All SQL of the telemetry module, with bound parameters. Identifiers that reach SQL text are only
 * partition names pdx makes itself from dates (checked by ident()); partition bounds are ISO
 * instants pdx formats itself, checked again here before they are written into DDL.
 */
import type { Queryable } from '../../db/index.ts';
import { maybeOne, one } from '../../db/index.ts';
import { ident } from '../../db/sql.ts';
import type { QualityKind } from './quality.ts';

export interface SettingsRow {
  org_id: string;
  enterprise_code: string;
  auto_register: boolean;
}

export interface PlantRow {
  id: string;
  org_id: string;
  code: string;
  name: string;
  created_at: Date;
}

export interface LineRow {
  id: string;
  plant_id: string;
  code: string;
  name: string;
  created_at: Date;
}

export interface DeviceRow {
  id: string;
  org_id: string;
  line_id: string;
  code: string;
  name: string;
  token_prefix: string | null;
  token_hash: string | null;
  token_set_at: Date | null;
  max_points_per_second: number;
  state: 'active' | 'disabled';
  last_seen_at: Date | null;
  created_at: Date;
  // joined
  line_code: string;
  line_name: string;
  plant_id: string;
  plant_code: string;
  plant_name: string;
  enterprise_code: string | null;
}

export type PointDataType = 'float' | 'integer' | 'boolean';

export interface PointRow {
  id: number;
  device_id: string;
  code: string;
  name: string;
  unit: string;
  data_type: PointDataType;
  range_min: number | null;
  range_max: number | null;
  sampling_ms: number | null;
  industrial_level: 1 | 2 | 3;
  auto_registered: boolean;
  created_at: Date;
  // joined
  device_code: string;
  org_id: string;
}

export interface StateRow {
  point_id: number;
  last_ts: Date | null;
  last_value: number | null;
  run_since: Date | null;
  run_count: number;
  mean: number | null;
  var: number | null;
  seen: number;
  open_events: Partial<Record<QualityKind, string>>;
}

export interface EventRow {
  id: string;
  point_id: number | null;
  device_id: string;
  kind: QualityKind;
  started_at: Date;
  ended_at: Date | null;
  samples: number;
  details: Record<string, unknown>;
  point_code: string | null;
  device_code: string;
  line_code: string;
}

export type Table = 'telemetry_raw' | 'telemetry_rollup_1m' | 'telemetry_rollup_1h';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
function bound(d: Date): string {
  const iso = d.toISOString();
  if (!ISO.test(iso)) throw new Error(`refused partition bound ${iso}`);
  return `'${iso}'`;
}

const SELECT_DEVICE = `
  SELECT d.*, l.code AS line_code, l.name AS line_name, p.id AS plant_id, p.code AS plant_code, p.name AS plant_name, s.enterprise_code
    FROM telemetry_devices d
    JOIN telemetry_lines l ON l.id = d.line_id
    JOIN telemetry_plants p ON p.id = l.plant_id
    LEFT JOIN telemetry_settings s ON s.org_id = d.org_id`;

const SELECT_POINT = `SELECT pt.*, d.code AS device_code, d.org_id FROM telemetry_points pt JOIN telemetry_devices d ON d.id = pt.device_id`;

/** One new sample as the writer stages it. */
export interface StagedSample {
  pointId: number;
  tsIso: string;
  value: number;
}

/** Folds per-bucket aggregates of new samples into a roll-up table (min, max, sum, count, last by time). */
function mergeRollup(table: 'telemetry_rollup_1m' | 'telemetry_rollup_1h', source: 'm' | 'h'): string {
  return `
           INSERT INTO ${table} AS r (point_id, bucket, min, max, sum, count, last, last_ts) SELECT * FROM ${source}
           ON CONFLICT (point_id, bucket) DO UPDATE SET min = LEAST(r.min, EXCLUDED.min), max = GREATEST(r.max, EXCLUDED.max),
             sum = r.sum + EXCLUDED.sum, count = r.count + EXCLUDED.count,
             last = CASE WHEN EXCLUDED.last_ts >= r.last_ts THEN EXCLUDED.last ELSE r.last END, last_ts = GREATEST(r.last_ts, EXCLUDED.last_ts)`;
}

export function telemetryRepo(db: Queryable) {
  return {
    /** The newest sample time of each telemetry set's points (sets without any sample are left out). */
    lastSamples: (datasetIds: string[]) =>
      db.query<{ dataset_id: string; last_ts: Date }>(
        `SELECT s.dataset_id, max(ps.last_ts) AS last_ts
           FROM telemetry_sets s
           JOIN telemetry_devices d ON d.org_id = s.org_id
           JOIN telemetry_lines l ON l.id = d.line_id
           JOIN telemetry_points p ON p.device_id = d.id
           JOIN telemetry_point_state ps ON ps.point_id = p.id
          WHERE s.dataset_id = ANY($1::uuid[]) AND (s.plant_id IS NULL OR l.plant_id = s.plant_id) AND ps.last_ts IS NOT NULL
          GROUP BY s.dataset_id`,
        [datasetIds],
      ),
    // ---- retention (a platform setting) and telemetry sets --------------------------------------
    /** The stored retention per industrial level (unparsed; the service checks it). */
    retentionSetting: async (key: string) => (await db.query<{ value: unknown }>('SELECT value FROM settings WHERE key = $1', [key]))[0]?.value,
    saveRetentionSetting: (key: string, value: unknown) =>
      db.query(
        `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [key, JSON.stringify(value)],
      ),
    setsOfOrg: (orgId: string) =>
      db.query<{ dataset_id: string; plant_id: string | null }>('SELECT dataset_id, plant_id FROM telemetry_sets WHERE org_id = $1', [orgId]),
    setOf: (datasetId: string) =>
      maybeOne<{ org_id: string; plant_id: string | null }>(db, 'SELECT org_id, plant_id FROM telemetry_sets WHERE dataset_id = $1', [datasetId]),
    insertSet: (datasetId: string, orgId: string, plantId: string | null) =>
      db.query('INSERT INTO telemetry_sets (dataset_id, org_id, plant_id) VALUES ($1, $2, $3)', [datasetId, orgId, plantId]),

    // ---- registry ------------------------------------------------------------------------------
    settings: (orgId: string) => maybeOne<SettingsRow>(db, 'SELECT org_id, enterprise_code, auto_register FROM telemetry_settings WHERE org_id = $1', [orgId]),
    settingsByCode: (code: string) =>
      maybeOne<SettingsRow>(db, 'SELECT org_id, enterprise_code, auto_register FROM telemetry_settings WHERE enterprise_code = $1', [code]),
    saveSettings: (s: { orgId: string; enterpriseCode: string; autoRegister: boolean }) =>
      db.query(
        `INSERT INTO telemetry_settings (org_id, enterprise_code, auto_register) VALUES ($1, $2, $3)
         ON CONFLICT (org_id) DO UPDATE SET enterprise_code = EXCLUDED.enterprise_code, auto_register = EXCLUDED.auto_register, updated_at = now()`,
        [s.orgId, s.enterpriseCode, s.autoRegister],
      ),
    insertPlant: (p: { id: string; orgId: string; code: string; name: string }) =>
      db.query('INSERT INTO telemetry_plants (id, org_id, code, name) VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, code) DO NOTHING RETURNING id', [
        p.id,
        p.orgId,
        p.code,
        p.name,
      ]),
    plants: (orgId: string) => db.query<PlantRow>('SELECT * FROM telemetry_plants WHERE org_id = $1 ORDER BY code', [orgId]),
    plantByCode: (orgId: string, code: string) => maybeOne<PlantRow>(db, 'SELECT * FROM telemetry_plants WHERE org_id = $1 AND code = $2', [orgId, code]),
    insertLine: (l: { id: string; plantId: string; code: string; name: string }) =>
      db.query('INSERT INTO telemetry_lines (id, plant_id, code, name) VALUES ($1, $2, $3, $4) ON CONFLICT (plant_id, code) DO NOTHING RETURNING id', [
        l.id,
        l.plantId,
        l.code,
        l.name,
      ]),
    lines: (orgId: string) =>
      db.query<LineRow & { plant_code: string; plant_name: string }>(
        `SELECT l.*, p.code AS plant_code, p.name AS plant_name FROM telemetry_lines l JOIN telemetry_plants p ON p.id = l.plant_id WHERE p.org_id = $1 ORDER BY p.code, l.code`,
        [orgId],
      ),
    lineByCode: (plantId: string, code: string) => maybeOne<LineRow>(db, 'SELECT * FROM telemetry_lines WHERE plant_id = $1 AND code = $2', [plantId, code]),

    insertDevice: (d: { id: string; orgId: string; lineId: string; code: string; name: string; maxPointsPerSecond: number }) =>
      db.query(
        `INSERT INTO telemetry_devices (id, org_id, line_id, code, name, max_points_per_second) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_id, code) DO NOTHING RETURNING id`,
        [d.id, d.orgId, d.lineId, d.code, d.name, d.maxPointsPerSecond],
      ),
    devices: (orgId: string) => db.query<DeviceRow>(`${SELECT_DEVICE} WHERE d.org_id = $1 ORDER BY p.code, l.code, d.code`, [orgId]),
    device: (id: string) => maybeOne<DeviceRow>(db, `${SELECT_DEVICE} WHERE d.id = $1`, [id]),
    deviceByCode: (orgId: string, code: string) => maybeOne<DeviceRow>(db, `${SELECT_DEVICE} WHERE d.org_id = $1 AND d.code = $2`, [orgId, code]),
    deviceByTokenPrefix: (prefix: string) => maybeOne<DeviceRow>(db, `${SELECT_DEVICE} WHERE d.token_prefix = $1`, [prefix]),
    setToken: (id: string, prefix: string, hash: string) =>
      db.query('UPDATE telemetry_devices SET token_prefix = $2, token_hash = $3, token_set_at = now() WHERE id = $1', [id, prefix, hash]),
    updateDevice: (id: string, d: { name: string; maxPointsPerSecond: number; state: 'active' | 'disabled' }) =>
      db.query('UPDATE telemetry_devices SET name = $2, max_points_per_second = $3, state = $4 WHERE id = $1', [id, d.name, d.maxPointsPerSecond, d.state]),
    touchDevices: (ids: string[], at: Date) =>
      db.query('UPDATE telemetry_devices SET last_seen_at = GREATEST(last_seen_at, $2) WHERE id = ANY($1::uuid[])', [ids, at]),

    insertPoint: (p: {
      deviceId: string;
      code: string;
      name: string;
      unit: string;
      dataType: PointDataType;
      rangeMin: number | null;
      rangeMax: number | null;
      samplingMs: number | null;
      level: number;
      auto: boolean;
    }) =>
      db.query<{ id: number }>(
        `INSERT INTO telemetry_points (device_id, code, name, unit, data_type, range_min, range_max, sampling_ms, industrial_level, auto_registered)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (device_id, code) DO NOTHING RETURNING id`,
        [p.deviceId, p.code, p.name, p.unit, p.dataType, p.rangeMin, p.rangeMax, p.samplingMs, p.level, p.auto],
      ),
    updatePoint: (
      id: number,
      p: { name: string; unit: string; dataType: PointDataType; rangeMin: number | null; rangeMax: number | null; samplingMs: number | null; level: number },
    ) =>
      db.query(
        `UPDATE telemetry_points SET name = $2, unit = $3, data_type = $4, range_min = $5, range_max = $6, sampling_ms = $7, industrial_level = $8, auto_registered = false WHERE id = $1`,
        [id, p.name, p.unit, p.dataType, p.rangeMin, p.rangeMax, p.samplingMs, p.level],
      ),
    pointsOfDevice: (deviceId: string) => db.query<PointRow>(`${SELECT_POINT} WHERE pt.device_id = $1 ORDER BY pt.code`, [deviceId]),
    pointsOfOrg: (orgId: string) => db.query<PointRow>(`${SELECT_POINT} WHERE d.org_id = $1 ORDER BY d.code, pt.code`, [orgId]),
    pointsByIds: (ids: number[]) => db.query<PointRow>(`${SELECT_POINT} WHERE pt.id = ANY($1::int[]) ORDER BY pt.id`, [ids]),
    /** Version stamp of an organisation's registry: any change to devices or points moves it. */
    registryStamp: async (deviceId: string) =>
      (
        await one<{ stamp: string }>(
          db,
          `SELECT count(*)::text || ':' || COALESCE(max(pt.id), 0)::text || ':' || COALESCE(max(extract(epoch from d.token_set_at)), 0)::text AS stamp
             FROM telemetry_devices d LEFT JOIN telemetry_points pt ON pt.device_id = d.id WHERE d.id = $1`,
          [deviceId],
        )
      ).stamp,

    // ---- partitions ------------------------------------------------------------------------------
    partitions: (parent: Table) =>
      db.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1 ORDER BY c.relname`,
        [parent],
      ),
    createPartition: (parent: Table, name: string, from: Date, to: Date) =>
      db.query(`CREATE TABLE IF NOT EXISTS ${ident(name)} PARTITION OF ${ident(parent)} FOR VALUES FROM (${bound(from)}) TO (${bound(to)})`),
    dropPartition: (name: string) => db.query(`DROP TABLE IF EXISTS ${ident(name)}`),
    /** Removes one table's rows of the given points older than a cutoff (grades with shorter retention). */
    deleteOlder: (table: Table, pointIds: number[], before: Date) =>
      db.query(`DELETE FROM ${ident(table)} WHERE point_id = ANY($1::int[]) AND ${table === 'telemetry_raw' ? 'ts' : 'bucket'} < $2`, [pointIds, before]),

    // ---- the write path (inside the writer's transaction) ------------------------------------------
    createStage: () =>
      db.query(
        `CREATE TEMP TABLE IF NOT EXISTS telemetry_stage (seq integer NOT NULL, point_id integer NOT NULL, ts timestamptz NOT NULL, value double precision NOT NULL) ON COMMIT DELETE ROWS`,
      ),
    /**
     * Moves the staged samples into the raw table, one value per point and instant (the first one
     * stored wins; a repeat is a duplicate), and merges exactly the new samples into the 1-minute and
     * 1-hour roll-ups, late ones included. Returns the new samples per point.
     */
    mergeStage: () =>
      db.query<{ point_id: number; n: number }>(
        `WITH staged AS (
           SELECT DISTINCT ON (point_id, ts) point_id, ts, value FROM telemetry_stage ORDER BY point_id, ts, seq
         ), ins AS (
           INSERT INTO telemetry_raw (point_id, ts, value) SELECT point_id, ts, value FROM staged
           ON CONFLICT (point_id, ts) DO NOTHING RETURNING point_id, ts, value
         ), m AS (
           SELECT point_id, date_trunc('minute', ts) AS bucket, min(value) AS min, max(value) AS max, sum(value) AS sum, count(*)::int AS count,
                  (array_agg(value ORDER BY ts DESC))[1] AS last, max(ts) AS last_ts
             FROM ins GROUP BY 1, 2
         ), up_m AS (${mergeRollup('telemetry_rollup_1m', 'm')}
         ), h AS (
           SELECT point_id, date_trunc('hour', bucket) AS bucket, min(min) AS min, max(max) AS max, sum(sum) AS sum, sum(count)::int AS count,
                  (array_agg(last ORDER BY last_ts DESC))[1] AS last, max(last_ts) AS last_ts
             FROM m GROUP BY 1, 2
         ), up_h AS (${mergeRollup('telemetry_rollup_1h', 'h')}
         )
         SELECT point_id, count(*)::int AS n FROM ins GROUP BY point_id`,
      ),
    /** Locks the quality state of the batch's points (made when missing), in id order across processes. */
    async lockStates(pointIds: number[]): Promise<StateRow[]> {
      await db.query('INSERT INTO telemetry_point_state (point_id) SELECT unnest($1::int[]) ON CONFLICT (point_id) DO NOTHING', [pointIds]);
      return db.query<StateRow>('SELECT * FROM telemetry_point_state WHERE point_id = ANY($1::int[]) ORDER BY point_id FOR UPDATE', [pointIds]);
    },
    saveStates: (s: {
      ids: number[];
      lastTs: (string | null)[];
      lastValue: (number | null)[];
      runSince: (string | null)[];
      runCount: number[];
      mean: (number | null)[];
      variance: (number | null)[];
      seen: number[];
      open: string[];
    }) =>
      db.query(
        `UPDATE telemetry_point_state t SET last_ts = u.last_ts, last_value = u.last_value, run_since = u.run_since, run_count = u.run_count,
                mean = u.mean, var = u.var, seen = u.seen, open_events = u.open::jsonb, updated_at = now()
           FROM unnest($1::int[], $2::timestamptz[], $3::float8[], $4::timestamptz[], $5::int[], $6::float8[], $7::float8[], $8::int8[], $9::text[])
             AS u(point_id, last_ts, last_value, run_since, run_count, mean, var, seen, open)
          WHERE t.point_id = u.point_id`,
        [s.ids, s.lastTs, s.lastValue, s.runSince, s.runCount, s.mean, s.variance, s.seen, s.open],
      ),
    openEvent: (e: {
      id: string;
      pointId: number | null;
      deviceId: string;
      kind: QualityKind;
      startedAt: Date;
      endedAt: Date | null;
      samples: number;
      details: Record<string, unknown>;
    }) =>
      db.query(
        `INSERT INTO telemetry_quality_events (id, point_id, device_id, kind, started_at, ended_at, samples, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [e.id, e.pointId, e.deviceId, e.kind, e.startedAt, e.endedAt, e.samples, JSON.stringify(e.details)],
      ),
    extendEvent: (id: string, samples: number, details: Record<string, unknown> | undefined) =>
      db.query(`UPDATE telemetry_quality_events SET samples = samples + $2, details = details || $3::jsonb, updated_at = now() WHERE id = $1`, [
        id,
        samples,
        JSON.stringify(details ?? {}),
      ]),
    closeEvent: (id: string, at: Date) =>
      db.query('UPDATE telemetry_quality_events SET ended_at = $2, updated_at = now() WHERE id = $1 AND ended_at IS NULL', [id, at]),
    addQualityHours: (rows: { pointIds: number[]; hours: string[]; samples: number[]; bad: number[] }) =>
      db.query(
        `INSERT INTO telemetry_quality_hourly AS q (point_id, hour, samples, bad)
         SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::int[], $4::int[])
         ON CONFLICT (point_id, hour) DO UPDATE SET samples = q.samples + EXCLUDED.samples, bad = q.bad + EXCLUDED.bad`,
        [rows.pointIds, rows.hours, rows.samples, rows.bad],
      ),
    addIngestMinutes: (rows: {
      deviceIds: string[];
      orgIds: string[];
      minute: Date;
      points: number[];
      duplicates: number[];
      lagSum: number[];
      lagMax: number[];
    }) =>
      db.query(
        `INSERT INTO telemetry_ingest_minutes AS m (device_id, org_id, minute, points, duplicates, lag_ms_sum, lag_ms_max)
         SELECT d, o, $3, p, dup, ls, lm FROM unnest($1::uuid[], $2::uuid[], $4::int8[], $5::int8[], $6::float8[], $7::float8[]) AS u(d, o, p, dup, ls, lm)
         ON CONFLICT (device_id, minute) DO UPDATE SET points = m.points + EXCLUDED.points, duplicates = m.duplicates + EXCLUDED.duplicates,
           lag_ms_sum = m.lag_ms_sum + EXCLUDED.lag_ms_sum, lag_ms_max = GREATEST(m.lag_ms_max, EXCLUDED.lag_ms_max)`,
        [rows.deviceIds, rows.orgIds, rows.minute, rows.points, rows.duplicates, rows.lagSum, rows.lagMax],
      ),
    quarantine: (rows: { deviceIds: string[]; codes: string[]; ts: string[]; values: number[]; units: string[] }) =>
      db.query(
        `INSERT INTO telemetry_quarantine (device_id, point_code, ts, value, unit)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::float8[], $5::text[]) ON CONFLICT DO NOTHING`,
        [rows.deviceIds, rows.codes, rows.ts, rows.values, rows.units],
      ),
    /** Moves a newly registered point's quarantined samples into the stage of this transaction. */
    releaseQuarantine: (deviceId: string, code: string) =>
      db.query<{ ts: Date; us: number; value: number }>(
        `DELETE FROM telemetry_quarantine WHERE device_id = $1 AND point_code = $2 RETURNING ts, (extract(epoch from ts) * 1000000)::int8 AS us, value`,
        [deviceId, code],
      ),

    addRejection: (r: { subject: string; hour: Date; reason: string; orgId: string | null; deviceId: string | null; detail: string }) =>
      db.query(
        `INSERT INTO telemetry_rejections AS r (subject, hour, reason, org_id, device_id, count, last_detail) VALUES ($1, $2, $3, $4, $5, 1, $6)
         ON CONFLICT (subject, hour, reason) DO UPDATE SET count = r.count + 1, last_at = now(), last_detail = EXCLUDED.last_detail`,
        [r.subject, r.hour, r.reason, r.orgId, r.deviceId, r.detail],
      ),

    // ---- reading ------------------------------------------------------------------------------------
    raw: (pointIds: number[], from: Date, to: Date, limit: number) =>
      db.query<{ point_id: number; us: number; value: number }>(
        `SELECT point_id, (extract(epoch from ts) * 1000000)::int8 AS us, value FROM telemetry_raw
          WHERE point_id = ANY($1::int[]) AND ts >= $2 AND ts < $3 ORDER BY point_id, ts LIMIT $4`,
        [pointIds, from, to, limit],
      ),
    rollup: (table: 'telemetry_rollup_1m' | 'telemetry_rollup_1h', pointIds: number[], from: Date, to: Date, limit: number) =>
      db.query<{ point_id: number; bucket: Date; min: number; max: number; avg: number; last: number; count: number }>(
        `SELECT point_id, bucket, min, max, sum / count AS avg, last, count FROM ${ident(table)}
          WHERE point_id = ANY($1::int[]) AND bucket >= $2 AND bucket < $3 ORDER BY point_id, bucket LIMIT $4`,
        [pointIds, from, to, limit],
      ),
    /** The same hourly aggregate computed from raw samples (benchmark and consistency checks). */
    hourlyFromRaw: (pointIds: number[], from: Date, to: Date) =>
      db.query<{ point_id: number; bucket: Date; min: number; max: number; avg: number; last: number; count: number }>(
        `SELECT point_id, date_trunc('hour', ts) AS bucket, min(value) AS min, max(value) AS max, avg(value) AS avg,
                (array_agg(value ORDER BY ts DESC))[1] AS last, count(*)::int AS count
           FROM telemetry_raw WHERE point_id = ANY($1::int[]) AND ts >= $2 AND ts < $3 GROUP BY 1, 2 ORDER BY 1, 2`,
        [pointIds, from, to],
      ),
    latest: (pointIds: number[]) =>
      db.query<{ point_id: number; last_ts: Date | null; last_value: number | null }>(
        'SELECT point_id, last_ts, last_value FROM telemetry_point_state WHERE point_id = ANY($1::int[])',
        [pointIds],
      ),
    states: (pointIds: number[]) => db.query<StateRow>('SELECT * FROM telemetry_point_state WHERE point_id = ANY($1::int[])', [pointIds]),

    events: (orgId: string, filter: { deviceId?: string; kind?: string; open?: boolean }, limit: number) =>
      db.query<EventRow>(
        `SELECT e.*, pt.code AS point_code, d.code AS device_code, l.code AS line_code
           FROM telemetry_quality_events e JOIN telemetry_devices d ON d.id = e.device_id JOIN telemetry_lines l ON l.id = d.line_id
           LEFT JOIN telemetry_points pt ON pt.id = e.point_id
          WHERE d.org_id = $1 AND ($2::uuid IS NULL OR e.device_id = $2) AND ($3::text IS NULL OR e.kind = $3) AND ($4::boolean IS NULL OR (e.ended_at IS NULL) = $4)
          ORDER BY e.started_at DESC LIMIT $5`,
        [orgId, filter.deviceId ?? null, filter.kind ?? null, filter.open ?? null, limit],
      ),
    eventCounts: (orgId: string, since: Date) =>
      db.query<{ kind: QualityKind; hour: Date; n: number }>(
        `SELECT e.kind, date_trunc('hour', e.started_at) AS hour, count(*)::int AS n FROM telemetry_quality_events e JOIN telemetry_devices d ON d.id = e.device_id
          WHERE d.org_id = $1 AND e.started_at >= $2 GROUP BY 1, 2 ORDER BY 2`,
        [orgId, since],
      ),
    /** Samples (from the hourly roll-up) and bad samples per point over a window, for the score. */
    qualityWindow: (orgId: string, since: Date) =>
      db.query<{
        point_id: number;
        device_id: string;
        line_id: string;
        sampling_ms: number | null;
        created_at: Date;
        samples: number;
        bad: number;
        open_events: number;
      }>(
        `SELECT pt.id AS point_id, pt.device_id, d.line_id, pt.sampling_ms, pt.created_at,
                COALESCE((SELECT sum(count) FROM telemetry_rollup_1h r WHERE r.point_id = pt.id AND r.bucket >= $2), 0)::int8 AS samples,
                COALESCE((SELECT sum(bad) FROM telemetry_quality_hourly q WHERE q.point_id = pt.id AND q.hour >= $2), 0)::int8 AS bad,
                (SELECT count(*) FROM telemetry_quality_events e WHERE e.point_id = pt.id AND e.ended_at IS NULL)::int AS open_events
           FROM telemetry_points pt JOIN telemetry_devices d ON d.id = pt.device_id WHERE d.org_id = $1`,
        [orgId, since],
      ),
    /** States of every point with a sampling interval, for the live silence check. */
    silenceCandidates: (before: Date) =>
      db.query<StateRow & { device_id: string; sampling_ms: number; range_min: number | null; range_max: number | null }>(
        `SELECT s.*, pt.device_id, pt.sampling_ms, pt.range_min, pt.range_max FROM telemetry_point_state s JOIN telemetry_points pt ON pt.id = s.point_id
          WHERE pt.sampling_ms IS NOT NULL AND s.last_ts < $1 AND NOT (s.open_events ? 'gap')`,
        [before],
      ),
    markGapOpen: (pointId: number, eventId: string) =>
      db.query(
        `UPDATE telemetry_point_state SET open_events = open_events || jsonb_build_object('gap', $2::text) WHERE point_id = $1 AND NOT (open_events ? 'gap')`,
        [pointId, eventId],
      ),

    rejections: (orgId: string, since: Date) =>
      db.query<{ device_id: string | null; device_code: string | null; reason: string; count: number; last_at: Date; last_detail: string }>(
        `SELECT r.device_id, d.code AS device_code, r.reason, sum(r.count)::int8 AS count, max(r.last_at) AS last_at,
                (array_agg(r.last_detail ORDER BY r.last_at DESC))[1] AS last_detail
           FROM telemetry_rejections r LEFT JOIN telemetry_devices d ON d.id = r.device_id
          WHERE r.org_id = $1 AND r.hour >= $2 GROUP BY r.device_id, d.code, r.reason ORDER BY count DESC`,
        [orgId, since],
      ),
    ingestMinutes: (orgId: string, since: Date) =>
      db.query<{ minute: Date; points: number; duplicates: number; lag_ms_avg: number | null; lag_ms_max: number }>(
        `SELECT minute, sum(points)::int8 AS points, sum(duplicates)::int8 AS duplicates, (sum(lag_ms_sum) / NULLIF(count(*), 0))::float8 AS lag_ms_avg, max(lag_ms_max) AS lag_ms_max
           FROM telemetry_ingest_minutes WHERE org_id = $1 AND minute >= $2 GROUP BY minute ORDER BY minute`,
        [orgId, since],
      ),
    unknownPoints: (orgId: string) =>
      db.query<{ device_id: string; device_code: string; point_code: string; unit: string; samples: number; first_ts: Date; last_ts: Date }>(
        `SELECT q.device_id, d.code AS device_code, q.point_code, max(q.unit) AS unit, count(*)::int AS samples, min(q.ts) AS first_ts, max(q.ts) AS last_ts
           FROM telemetry_quarantine q JOIN telemetry_devices d ON d.id = q.device_id WHERE d.org_id = $1 GROUP BY 1, 2, 3 ORDER BY 2, 3`,
        [orgId],
      ),
    quarantineSpan: (orgId: string) =>
      one<{ min: number | null; max: number | null }>(
        db,
        `SELECT (extract(epoch from min(q.ts)) * 1000000)::int8 AS min, (extract(epoch from max(q.ts)) * 1000000)::int8 AS max
           FROM telemetry_quarantine q JOIN telemetry_devices d ON d.id = q.device_id WHERE d.org_id = $1`,
        [orgId],
      ),
    /** Per enterprise (by organisation id; the service names them): devices, devices heard in the last minute, samples in the last minute, open quality events. */
    summary: () =>
      db.query<{ org_id: string; devices: number; live_devices: number; points_last_minute: number; open_events: number }>(
        `SELECT d.org_id, count(d.id)::int AS devices,
                count(d.id) FILTER (WHERE d.last_seen_at > now() - interval '1 minute')::int AS live_devices,
                COALESCE((SELECT sum(m.points) FROM telemetry_ingest_minutes m WHERE m.org_id = d.org_id AND m.minute >= date_trunc('minute', now()) - interval '1 minute'), 0)::int8 AS points_last_minute,
                (SELECT count(*) FROM telemetry_quality_events e JOIN telemetry_devices x ON x.id = e.device_id WHERE x.org_id = d.org_id AND e.ended_at IS NULL)::int AS open_events
           FROM telemetry_devices d GROUP BY d.org_id`,
      ),
    expireQuarantine: (before: Date) => db.query('DELETE FROM telemetry_quarantine WHERE received_at < $1', [before]),
    expireStats: (before: Date) =>
      Promise.all([
        db.query('DELETE FROM telemetry_ingest_minutes WHERE minute < $1', [before]),
        db.query('DELETE FROM telemetry_rejections WHERE hour < $1', [before]),
      ]),
    pointLevels: () => db.query<{ id: number; industrial_level: number }>('SELECT id, industrial_level FROM telemetry_points'),
  };
}

export type TelemetryRepo = ReturnType<typeof telemetryRepo>;
