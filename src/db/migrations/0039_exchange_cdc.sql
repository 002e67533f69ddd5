-- Database exchange (issue 16 point 2): `cdc` bindings of PostgreSQL sources read the table's changes
-- by logical replication (pgoutput). pdx creates a replication slot per binding (and the publication
-- when its user may; otherwise it uses one the DBA made for the table) and drops them with the
-- binding. cdc_lsn is the end LSN of the last source transaction applied: it moves in the
-- transaction that makes the batch's version visible (as high_water does), so a transaction at or
-- below it is skipped when the source resends it. cdc_job is the running job of the pdx process
-- that streams the binding (one at a time; a stale heartbeat lets another process take over).

ALTER TABLE exchange_bindings DROP CONSTRAINT exchange_bindings_mode_check;
ALTER TABLE exchange_bindings ADD CONSTRAINT exchange_bindings_mode_check CHECK (mode IN ('replace', 'incremental', 'cdc'));
ALTER TABLE exchange_bindings ADD COLUMN cdc_slot text;
ALTER TABLE exchange_bindings ADD COLUMN cdc_publication text;
ALTER TABLE exchange_bindings ADD COLUMN cdc_publication_owned boolean NOT NULL DEFAULT false;
ALTER TABLE exchange_bindings ADD COLUMN cdc_lsn text;
ALTER TABLE exchange_bindings ADD COLUMN cdc_applied_at timestamptz;
ALTER TABLE exchange_bindings ADD COLUMN cdc_job uuid;
ALTER TABLE exchange_bindings ADD CONSTRAINT exchange_bindings_cdc CHECK (mode <> 'cdc' OR (key_column IS NOT NULL AND cdc_slot IS NOT NULL AND cdc_publication IS NOT NULL));
