-- Security operations (监测 / 防护 / 预警 / 处置): the detectors' position in the audit log, per-consumer
-- hourly usage (the baseline of the volume detector), alerts with their evidence, automatic and manual
-- containment, notification deliveries (webhook, e-mail) with retries, and incidents with a timeline
-- and reporting clocks. Settings live in `settings` under the key 'secops.settings'.

-- Containment state the authentication path honours on every process (identity.authenticateApiKey).
ALTER TABLE api_keys ADD COLUMN suspended_at timestamptz, ADD COLUMN throttled_until timestamptz;

-- Where each follower of the audit log has got to. A batch is processed in the transaction that holds
-- this row FOR UPDATE and then moves it, so two processes never handle the same record twice.
CREATE TABLE secops_cursor (
  name text PRIMARY KEY,
  seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Start at the current end of the log: a new installation does not replay (and contain) old history.
INSERT INTO secops_cursor (name, seq) SELECT 'detectors', COALESCE(max(seq), 0) FROM audit_records;
INSERT INTO secops_cursor (name, seq) VALUES ('audit_verify', 0);

-- Rows (and rows of 3级/4级 columns) read per consumer and hour, by the hour of the event.
CREATE TABLE secops_usage (
  subject text NOT NULL,
  hour timestamptz NOT NULL,
  rows bigint NOT NULL DEFAULT 0,
  sensitive_rows bigint NOT NULL DEFAULT 0,
  requests integer NOT NULL DEFAULT 0,
  org_id text,
  PRIMARY KEY (subject, hour)
);

CREATE TABLE secops_alerts (
  id uuid PRIMARY KEY,
  detector text NOT NULL,
  -- What the alert is about (an API key id, a username, an IP, a dataset code …): the grouping key.
  subject text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('general', 'significant', 'major', 'critical')),
  state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'closed')),
  title jsonb NOT NULL,
  summary jsonb NOT NULL,
  facts jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Audit sequence numbers that are the evidence (the first hundred).
  evidence bigint[] NOT NULL DEFAULT '{}',
  hits integer NOT NULL DEFAULT 1,
  dataset text,
  org_id text,
  incident_id uuid,
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  acknowledged_by uuid,
  closed_by uuid
);
CREATE INDEX secops_alerts_group_idx ON secops_alerts (detector, subject, last_seen DESC);
CREATE INDEX secops_alerts_updated_idx ON secops_alerts (updated_at);

-- Every hit of a detector (also those folded into an existing alert): the dashboard's time series.
CREATE TABLE secops_hits (
  id bigserial PRIMARY KEY,
  detector text NOT NULL,
  alert_id uuid NOT NULL REFERENCES secops_alerts (id),
  seq bigint,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX secops_hits_at_idx ON secops_hits (at);

-- Containment in force while lifted_at is null and until is null or in the future. The sharing
-- module asks isContained(db, …) (suspend_grant, freeze_dataset, suspend_key, throttle_key).
CREATE TABLE secops_containments (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('throttle_key', 'suspend_key', 'suspend_grant', 'freeze_dataset', 'lock_account')),
  target_id text NOT NULL,
  target_label text,
  alert_id uuid REFERENCES secops_alerts (id),
  reason jsonb NOT NULL,
  automatic boolean NOT NULL,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  until timestamptz,
  lifted_at timestamptz,
  lifted_by uuid,
  lift_reason text
);
CREATE INDEX secops_containments_target_idx ON secops_containments (kind, target_id) WHERE lifted_at IS NULL;

-- One row per notification to send outside pdx; processes claim due rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE secops_deliveries (
  id uuid PRIMARY KEY,
  alert_id uuid REFERENCES secops_alerts (id),
  incident_id uuid,
  channel text NOT NULL CHECK (channel IN ('webhook', 'email')),
  target text NOT NULL,
  payload jsonb NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_at timestamptz NOT NULL DEFAULT now(),
  last_status integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);
CREATE INDEX secops_deliveries_due_idx ON secops_deliveries (next_at) WHERE state = 'pending';

CREATE TABLE secops_incidents (
  id uuid PRIMARY KEY,
  title text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('general', 'significant', 'major', 'critical')),
  -- 发现 → 研判 → 处置 → 恢复 → 总结
  state text NOT NULL DEFAULT 'discovered' CHECK (state IN ('discovered', 'analysing', 'handling', 'recovering', 'closed')),
  owner_id uuid REFERENCES users (id),
  description text NOT NULL DEFAULT '',
  summary text NOT NULL DEFAULT '',
  opened_at timestamptz NOT NULL DEFAULT now(),
  -- Reporting clock (国家网络安全事件报告管理办法): first report for 较大 and above, final report.
  first_report_due timestamptz,
  first_reported_at timestamptz,
  first_warned_at timestamptz,
  final_report_due timestamptz,
  final_reported_at timestamptz,
  final_warned_at timestamptz,
  closed_at timestamptz,
  created_by uuid
);

CREATE TABLE secops_incident_events (
  id bigserial PRIMARY KEY,
  incident_id uuid NOT NULL REFERENCES secops_incidents (id),
  at timestamptz NOT NULL DEFAULT now(),
  actor_id uuid,
  actor_name text,
  -- opened, state, action, note, owner, report, alert, warning
  kind text NOT NULL,
  text text NOT NULL DEFAULT '',
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX secops_incident_events_idx ON secops_incident_events (incident_id, id);
