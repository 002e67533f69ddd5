-- Audit log (过程全记录): an append-only, hash-chained sequence of records, signed Merkle tree heads
-- (RFC 6962) over it, a cache of complete subtree roots for proofs, and the sealed signing key.
-- See docs/audit-proofs.md for the encodings and how to verify outside pdx.

CREATE TABLE audit_records (
  seq bigint PRIMARY KEY CHECK (seq > 0),
  time timestamptz NOT NULL,
  action text NOT NULL,
  result text NOT NULL CHECK (result IN ('success', 'failure', 'denied')),
  actor_user_id text,
  actor_username text,
  actor_org_id text,
  actor_api_key_id text,
  actor_roles jsonb NOT NULL DEFAULT '[]'::jsonb,
  target_type text,
  target_id text,
  target_label text,
  dataset text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  request_id text,
  -- text, not inet: the address must read back exactly as it was hashed.
  client_ip text,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL
);
CREATE INDEX audit_records_time_idx ON audit_records (time);
CREATE INDEX audit_records_actor_idx ON audit_records (actor_user_id, seq);
CREATE INDEX audit_records_org_idx ON audit_records (actor_org_id, seq);
CREATE INDEX audit_records_key_idx ON audit_records (actor_api_key_id, seq);
CREATE INDEX audit_records_dataset_idx ON audit_records (dataset, seq);
CREATE INDEX audit_records_action_idx ON audit_records (action, seq);

-- Takes the chain lock for the rest of the transaction and returns the last record's link, in one
-- round trip. VOLATILE: the SELECT runs with a fresh snapshot taken after the lock is granted, so it
-- sees the batch another process committed while this one waited.
CREATE FUNCTION audit_lock_chain_head() RETURNS TABLE (head_seq bigint, head_hash bytea, head_time timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(8098730389895670132); -- 0x7064786175646974, "pdxaudit"
  RETURN QUERY SELECT r.seq, r.hash, r.time FROM audit_records r ORDER BY r.seq DESC LIMIT 1;
END
$$;

-- Signed tree heads: (tree size, root, time) signed with Ed25519.
CREATE TABLE audit_checkpoints (
  tree_size bigint PRIMARY KEY CHECK (tree_size > 0),
  root_hash bytea NOT NULL,
  time timestamptz NOT NULL,
  hash_alg text NOT NULL,
  key_id text NOT NULL,
  signature bytea NOT NULL
);

-- Roots of complete, aligned subtrees (2^level leaves starting at idx * 2^level). Records never
-- change, so neither do these; they make proofs cost O(log n) lookups instead of reading the log.
CREATE TABLE audit_tree_nodes (
  level smallint NOT NULL,
  idx bigint NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (level, idx)
);

-- The Ed25519 key that signs tree heads, its private half sealed by the master keyring, so every
-- pdx process on this database signs with the same key.
CREATE TABLE audit_signing_keys (
  key_id text PRIMARY KEY,
  public_key_pem text NOT NULL,
  sealed_private_key bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Append-only: no UPDATE, DELETE or TRUNCATE through any role that does not first disable these
-- triggers (a DBA action, see docs/audit-proofs.md).
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_tree_nodes_append_only BEFORE UPDATE OR DELETE ON audit_tree_nodes
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_tree_nodes_no_truncate BEFORE TRUNCATE ON audit_tree_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
