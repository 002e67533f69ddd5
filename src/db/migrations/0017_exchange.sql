-- Database exchange (库表汇聚与交换, issue 16): departments' databases registered as data sources, and
-- datasets bound to a table of one, loaded on a schedule through the ingest pipeline.

-- A department database. The password is sealed under the master key (the keyring's platform data
-- key); no API, log or export returns it.
CREATE TABLE exchange_sources (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations (id),
  name text NOT NULL,
  -- A connector kind (src/modules/exchange/connector.ts).
  kind text NOT NULL,
  host text NOT NULL,
  port integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  database text NOT NULL,
  username text NOT NULL,
  password_sealed bytea NOT NULL,
  tls text NOT NULL CHECK (tls IN ('verify-full', 'require', 'off')),
  -- PEM of the CA that signs the server's certificate (verify-full).
  tls_ca text,
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled')),
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);

-- A dataset fed from one source table or view. At most one binding per dataset.
CREATE TABLE exchange_bindings (
  id uuid PRIMARY KEY,
  dataset_id uuid NOT NULL UNIQUE REFERENCES datasets (id),
  source_id uuid NOT NULL REFERENCES exchange_sources (id),
  source_schema text NOT NULL,
  source_table text NOT NULL,
  -- The source table's columns (name, type) when bound: a run whose source differs stops (drift).
  source_columns jsonb NOT NULL,
  -- Loaded columns: [{ source, name }] (source column → the dataset's 信息项 name).
  mapping jsonb NOT NULL,
  mode text NOT NULL CHECK (mode IN ('replace', 'incremental')),
  cursor_column text,
  key_column text,
  interval_minutes integer CHECK (interval_minutes IS NULL OR interval_minutes >= 1),
  next_run_at timestamptz,
  -- incremental: the greatest cursor value of the committed versions (text as the source prints it).
  high_water text,
  last_version integer,
  -- The queued or running sync job, so the schedule never queues a second one.
  pending_job uuid,
  consecutive_failures integer NOT NULL DEFAULT 0,
  last_error jsonb,
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused')),
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (mode <> 'incremental' OR cursor_column IS NOT NULL)
);
CREATE INDEX exchange_bindings_due ON exchange_bindings (next_run_at) WHERE state = 'active';
