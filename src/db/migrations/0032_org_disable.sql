-- An organisation can be disabled (停用) by the system administrator: when a department is merged or
-- dissolved, none of its accounts signs in and none of its API keys is accepted until it is enabled
-- again. The users keep their own `disabled` flag; `org_disabled` mirrors their organisation's state,
-- kept by the database so that every path that reads a user row sees it (sign-in, sessions, second
-- factor, sign-on, API keys) without another query.
ALTER TABLE organizations ADD COLUMN disabled_at timestamptz, ADD COLUMN disabled_reason text;
ALTER TABLE users ADD COLUMN org_disabled boolean NOT NULL DEFAULT false;

CREATE FUNCTION users_follow_org_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.org_disabled := EXISTS (SELECT 1 FROM organizations o WHERE o.id = NEW.org_id AND o.disabled_at IS NOT NULL);
  RETURN NEW;
END $$;
CREATE TRIGGER users_follow_org_state BEFORE INSERT OR UPDATE OF org_id, org_disabled ON users
  FOR EACH ROW EXECUTE FUNCTION users_follow_org_state();

CREATE FUNCTION org_state_to_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (OLD.disabled_at IS NULL) IS DISTINCT FROM (NEW.disabled_at IS NULL) THEN
    -- Setting the column fires the users trigger, which reads the organisation's new state.
    UPDATE users SET org_disabled = (NEW.disabled_at IS NOT NULL) WHERE org_id = NEW.id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER org_state_to_users AFTER UPDATE OF disabled_at ON organizations
  FOR EACH ROW EXECUTE FUNCTION org_state_to_users();
