-- Access revisions (issue 15): a number per dataset (and per API key) that grows in the transaction of
-- every change to what a read of that dataset may return: the dataset row, its columns, its grants,
-- its data keys, and containments of its grants, of the dataset or of the key. A process may keep an
-- access context it read together with these numbers; the data query checks, in its own snapshot,
-- that they have not moved, so a revocation committed before a request arrives still refuses it on
-- every process without reading the whole context again for each request.

CREATE TABLE access_revisions (
  scope text PRIMARY KEY, -- a dataset id, or 'key:' || an API key id
  rev bigint NOT NULL
);

CREATE FUNCTION access_bump(s text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO access_revisions (scope, rev) VALUES (s, 1)
  ON CONFLICT (scope) DO UPDATE SET rev = access_revisions.rev + 1
$$;

-- Row trigger; TG_ARGV[0] names the column holding the dataset id.
CREATE FUNCTION access_bump_dataset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM access_bump(to_jsonb(OLD) ->> TG_ARGV[0]); END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR (to_jsonb(NEW) ->> TG_ARGV[0]) IS DISTINCT FROM (to_jsonb(OLD) ->> TG_ARGV[0])) THEN
    PERFORM access_bump(to_jsonb(NEW) ->> TG_ARGV[0]);
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION access_bump_containment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  c secops_containments;
BEGIN
  c := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  IF c.kind IN ('suspend_key', 'throttle_key') THEN
    PERFORM access_bump('key:' || c.target_id);
  ELSIF c.kind = 'freeze_dataset' THEN
    PERFORM access_bump(c.target_id);
  ELSIF c.kind = 'suspend_grant' THEN
    PERFORM access_bump(g.dataset_id::text) FROM share_grants g WHERE g.id::text = c.target_id;
  END IF;
  RETURN NULL;
END
$$;

-- A dataset row changes with every version (current version, row count, times): only the fields an
-- access context holds raise its revision, so a dataset fed every few seconds (CDC) keeps its contexts.
CREATE TRIGGER datasets_access AFTER UPDATE ON datasets FOR EACH ROW
  WHEN (OLD.code IS DISTINCT FROM NEW.code OR OLD.name IS DISTINCT FROM NEW.name OR OLD.relation IS DISTINCT FROM NEW.relation
        OR OLD.status IS DISTINCT FROM NEW.status OR OLD.share_type IS DISTINCT FROM NEW.share_type
        OR OLD.provider_org_id IS DISTINCT FROM NEW.provider_org_id OR OLD.important_candidate IS DISTINCT FROM NEW.important_candidate
        OR OLD.resource_kind IS DISTINCT FROM NEW.resource_kind)
  EXECUTE FUNCTION access_bump_dataset('id');
CREATE TRIGGER datasets_access_delete AFTER DELETE ON datasets FOR EACH ROW EXECUTE FUNCTION access_bump_dataset('id');
CREATE TRIGGER dataset_columns_access AFTER INSERT OR UPDATE OR DELETE ON dataset_columns FOR EACH ROW EXECUTE FUNCTION access_bump_dataset('dataset_id');
CREATE TRIGGER share_grants_access AFTER INSERT OR UPDATE OR DELETE ON share_grants FOR EACH ROW EXECUTE FUNCTION access_bump_dataset('dataset_id');
CREATE TRIGGER data_keys_access AFTER INSERT OR UPDATE OR DELETE ON data_keys FOR EACH ROW EXECUTE FUNCTION access_bump_dataset('dataset_id');
CREATE TRIGGER secops_containments_access AFTER INSERT OR UPDATE OR DELETE ON secops_containments FOR EACH ROW EXECUTE FUNCTION access_bump_containment();
