-- Database exchange (issue 16 point 2): an incremental binding with a key column may name a
-- soft-delete column of the source table (a boolean true when deleted, or a date/time that is set
-- when deleted); a row beyond the high-water mark marked deleted removes the stored row of its key
-- in the run that reads it. The run history counts the rows so removed.

ALTER TABLE exchange_bindings ADD COLUMN soft_delete_column text;
ALTER TABLE exchange_bindings ADD CONSTRAINT exchange_bindings_soft_delete_key CHECK (soft_delete_column IS NULL OR key_column IS NOT NULL);
ALTER TABLE exchange_runs ADD COLUMN rows_deleted bigint NOT NULL DEFAULT 0;
