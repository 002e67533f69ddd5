-- 三员分立 held against the system administrator too (issue 13).
--
-- 1. An account holding sysadmin, secadmin or auditor holds no other role, and belongs to an
--    organisation of type 'authority' (the platform operator). The identity service refuses such
--    combinations with 400 role_separation; the database refuses them here as well.
-- 2. Creating, re-roling, resetting, disabling or enabling an administrator account through the API
--    is held in admin_changes until a second administrator approves it (the auditor approves changes
--    to sysadmin and secadmin accounts, the secadmin changes to auditor accounts). Host access (the
--    pdx command line) applies such changes at once.

-- Existing data first, so the constraints below hold for every row. An administrator role held by an
-- account outside the platform authority is removed (the account keeps its business roles and is
-- disabled when none remain); an administrator account inside it drops every business role. Either
-- way the combination that let one person hold data access and administration is gone, and the
-- accounts changed are signed out.
WITH changed AS (
  UPDATE users u
     SET disabled = u.disabled OR NOT EXISTS (SELECT 1 FROM unnest(u.roles) AS r WHERE r NOT IN ('sysadmin', 'secadmin', 'auditor')),
         roles = ARRAY(SELECT r FROM unnest(u.roles) AS r WHERE r NOT IN ('sysadmin', 'secadmin', 'auditor'))
   WHERE pdx_admin_role_count(u.roles) > 0
     AND NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = u.org_id AND o.type = 'authority')
  RETURNING u.id
)
UPDATE sessions SET ended_at = now() WHERE ended_at IS NULL AND user_id IN (SELECT id FROM changed);

WITH changed AS (
  UPDATE users u
     SET roles = ARRAY(SELECT DISTINCT r FROM unnest(u.roles) AS r WHERE r IN ('sysadmin', 'secadmin', 'auditor'))
   WHERE pdx_admin_role_count(u.roles) > 0
     AND EXISTS (SELECT 1 FROM unnest(u.roles) AS r WHERE r NOT IN ('sysadmin', 'secadmin', 'auditor'))
  RETURNING u.id
)
UPDATE sessions SET ended_at = now() WHERE ended_at IS NULL AND user_id IN (SELECT id FROM changed);

-- An administrator role is held alone.
ALTER TABLE users ADD CONSTRAINT users_admin_role_alone
  CHECK (pdx_admin_role_count(roles) = 0 OR cardinality(roles) = 1);

-- …and only by accounts of the platform authority.
CREATE FUNCTION pdx_admin_in_authority() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pdx_admin_role_count(NEW.roles) > 0
     AND NOT EXISTS (SELECT 1 FROM organizations WHERE id = NEW.org_id AND type = 'authority') THEN
    RAISE EXCEPTION 'role_separation: administrator accounts (三员) belong to the platform authority'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER users_admin_in_authority BEFORE INSERT OR UPDATE OF roles, org_id ON users
  FOR EACH ROW EXECUTE FUNCTION pdx_admin_in_authority();

-- An authority that holds administrator accounts keeps its type.
CREATE FUNCTION pdx_authority_keeps_admins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.type = 'authority' AND NEW.type <> 'authority'
     AND EXISTS (SELECT 1 FROM users WHERE org_id = NEW.id AND pdx_admin_role_count(roles) > 0) THEN
    RAISE EXCEPTION 'role_separation: the organisation holds administrator accounts (三员)'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER organizations_keep_admins BEFORE UPDATE OF type ON organizations
  FOR EACH ROW EXECUTE FUNCTION pdx_authority_keeps_admins();

-- Changes to administrator accounts waiting for the second administrator.
CREATE TABLE admin_changes (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('create', 'update', 'reset_password')),
  -- The account changed (NULL until a proposed account is created) and its user name.
  target_user_id uuid REFERENCES users (id),
  target_username text NOT NULL,
  -- The administrator roles at stake (held before or after), and the role whose holder must approve.
  admin_roles text[] NOT NULL CHECK (admin_roles <@ ARRAY['sysadmin', 'secadmin', 'auditor']::text[] AND cardinality(admin_roles) BETWEEN 1 AND 2),
  approver_role text NOT NULL CHECK (approver_role IN ('secadmin', 'auditor') AND NOT approver_role = ANY (admin_roles)),
  -- create: {username, displayName, orgId, roles}; update: the fields to set. Never a secret.
  changes jsonb NOT NULL,
  -- The account as it was when proposed (update, reset_password).
  before jsonb,
  -- A generated password (create, reset_password), sealed by the keyring until the change is
  -- decided and erased then: half goes to the proposer at proposal, half to the approver at approval.
  sealed_password text,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'rejected', 'withdrawn')),
  proposed_by uuid NOT NULL REFERENCES users (id),
  proposed_at timestamptz NOT NULL DEFAULT now(),
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  reason text,
  CHECK (state = 'pending' OR sealed_password IS NULL),
  CHECK ((state = 'pending') = (decided_at IS NULL))
);
-- One open change per account (or proposed user name) at a time.
CREATE UNIQUE INDEX admin_changes_pending_idx ON admin_changes (target_username) WHERE state = 'pending';
CREATE INDEX admin_changes_proposed_idx ON admin_changes (proposed_at DESC);
