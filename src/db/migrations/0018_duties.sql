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

-- Objections and corrections (数据异议与纠错). A correction is a version of the dataset holding only
-- the corrected rows (mode 'correct'); earlier versions keep the values before.
ALTER TABLE dataset_versions DROP CONSTRAINT dataset_versions_mode_check;
ALTER TABLE dataset_versions ADD CONSTRAINT dataset_versions_mode_check CHECK (mode IN ('append', 'replace', 'correct'));

CREATE TABLE duty_objections (
  id uuid PRIMARY KEY,
  dataset_id uuid NOT NULL,
  dataset_code text NOT NULL,
  dataset_name text NOT NULL,
  provider_org_id uuid NOT NULL,
  raised_by uuid NOT NULL,
  raised_org_id uuid NOT NULL,
  -- [{ row, column, proposed }]: the cells objected to and the values believed correct.
  cells jsonb NOT NULL,
  evidence text NOT NULL,
  state text NOT NULL CHECK (state IN ('open', 'accepted', 'rejected', 'escalated', 'dismissed')),
  due_at timestamptz NOT NULL,
  answer text,
  answered_by uuid,
  answered_at timestamptz,
  correction_version integer,
  -- [{ row, column, before, after }]; values of encrypted columns are not copied here (the versions keep them).
  changes jsonb,
  escalation_reason text,
  escalated_at timestamptz,
  decided_by uuid,
  decision_note text,
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX duty_objections_dataset ON duty_objections (dataset_id, state);
CREATE INDEX duty_objections_provider ON duty_objections (provider_org_id, state);
CREATE INDEX duty_objections_raised ON duty_objections (raised_org_id);
