-- Sign-on (issue 21): a TOTP second factor (RFC 6238) for the three administrators (and, by setting,
-- data officers), and staff sign-on through the province's OpenID Connect provider (统一身份认证).

-- The second factor of an account. The secret is sealed by the keyring under the master key (base64),
-- so a copy of the database cannot compute codes; NULL until the holder enrols at a sign-in.
ALTER TABLE users ADD COLUMN totp_secret text;
ALTER TABLE users ADD COLUMN totp_enrolled_at timestamptz;
-- The time step of the last accepted code: each code is accepted once (RFC 6238 §5.2).
ALTER TABLE users ADD COLUMN totp_last_step bigint;
-- An account made by a first sign-in through the identity provider waits for the system administrator.
ALTER TABLE users ADD COLUMN pending_approval boolean NOT NULL DEFAULT false;

-- Single-use recovery codes of the second factor: SHA-256 of 80-bit random codes, never the codes.
CREATE TABLE user_recovery_codes (
  user_id uuid NOT NULL REFERENCES users (id),
  code_hash text NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, code_hash)
);

-- The second step of a password sign-in, issued once the password is right: short-lived, single use,
-- stored as the SHA-256 of the ticket the client holds.
CREATE TABLE login_challenges (
  id_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  -- verify: the account has a second factor; enrol: it must set one up now (first sign-in).
  kind text NOT NULL CHECK (kind IN ('verify', 'enrol')),
  -- enrol: the new secret (sealed) until a first code confirms it.
  pending_secret text,
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'enrol') = (pending_secret IS NOT NULL))
);
CREATE INDEX login_challenges_user_idx ON login_challenges (user_id);

-- Accounts linked to a person at an OpenID provider: (issuer, subject) names the person. An account is
-- linked to at most one such identity and is only ever reached through it.
CREATE TABLE user_identities (
  issuer text NOT NULL,
  subject text NOT NULL,
  user_id uuid NOT NULL UNIQUE REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz,
  PRIMARY KEY (issuer, subject)
);

-- Authorization requests in flight: state (hashed), nonce and PKCE verifier (sealed), bound to the
-- browser that began them by the hash of a cookie; each is used at most once.
CREATE TABLE sso_requests (
  state_hash text PRIMARY KEY,
  browser_hash text NOT NULL,
  nonce text NOT NULL,
  code_verifier text NOT NULL,
  return_to text NOT NULL DEFAULT '/',
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- How a console session was opened (password, password+totp, password+recovery_code, oidc), and for
-- one opened through the provider its ID token (sealed), which RP-initiated logout hands back.
ALTER TABLE sessions ADD COLUMN method text;
ALTER TABLE sessions ADD COLUMN id_token text;
