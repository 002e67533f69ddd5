-- Identity: organisations (a tree by administrative level), users with roles, console sessions
-- and API keys. Secrets are stored only as hashes.

CREATE TABLE organizations (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE,
  -- authority: the platform operator; government: a 省/市/县 people's government; department: a
  -- bureau under a level; enterprise: a company that shares industrial data.
  type text NOT NULL CHECK (type IN ('authority', 'government', 'department', 'enterprise')),
  level text NOT NULL CHECK (level IN ('province', 'city', 'county')),
  uscc text UNIQUE,
  region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
  parent_id uuid REFERENCES organizations (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organizations_parent_idx ON organizations (parent_id);

-- How many of the exclusive administrator roles (三员分立) an array holds.
CREATE FUNCTION pdx_admin_role_count(roles text[]) RETURNS integer
  LANGUAGE sql IMMUTABLE AS $$
    SELECT count(*)::integer FROM unnest(roles) AS r WHERE r IN ('sysadmin', 'secadmin', 'auditor')
  $$;

CREATE TABLE users (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations (id),
  username text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
  display_name text NOT NULL,
  roles text[] NOT NULL DEFAULT '{}'
    CHECK (roles <@ ARRAY['sysadmin', 'secadmin', 'auditor', 'data_officer', 'consumer']::text[])
    CHECK (pdx_admin_role_count(roles) <= 1),
  password_hash text NOT NULL,
  must_change_password boolean NOT NULL DEFAULT true,
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  disabled boolean NOT NULL DEFAULT false,
  password_changed_at timestamptz,
  last_login_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_org_idx ON users (org_id);

CREATE TABLE sessions (
  -- SHA-256 of the cookie token; the token itself is never stored.
  id_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  csrf_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  ended_at timestamptz,
  ip text,
  user_agent text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations (id),
  created_by uuid NOT NULL REFERENCES users (id),
  name text NOT NULL,
  -- Public lookup part of the key (pdx_<prefix>_<secret>); the whole key is stored only hashed.
  prefix text NOT NULL UNIQUE,
  key_hash text NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_org_idx ON api_keys (org_id);
