-- Industrial telemetry (工业大数据, issue 19): registry of plants, lines, devices and points; raw
-- samples partitioned by day; 1-minute and 1-hour roll-ups; quality state and events; rejected
-- payloads; unknown points held in quarantine. Plus the two small extensions other modules need:
-- a resource kind in the catalogue and the time-series terms of a share request and grant.

-- The catalogue holds tables (loaded versions) and telemetry sets (series of points).
ALTER TABLE datasets ADD COLUMN resource_kind text NOT NULL DEFAULT 'table';
ALTER TABLE datasets ADD CONSTRAINT datasets_resource_kind_check CHECK (resource_kind IN ('table', 'telemetry'));

-- Terms of a telemetry grant: finest resolution, data time window, devices (all their points).
ALTER TABLE share_requests ADD COLUMN series_terms jsonb;
ALTER TABLE share_grants ADD COLUMN series_terms jsonb;

-- One row per enterprise that sends telemetry: its topic code and whether unknown points register themselves.
CREATE TABLE telemetry_settings (
  org_id uuid PRIMARY KEY REFERENCES organizations (id),
  -- The {enterprise} segment of MQTT topics and device user names.
  enterprise_code text NOT NULL UNIQUE CHECK (enterprise_code ~ '^[a-z0-9][a-z0-9-]{1,31}$'),
  auto_register boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE telemetry_plants (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations (id),
  code text NOT NULL CHECK (code ~ '^[A-Za-z0-9_.-]{1,64}$'),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, code)
);

CREATE TABLE telemetry_lines (
  id uuid PRIMARY KEY,
  plant_id uuid NOT NULL REFERENCES telemetry_plants (id),
  code text NOT NULL CHECK (code ~ '^[A-Za-z0-9_.-]{1,64}$'),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (plant_id, code)
);

CREATE TABLE telemetry_devices (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations (id),
  line_id uuid NOT NULL REFERENCES telemetry_lines (id),
  code text NOT NULL CHECK (code ~ '^[A-Za-z0-9_.-]{1,64}$'),
  name text NOT NULL,
  -- Device token `pdxd_<prefix>_<secret>`: the prefix finds the row, SHA-256 of the whole token checks it.
  token_prefix text UNIQUE,
  token_hash text,
  token_set_at timestamptz,
  -- Points per second above which the device is throttled (and an alert raised).
  max_points_per_second integer NOT NULL DEFAULT 2000 CHECK (max_points_per_second > 0),
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled')),
  last_seen_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, code)
);
CREATE INDEX telemetry_devices_line_idx ON telemetry_devices (line_id);

-- 测点. A small integer id keeps the sample tables narrow.
CREATE TABLE telemetry_points (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id uuid NOT NULL REFERENCES telemetry_devices (id),
  code text NOT NULL CHECK (code ~ '^[A-Za-z0-9_.-]{1,64}$'),
  name text NOT NULL,
  unit text NOT NULL DEFAULT '',
  data_type text NOT NULL DEFAULT 'float' CHECK (data_type IN ('float', 'integer', 'boolean')),
  range_min double precision,
  range_max double precision,
  sampling_ms integer CHECK (sampling_ms > 0),
  -- 工业数据分类分级指南(试行) 一级/二级/三级; the pdx grade is derived (1→2, 2→3, 3→4).
  industrial_level smallint NOT NULL DEFAULT 1 CHECK (industrial_level BETWEEN 1 AND 3),
  -- Registered by the enterprise's auto-registration rather than by an officer.
  auto_registered boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (device_id, code)
);

-- Raw samples: one value per point and instant; daily partitions made ahead and dropped by retention.
CREATE TABLE telemetry_raw (
  point_id integer NOT NULL,
  ts timestamptz NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (point_id, ts)
) PARTITION BY RANGE (ts);
CREATE INDEX telemetry_raw_ts_brin ON telemetry_raw USING brin (ts);

-- Roll-ups, merged incrementally from each batch's new samples (late samples included).
CREATE TABLE telemetry_rollup_1m (
  point_id integer NOT NULL,
  bucket timestamptz NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  sum double precision NOT NULL,
  count integer NOT NULL,
  last double precision NOT NULL,
  last_ts timestamptz NOT NULL,
  PRIMARY KEY (point_id, bucket)
) PARTITION BY RANGE (bucket);
CREATE INDEX telemetry_rollup_1m_bucket_brin ON telemetry_rollup_1m USING brin (bucket);

