-- Audit trust (issue 23): the signing key table becomes append-only like the log, a key can only be
-- added while the log is empty (pdx never mints a key for a log that already has records), and the
-- log's head policy is fixed in the database: a signed head at every multiple of every_records,
-- made in the same transaction as the record that completes it, for every multiple after
-- required_from (the size of the log when this migration ran; 0 for a new database).
-- See docs/audit-proofs.md §7 and §9.

CREATE TRIGGER audit_signing_keys_append_only BEFORE UPDATE OR DELETE ON audit_signing_keys
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_signing_keys_no_truncate BEFORE TRUNCATE ON audit_signing_keys
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE FUNCTION audit_refuse_late_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM audit_records) THEN
    RAISE EXCEPTION 'audit signing key refused: the audit log already holds records'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_signing_keys_only_first BEFORE INSERT ON audit_signing_keys
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_late_key();

CREATE TABLE audit_head_policy (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  every_records integer NOT NULL CHECK (every_records > 0),
  required_from bigint NOT NULL CHECK (required_from >= 0)
);
INSERT INTO audit_head_policy (every_records, required_from) SELECT 1000, coalesce(max(seq), 0) FROM audit_records;

CREATE TRIGGER audit_head_policy_append_only BEFORE UPDATE OR DELETE ON audit_head_policy
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_head_policy_no_truncate BEFORE TRUNCATE ON audit_head_policy
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
