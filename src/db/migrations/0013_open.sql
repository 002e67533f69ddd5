-- Open data (数据开放, issue 18): releases (frozen, de-identified snapshots of a dataset version that
-- passed the check), society users (社会用户, a kind of account separate from government users) with
-- their sessions, e-mail tokens and open-API keys, 有条件开放 applications, use counters, and the
-- feedback layer (ratings and comments, 数据需求, 应用展示). Thresholds live in `settings` under the key
-- 'open.settings'. Snapshot tables (open_r_<hex>) are created at publication by the open module.

-- One row per release. Only a 'published' release is public; at most one per dataset.
CREATE TABLE open_releases (
  id uuid PRIMARY KEY,
  dataset_id uuid NOT NULL REFERENCES datasets (id),
  dataset_code text NOT NULL,
  -- 1, 2, … per dataset (the portal's 更新记录).
  number integer NOT NULL,
  -- The dataset version the data was read from (at the last check; at publication for a published one).
  version integer NOT NULL,
  state text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published', 'withdrawn', 'superseded')),
  open_type text NOT NULL CHECK (open_type IN ('unconditional', 'conditional')),
  provider_org_id uuid NOT NULL REFERENCES organizations (id),
  -- Catalogue metadata frozen at publication (name, summary, domain, provider, …): the portal never
  -- reads the live catalogue.
  meta jsonb NOT NULL,
  -- The officer's plan per column: role (direct, quasi, sensitive, insensitive, excluded), hierarchy, level.
  columns jsonb NOT NULL,
  -- k, l and the suppression limit the last check used.
  thresholds jsonb NOT NULL,
  -- The last check's figures and proposals; for a published release, the check of the snapshot itself.
  report jsonb,
  passed boolean NOT NULL DEFAULT false,
  -- The snapshot table (published releases only). Its columns are c1 … cn in the order of `columns`.
  relation text UNIQUE,
  row_count bigint,
  -- Rendered facts of the snapshot for the portal: quality score, chart, per-column statistics.
  facts jsonb,
  licence text NOT NULL,
  notes text NOT NULL DEFAULT '',
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  checked_at timestamptz,
  published_by uuid REFERENCES users (id),
  published_at timestamptz,
  withdrawn_by uuid REFERENCES users (id),
  withdrawn_at timestamptz,
  withdraw_reason text,
  UNIQUE (dataset_id, number)
);
CREATE UNIQUE INDEX open_releases_published_idx ON open_releases (dataset_id) WHERE state = 'published';
CREATE INDEX open_releases_code_idx ON open_releases (dataset_code, state);
CREATE INDEX open_releases_provider_idx ON open_releases (provider_org_id);

-- Downloads, API calls and previews per dataset and day (flushed in batches by each process).
CREATE TABLE open_usage (
  dataset_code text NOT NULL,
  day date NOT NULL,
  downloads bigint NOT NULL DEFAULT 0,
  api_calls bigint NOT NULL DEFAULT 0,
  previews bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (dataset_code, day)
);

-- 社会用户: individuals and enterprises. Never in `users`, never holding a government role.
CREATE TABLE open_users (
  id uuid PRIMARY KEY,
  -- Lower-cased; the account's name.
  email text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('individual', 'enterprise')),
  display_name text NOT NULL,
  org_name text,
  uscc text,
  phone text,
  password_hash text NOT NULL,
  email_verified_at timestamptz,
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  disabled boolean NOT NULL DEFAULT false,
  last_login_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE open_sessions (
  -- SHA-256 of the cookie token; the token itself is never stored.
  id_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES open_users (id),
  csrf_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  ended_at timestamptz,
  ip text,
  user_agent text
);
CREATE INDEX open_sessions_user_idx ON open_sessions (user_id);

-- One-time e-mail links (verification, password reset), stored hashed.
CREATE TABLE open_tokens (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES open_users (id),
  purpose text NOT NULL CHECK (purpose IN ('verify', 'reset')),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX open_tokens_user_idx ON open_tokens (user_id, purpose);

-- Open-API keys of society users: pdxo_<prefix>_<secret>, shown once, stored hashed.
CREATE TABLE open_api_keys (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES open_users (id),
  name text NOT NULL,
  prefix text NOT NULL UNIQUE,
  key_hash text NOT NULL,
  revoked_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX open_api_keys_user_idx ON open_api_keys (user_id);

-- 有条件开放 applications, decided by the providing department within `due_at`.
CREATE TABLE open_applications (
  id uuid PRIMARY KEY,
  dataset_id uuid NOT NULL REFERENCES datasets (id),
  dataset_code text NOT NULL,
  dataset_name text NOT NULL,
  provider_org_id uuid NOT NULL REFERENCES organizations (id),
  user_id uuid NOT NULL REFERENCES open_users (id),
  purpose text NOT NULL,
  intended_use text NOT NULL,
  -- Who applies: name, organisation, 统一社会信用代码, phone.
  applicant jsonb NOT NULL,
  state text NOT NULL DEFAULT 'submitted' CHECK (state IN ('submitted', 'approved', 'rejected')),
  due_at timestamptz NOT NULL,
  -- Approval terms: { until: date, conditions: text }.
  terms jsonb,
  reason text,
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX open_applications_user_idx ON open_applications (user_id, dataset_code);
CREATE INDEX open_applications_provider_idx ON open_applications (provider_org_id, state);

-- Ratings and comments on datasets: shown after moderation by the providing department.
CREATE TABLE open_comments (
  id uuid PRIMARY KEY,
  dataset_code text NOT NULL,
  provider_org_id uuid NOT NULL REFERENCES organizations (id),
  user_id uuid NOT NULL REFERENCES open_users (id),
  rating integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
  body text NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
  moderated_by uuid REFERENCES users (id),
  moderated_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX open_comments_dataset_idx ON open_comments (dataset_code, state);
CREATE INDEX open_comments_provider_idx ON open_comments (provider_org_id, state);

-- 数据需求: public requests for data, routed to a department, answered publicly.
CREATE TABLE open_demands (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES open_users (id),
  org_id uuid NOT NULL REFERENCES organizations (id),
  title text NOT NULL,
  body text NOT NULL,
  state text NOT NULL DEFAULT 'submitted' CHECK (state IN ('submitted', 'answered', 'rejected')),
  answer text,
  answered_by uuid REFERENCES users (id),
  answered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX open_demands_org_idx ON open_demands (org_id, state);

-- 应用展示: what society users built on open data, shown after review by the providing department.
CREATE TABLE open_showcases (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES open_users (id),
  provider_org_id uuid NOT NULL REFERENCES organizations (id),
  title text NOT NULL,
  description text NOT NULL,
  url text,
  dataset_codes text[] NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
  reason text,
  reviewed_by uuid REFERENCES users (id),
  reviewed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX open_showcases_provider_idx ON open_showcases (provider_org_id, state);
