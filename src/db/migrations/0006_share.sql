-- Sharing (共享): requests, two-level approval, grants with per-column modes, usage counters shared
-- by every pdx process, export files, and console notifications.

CREATE TABLE share_requests (
  id uuid PRIMARY KEY,
  dataset_id uuid NOT NULL REFERENCES datasets (id),
  consumer_org_id uuid NOT NULL REFERENCES organizations (id),
  requested_by uuid NOT NULL REFERENCES users (id),
  -- 信息项 names asked for (catalogue names, never physical names).
  columns text[] NOT NULL,
  purpose text NOT NULL,
  purpose_category text NOT NULL,
  legal_basis text NOT NULL,
  end_date date NOT NULL,
  expected_rows_per_day integer,
  -- The rows the consumer asks for, in the filter language of the data API (parsed AST).
  requested_filter jsonb,
  state text NOT NULL DEFAULT 'submitted'
    CHECK (state IN ('submitted', 'provider_approved', 'active', 'rejected', 'expired', 'revoked')),
  -- Decided at submission: a 4级 column or a 重要数据 candidate needs the security administrator too.
  needs_security boolean NOT NULL,
  -- The provider's decision: per-column modes, row filter, end date, quotas, IP ranges, assessment.
  terms jsonb,
  provider_decided_by uuid REFERENCES users (id),
  provider_decided_at timestamptz,
  provider_note text,
  security_decided_by uuid REFERENCES users (id),
  security_decided_at timestamptz,
  security_note text,
  grant_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX share_requests_dataset_idx ON share_requests (dataset_id);
CREATE INDEX share_requests_consumer_idx ON share_requests (consumer_org_id);

CREATE TABLE share_grants (
  id uuid PRIMARY KEY,
  dataset_id uuid NOT NULL REFERENCES datasets (id),
  consumer_org_id uuid NOT NULL REFERENCES organizations (id),
  request_id uuid REFERENCES share_requests (id),
  -- 无条件共享: made on first use by a consumer organisation, with each column's default masking.
  automatic boolean NOT NULL DEFAULT false,
  -- [{ "name": 信息项, "mode": clear|masked|pseudonym|generalized|verify|hidden, "generalize": {…} }]
  columns jsonb NOT NULL,
  -- Row filter AST (filter.ts), always applied; compiled with bound parameters.
  row_filter jsonb,
  purpose text NOT NULL,
  purpose_category text NOT NULL DEFAULT '',
  legal_basis text NOT NULL DEFAULT '',
  rows_per_day integer CHECK (rows_per_day > 0),
  requests_per_minute integer CHECK (requests_per_minute > 0),
  ip_ranges text[] NOT NULL DEFAULT '{}',
  -- PIPL art. 55: the recorded assessment behind clear access to a 4级 column.
  impact_assessment text,
  expires_at timestamptz,
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'revoked')),
  revoked_at timestamptz,
  revoked_by uuid REFERENCES users (id),
  revoke_reason text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX share_grants_lookup_idx ON share_grants (dataset_id, consumer_org_id);
-- One automatic grant per organisation and dataset, ever: once revoked it is not silently re-made.
CREATE UNIQUE INDEX share_grants_automatic_idx ON share_grants (dataset_id, consumer_org_id) WHERE automatic;

-- Usage counters per grant and window (requests per minute, rows per day, verifications per minute).
CREATE TABLE share_usage (
  grant_id uuid NOT NULL REFERENCES share_grants (id),
  kind text NOT NULL CHECK (kind IN ('requests', 'rows', 'verify')),
  window_start timestamptz NOT NULL,
  used bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (grant_id, kind, window_start)
);

CREATE TABLE share_exports (
  id uuid PRIMARY KEY,
  grant_id uuid NOT NULL REFERENCES share_grants (id),
  dataset_id uuid NOT NULL REFERENCES datasets (id),
  consumer_org_id uuid NOT NULL REFERENCES organizations (id),
  requested_by uuid NOT NULL REFERENCES users (id),
  api_key_id uuid,
  format text NOT NULL CHECK (format IN ('csv', 'ndjson')),
  -- The validated query (select, filters, order) the file was made from.
  query jsonb NOT NULL,
  job_id uuid REFERENCES jobs (id),
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'ready', 'failed')),
  row_count bigint,
  bytes bigint,
  -- SHA-256 of the download token; the token is shown once, in the link.
  token_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The file itself, in the database so any pdx process can serve the download.
CREATE TABLE share_export_chunks (
  export_id uuid NOT NULL REFERENCES share_exports (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (export_id, seq)
);

CREATE TABLE notifications (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  kind text NOT NULL,
  title jsonb NOT NULL,
  body jsonb NOT NULL DEFAULT '{}'::jsonb,
  link text,
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at timestamptz
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC);
