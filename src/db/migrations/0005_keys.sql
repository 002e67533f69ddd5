-- Envelope encryption (standards.md §5): the master key (never stored here) wraps one data key per
-- dataset and version; data keys are stored only wrapped. A key-check value lets pdx refuse to start
-- with the wrong master key before it serves anything.

CREATE TABLE master_key_check (
  -- A single row.
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  -- Digest of the check value: sha256 or sm3.
  algorithm text NOT NULL CHECK (algorithm IN ('sha256', 'sm3')),
  -- Keyed hash of a fixed label under a key derived from the master key; reveals nothing of the key.
  check_value bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  rotated_at timestamptz
);

CREATE TABLE data_keys (
  -- The dataset the key encrypts; the nil uuid is the platform's own scope (sealed secrets).
  -- No foreign key yet: the catalogue owner adds it when the datasets table exists.
  dataset_id uuid NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  suite text NOT NULL CHECK (suite IN ('aes', 'gm')),
  -- The 32-byte data key encrypted under a key derived from the master key, bound to (dataset, version).
  wrapped_key bytea NOT NULL,
  -- active: encrypts new values; retired: still decrypts values not yet re-encrypted.
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'retired')),
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz,
  PRIMARY KEY (dataset_id, version)
);
CREATE UNIQUE INDEX data_keys_one_active_idx ON data_keys (dataset_id) WHERE state = 'active';
