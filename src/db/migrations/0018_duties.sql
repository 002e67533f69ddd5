-- Duties of the 政务数据共享条例 (issue 20). Time limits on share requests: one row per request and
-- stage once its clock is first seen, freezing the limit that applied (a later change of the
-- settings does not move a running deadline) and recording extension, reminder and escalation, each
-- at most once (the sweep claims them with a conditional UPDATE, so several processes agree).
CREATE TABLE duty_request_clocks (
  request_id uuid NOT NULL,
  stage text NOT NULL CHECK (stage IN ('provider', 'security')),
  basis text NOT NULL CHECK (basis IN ('unconditional', 'conditional_shared', 'conditional')),
  limit_days integer NOT NULL CHECK (limit_days > 0),
  provider_org_id uuid NOT NULL,
  extension_days integer NOT NULL DEFAULT 0 CHECK (extension_days >= 0),
  extension_reason text,
  extended_by uuid,
  extended_at timestamptz,
  reminded_at timestamptz,
  escalated_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, stage)
);
CREATE INDEX duty_request_clocks_provider ON duty_request_clocks (provider_org_id);
