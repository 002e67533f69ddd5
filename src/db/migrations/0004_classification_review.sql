-- Classification review (分类分级复核, issue 5 parts 3, 4 and 9): the data officer's per-column
-- decisions, the confirmation of each dataset's classification, and the security administrator's
-- 重要数据 decisions. All three are append-only: the latest row is the one in force, older rows are
-- the history. The configurable policy lives in settings under the key 'classify.policy'.

-- One row per column decision. `override` says the officer's type/grade differ from what was detected;
-- an override stays in force for later versions until a later row for the same column replaces it.
CREATE TABLE classification_reviews (
  id bigserial PRIMARY KEY,
  dataset_id uuid NOT NULL REFERENCES datasets (id),
  column_name text NOT NULL,
  -- The dataset version the officer looked at.
  version integer NOT NULL,
  -- Confirmed identifier type (standards.md §1 type id), or null for "no identifier type".
  confirmed_type text,
  grade integer NOT NULL CHECK (grade BETWEEN 1 AND 4),
  -- What the engine had detected when the officer decided.
  detected_type text,
  detected_grade integer NOT NULL CHECK (detected_grade BETWEEN 1 AND 4),
  override boolean NOT NULL,
  reason text NOT NULL DEFAULT '',
  reviewed_by uuid REFERENCES users (id),
  reviewed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX classification_reviews_column_idx ON classification_reviews (dataset_id, column_name, id DESC);

-- One row per confirmation of a dataset's whole classification, with the detection it confirmed
-- (per column: top type, grade, sensitive) so a later version whose detection rises is flagged.
CREATE TABLE classification_confirmations (
  id bigserial PRIMARY KEY,
  dataset_id uuid NOT NULL REFERENCES datasets (id),
  version integer NOT NULL,
  detected jsonb NOT NULL,
  confirmed_by uuid REFERENCES users (id),
  confirmed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX classification_confirmations_dataset_idx ON classification_confirmations (dataset_id, id DESC);

-- 重要数据 decisions of the security administrator (DSL art. 21 important-data catalogue).
CREATE TABLE important_data_decisions (
  id bigserial PRIMARY KEY,
  dataset_id uuid NOT NULL REFERENCES datasets (id),
  version integer NOT NULL,
  level text NOT NULL CHECK (level IN ('general', 'important', 'core')),
  reason text NOT NULL,
  -- The candidate reasons the decision was made on.
  candidate_reasons jsonb NOT NULL DEFAULT '[]'::jsonb,
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX important_data_decisions_dataset_idx ON important_data_decisions (dataset_id, id DESC);
