-- Migration checksums (issue 14): the SHA-256 of each landed migration file, so start-up refuses a
-- landed migration that was edited afterwards (a database migrated from the old text would silently
-- differ from one migrated from the new). Filled by the migration runner (src/db/migrate.ts): for the
-- migrations it applies, and on the first start after this upgrade for every migration already
-- applied.
CREATE TABLE schema_migration_checksums (
  version integer PRIMARY KEY REFERENCES schema_migrations (version),
  name text NOT NULL,
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  recorded_at timestamptz NOT NULL DEFAULT now()
);
