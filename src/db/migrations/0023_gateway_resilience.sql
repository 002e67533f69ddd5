-- Interface sharing hardening (issue 17): upstream health checks, retries and circuit breaker
-- settings per service, and client-certificate (mTLS) upstream authentication.

-- Health check: GET base URL + health_path every health_interval_s seconds (NULL path: no check).
-- The last outcome is shared by every pdx process (one process claims each due check).
ALTER TABLE gateway_services ADD COLUMN health_path text;
ALTER TABLE gateway_services ADD COLUMN health_interval_s integer NOT NULL DEFAULT 60 CHECK (health_interval_s BETWEEN 1 AND 86400);
ALTER TABLE gateway_services ADD COLUMN health_state text NOT NULL DEFAULT 'unknown' CHECK (health_state IN ('unknown', 'up', 'down'));
ALTER TABLE gateway_services ADD COLUMN health_checked_at timestamptz;
-- The pdx error code of the last failed check (never the upstream's own text).
ALTER TABLE gateway_services ADD COLUMN health_error text;

-- Retries of idempotent operations (GET, PUT, DELETE) after a connection failure or a 502/503/504,
-- with exponential backoff; the circuit breaker opens after breaker_threshold consecutive failed
-- calls and lets one probe through after breaker_cooldown_ms.
ALTER TABLE gateway_services ADD COLUMN retries integer NOT NULL DEFAULT 2 CHECK (retries BETWEEN 0 AND 5);
ALTER TABLE gateway_services ADD COLUMN breaker_threshold integer NOT NULL DEFAULT 5 CHECK (breaker_threshold BETWEEN 1 AND 1000);
ALTER TABLE gateway_services ADD COLUMN breaker_cooldown_ms integer NOT NULL DEFAULT 30000 CHECK (breaker_cooldown_ms BETWEEN 100 AND 3600000);

-- Client certificate the gateway presents to the upstream (mTLS): the PEM certificate chain (public),
-- the private key sealed under the master key (never returned), and optionally the CA that signs the
-- upstream's server certificate.
ALTER TABLE gateway_services ADD COLUMN client_cert text;
ALTER TABLE gateway_services ADD COLUMN client_key_sealed bytea;
ALTER TABLE gateway_services ADD COLUMN upstream_ca text;