CREATE TABLE telemetry_rollup_1h (LIKE telemetry_rollup_1m INCLUDING DEFAULTS, PRIMARY KEY (point_id, bucket)) PARTITION BY RANGE (bucket);
CREATE INDEX telemetry_rollup_1h_bucket_brin ON telemetry_rollup_1h USING brin (bucket);

-- What the quality checks remember of each point between batches.
CREATE TABLE telemetry_point_state (
  point_id integer PRIMARY KEY REFERENCES telemetry_points (id),
  last_ts timestamptz,
  last_value double precision,
  -- The current run of identical values (stuck detection).
  run_since timestamptz,
  run_count integer NOT NULL DEFAULT 0,
  -- Exponentially weighted mean and variance (spike z-score) and how many samples they have seen.
  mean double precision,
  var double precision,
  seen bigint NOT NULL DEFAULT 0,
  -- Open quality events by kind (kind → event id).
  open_events jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE telemetry_quality_events (
  id uuid PRIMARY KEY,
  point_id integer REFERENCES telemetry_points (id),
  device_id uuid NOT NULL REFERENCES telemetry_devices (id),
  kind text NOT NULL CHECK (kind IN ('gap', 'out_of_range', 'stuck', 'spike', 'future_timestamp', 'clock_skew', 'unit_mismatch', 'unknown_point')),
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  samples integer NOT NULL DEFAULT 1,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX telemetry_quality_events_device_idx ON telemetry_quality_events (device_id, started_at DESC);
CREATE INDEX telemetry_quality_events_point_idx ON telemetry_quality_events (point_id, started_at DESC);

-- Samples and bad samples per point and hour: the base of the quality score.
CREATE TABLE telemetry_quality_hourly (
  point_id integer NOT NULL REFERENCES telemetry_points (id),
  hour timestamptz NOT NULL,
  samples integer NOT NULL DEFAULT 0,
  bad integer NOT NULL DEFAULT 0,
  PRIMARY KEY (point_id, hour)
);

-- Payloads refused, counted per sender, hour and reason, with the last example's explanation.
CREATE TABLE telemetry_rejections (
  subject text NOT NULL,
  hour timestamptz NOT NULL,
  reason text NOT NULL,
  org_id uuid,
  device_id uuid,
  count bigint NOT NULL DEFAULT 0,
  last_at timestamptz NOT NULL DEFAULT now(),
  last_detail text NOT NULL DEFAULT '',
  PRIMARY KEY (subject, hour, reason)
);
CREATE INDEX telemetry_rejections_org_idx ON telemetry_rejections (org_id, hour DESC);

-- Accepted samples per device and minute (points/s and lag of the ingestion status, on every process).
CREATE TABLE telemetry_ingest_minutes (
  device_id uuid NOT NULL,
  minute timestamptz NOT NULL,
  org_id uuid NOT NULL,
  points bigint NOT NULL DEFAULT 0,
  duplicates bigint NOT NULL DEFAULT 0,
  lag_ms_sum double precision NOT NULL DEFAULT 0,
  lag_ms_max double precision NOT NULL DEFAULT 0,
  PRIMARY KEY (device_id, minute)
);
CREATE INDEX telemetry_ingest_minutes_org_idx ON telemetry_ingest_minutes (org_id, minute DESC);

-- Samples of points the registry does not know, kept until registered (then moved) or expired.
CREATE TABLE telemetry_quarantine (
  device_id uuid NOT NULL REFERENCES telemetry_devices (id),
  point_code text NOT NULL,
  ts timestamptz NOT NULL,
  value double precision NOT NULL,
  unit text NOT NULL DEFAULT '',
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, point_code, ts)
);

-- A telemetry set: the catalogue resource that shares the points of an enterprise (or of one plant).
CREATE TABLE telemetry_sets (
  dataset_id uuid PRIMARY KEY REFERENCES datasets (id),
  org_id uuid NOT NULL REFERENCES organizations (id),
  plant_id uuid REFERENCES telemetry_plants (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
