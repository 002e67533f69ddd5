-- A job that cannot run yet (another load of the same dataset is under way) waits until not_before.
ALTER TABLE jobs ADD COLUMN not_before timestamptz;
