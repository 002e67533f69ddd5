-- Requests and grants carry their dataset's provider organisation (a dataset never changes provider),
-- so sharing lists and counts them by provider without reading the catalogue's table (issue 14:
-- no module's SQL names another module's tables); dataset codes and names come from the catalogue's
-- service.
ALTER TABLE share_requests ADD COLUMN provider_org_id uuid REFERENCES organizations (id);
UPDATE share_requests r SET provider_org_id = d.provider_org_id FROM datasets d WHERE d.id = r.dataset_id;
ALTER TABLE share_requests ALTER COLUMN provider_org_id SET NOT NULL;
CREATE INDEX share_requests_provider_idx ON share_requests (provider_org_id, created_at DESC);

ALTER TABLE share_grants ADD COLUMN provider_org_id uuid REFERENCES organizations (id);
UPDATE share_grants g SET provider_org_id = d.provider_org_id FROM datasets d WHERE d.id = g.dataset_id;
ALTER TABLE share_grants ALTER COLUMN provider_org_id SET NOT NULL;
CREATE INDEX share_grants_provider_idx ON share_grants (provider_org_id, created_at DESC);
