-- Database exchange (issue 16 points 2 and 6): a binding's schedule is an interval or a cron
-- expression evaluated in Asia/Shanghai, and every sync run leaves a row in the run history that the
-- console shows per binding.

ALTER TABLE exchange_bindings ADD COLUMN cron text;
ALTER TABLE exchange_bindings ADD CONSTRAINT exchange_bindings_one_schedule CHECK (interval_minutes IS NULL OR cron IS NULL);

-- One row per sync run of a binding: what it read, applied and quarantined, how long it took, how it ended.
CREATE TABLE exchange_runs (
  id uuid PRIMARY KEY,
  binding_id uuid NOT NULL REFERENCES exchange_bindings (id) ON DELETE CASCADE,
  job_id uuid,
  -- running; succeeded (a version committed); unchanged (nothing new); failed (nothing stored changed).
  state text NOT NULL CHECK (state IN ('running', 'succeeded', 'unchanged', 'failed')),
  version integer,
  rows_read bigint NOT NULL DEFAULT 0,
  rows_applied bigint NOT NULL DEFAULT 0,
  rows_quarantined bigint NOT NULL DEFAULT 0,
  high_water text,
  error jsonb,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  duration_ms integer
);
CREATE INDEX exchange_runs_binding ON exchange_runs (binding_id, started_at DESC);
