-- Duties of the 政务数据共享条例 (issue 20 §3, §4).

-- Return flow (数据回流): a provincial dataset flowing back to the cities and counties. The provider's
-- officer proposes the region column and the column modes once; the security administrator approves;
-- every city and county organisation then holds a normal share grant (share_grants.return_flow_id)
-- whose row filter is its region and below. Paused: the flow's grants are suspended (not revoked), so
-- resuming gives every organisation back the same grant.
CREATE TABLE duty_return_flows (
  id uuid PRIMARY KEY,
  dataset_id uuid NOT NULL UNIQUE REFERENCES datasets (id),
  provider_org_id uuid NOT NULL REFERENCES organizations (id),
  region_column text NOT NULL,
  -- code: GB/T 2260 codes (211300, 211302); name: division names (朝阳市, 双塔区).
  region_kind text NOT NULL CHECK (region_kind IN ('code', 'name')),
  -- The grant columns ([{ name, mode, … }], share/policy.ts GrantColumn), checked like an approval.
  columns jsonb NOT NULL,
  impact_assessment text,
  purpose text NOT NULL,
  state text NOT NULL CHECK (state IN ('proposed', 'active', 'paused', 'rejected')),
  proposed_by uuid NOT NULL REFERENCES users (id),
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  decision_note text,
  paused_by uuid REFERENCES users (id),
  paused_at timestamptz,
  pause_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE share_grants ADD COLUMN return_flow_id uuid REFERENCES duty_return_flows (id);
-- A suspended grant reads nothing until resumed (return flow paused); unlike revocation it can be undone.
ALTER TABLE share_grants ADD COLUMN suspended_at timestamptz;
-- One return-flow grant per organisation and flow: the sweep of several processes makes it once.
CREATE UNIQUE INDEX share_grants_return_flow_idx ON share_grants (return_flow_id, consumer_org_id) WHERE return_flow_id IS NOT NULL;

-- Demand lists (供需对接): a consumer's data need, assigned by the authority to a department, answered
-- (linked dataset, newly registered dataset, or declined with a reason) within a time limit in working
-- days, then accepted or reopened by its owner. `history` keeps every step.
CREATE TABLE duty_demands (
  id uuid PRIMARY KEY,
  title text NOT NULL,
  description text NOT NULL,
  fields text[] NOT NULL DEFAULT '{}',
  purpose text NOT NULL,
  suggested_org_id uuid REFERENCES organizations (id),
  raised_by uuid NOT NULL REFERENCES users (id),
  raised_org_id uuid NOT NULL REFERENCES organizations (id),
  state text NOT NULL CHECK (state IN ('open', 'assigned', 'answered', 'accepted')),
  assigned_org_id uuid REFERENCES organizations (id),
  due_at timestamptz,
  answer_kind text CHECK (answer_kind IN ('linked', 'registered', 'declined')),
  answer_dataset_id uuid REFERENCES datasets (id),
  answer_text text,
  answered_by uuid REFERENCES users (id),
  answered_at timestamptz,
  reopened integer NOT NULL DEFAULT 0,
  -- When an overdue answer was escalated to the authority (claimed once by the sweep; cleared on a new clock).
  escalated_at timestamptz,
  history jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX duty_demands_state ON duty_demands (state, created_at DESC);
CREATE INDEX duty_demands_due ON duty_demands (due_at) WHERE state = 'assigned' AND escalated_at IS NULL;
