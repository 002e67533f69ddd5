-- Replay clocks of security operations: between `real_start` and `real_end`, the records of one API
-- key are judged by the detectors ("night", the hourly baseline) as if they happened at `replay_start`
-- plus the time passed since (a later clock of the same key takes over from an earlier one). The
-- audit records themselves keep their true stamps: the log is never back-dated.
-- Written by `pdx demo burst` (journey step 6 replayed at 03:00 on any time of day); each clock is
-- recorded in the audit log (secops.replay_clock) when it is declared.
CREATE TABLE secops_replay_clocks (
  id uuid PRIMARY KEY,
  api_key_id uuid NOT NULL,
  real_start timestamptz NOT NULL,
  real_end timestamptz NOT NULL,
  replay_start timestamptz NOT NULL,
  note text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX secops_replay_clocks_key ON secops_replay_clocks (api_key_id, real_start);
