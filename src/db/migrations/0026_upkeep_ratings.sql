-- Catalogue upkeep and evaluation (目录挂接与共享评价, issue 20 §5).

-- A consumer's rating of a dataset its organisation holds or held a grant on: one per person and
-- dataset, replaced when the person rates again (the change is in the audit log).
CREATE TABLE duty_ratings (
  dataset_id uuid NOT NULL REFERENCES datasets (id),
  user_id uuid NOT NULL REFERENCES users (id),
  org_id uuid NOT NULL REFERENCES organizations (id),
  quality smallint NOT NULL CHECK (quality BETWEEN 1 AND 5),
  timeliness smallint NOT NULL CHECK (timeliness BETWEEN 1 AND 5),
  usefulness smallint NOT NULL CHECK (usefulness BETWEEN 1 AND 5),
  comment text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dataset_id, user_id)
);

-- The reminder of an overdue catalogue entry, once per overdue period (the natural period of its
-- 更新周期 in which the sweep found it overdue): the primary key makes it once across processes.
CREATE TABLE duty_upkeep_reminders (
  dataset_id uuid NOT NULL REFERENCES datasets (id),
  period_start timestamptz NOT NULL,
  due_at timestamptz NOT NULL,
  reminded_at timestamptz NOT NULL,
  PRIMARY KEY (dataset_id, period_start)
);
