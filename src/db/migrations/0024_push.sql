-- Push subscriptions (库表推送, issue 16 point 3): a consumer organisation registers a database of its
-- own as a target and subscribes, on an active grant, to have the granted view delivered into a
-- table there on a schedule.

-- A target is a registered database like a source (same connection fields, password sealed under the
-- master key, egress guard): `purpose` tells the two apart. Sources are read by sync runs; targets
-- are written by deliveries and are managed by the consumer's users.
ALTER TABLE exchange_sources ADD COLUMN purpose text NOT NULL DEFAULT 'source' CHECK (purpose IN ('source', 'target'));

CREATE TABLE exchange_subscriptions (
  id uuid PRIMARY KEY,
  -- The consumer organisation; the grant is one of its grants.
  org_id uuid NOT NULL REFERENCES organizations (id),
  grant_id uuid NOT NULL REFERENCES share_grants (id),
  dataset_id uuid NOT NULL REFERENCES datasets (id),
  target_id uuid NOT NULL REFERENCES exchange_sources (id),
  -- Where rows go: schema (PostgreSQL; MySQL uses the target's database) and table, both plain
  -- identifiers checked by the service; pdx creates the table when it is missing.
  target_schema text NOT NULL,
  target_table text NOT NULL,
  -- full: each delivery replaces the table's content in one target transaction.
  -- incremental: only rows appended by versions after the last delivered one (see push.service.ts).
  mode text NOT NULL CHECK (mode IN ('full', 'incremental')),
  interval_minutes integer NOT NULL CHECK (interval_minutes >= 1),
  next_run_at timestamptz,
  -- active: delivered on schedule; paused: by its users; stopped: the grant is gone (revoked,
  -- expired), never resumed (stop_reason says why).
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'stopped')),
  stop_reason jsonb,
  -- The dataset version and the greatest row number (_row) of the last committed delivery.
  last_version integer,
  last_row bigint,
  last_delivered_at timestamptz,
  pending_job uuid,
  consecutive_failures integer NOT NULL DEFAULT 0,
  last_error jsonb,
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Two subscriptions writing one table would overwrite each other.
  UNIQUE (target_id, target_schema, target_table)
);
CREATE INDEX exchange_subscriptions_due ON exchange_subscriptions (next_run_at) WHERE state = 'active';
CREATE INDEX exchange_subscriptions_org ON exchange_subscriptions (org_id);

-- The history of deliveries of a subscription: rows, duration, error.
CREATE TABLE exchange_deliveries (
  id uuid PRIMARY KEY,
  subscription_id uuid NOT NULL REFERENCES exchange_subscriptions (id) ON DELETE CASCADE,
  job_id uuid,
  -- running; delivered (committed at the target); unchanged (nothing new, nothing written);
  -- failed (nothing committed; retried with backoff); refused (containment; nothing read);
  -- stopped (the grant is gone).
  status text NOT NULL CHECK (status IN ('running', 'delivered', 'unchanged', 'failed', 'refused', 'stopped')),
  mode text CHECK (mode IN ('full', 'incremental')),
  version integer,
  rows bigint NOT NULL DEFAULT 0,
  error jsonb,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  duration_ms integer
);
CREATE INDEX exchange_deliveries_subscription ON exchange_deliveries (subscription_id, started_at DESC);
