-- A requester may withdraw (撤回) a share request while it awaits a decision: it leaves every queue,
-- its time-limit clock stops and it can no longer be approved. The holder of a grant may ask to renew
-- (续期) it: a new request prefilled from the grant, linked to it, through the same approvals; the grant
-- it makes continues the old one, which ends when the new one starts.
ALTER TABLE share_requests DROP CONSTRAINT share_requests_state_check;
ALTER TABLE share_requests ADD CONSTRAINT share_requests_state_check
  CHECK (state IN ('submitted', 'provider_approved', 'active', 'rejected', 'expired', 'revoked', 'withdrawn'));
ALTER TABLE share_requests
  ADD COLUMN withdrawn_at timestamptz,
  ADD COLUMN withdraw_reason text,
  ADD COLUMN renews_grant_id uuid REFERENCES share_grants (id);
ALTER TABLE share_grants
  ADD COLUMN renews_grant_id uuid REFERENCES share_grants (id),
  ADD COLUMN superseded_by uuid REFERENCES share_grants (id);
-- At most one renewal awaiting a decision per grant.
CREATE UNIQUE INDEX share_requests_open_renewal_idx ON share_requests (renews_grant_id)
  WHERE renews_grant_id IS NOT NULL AND state IN ('submitted', 'provider_approved');
