-- Console in sentences (issue 22): an alert keeps the names of what it is about as they stood when
-- it was raised (the key's name or the person, their organisation, the dataset), so the security
-- administrator reads "朝阳市民政局的密钥「低保核验」" instead of a key id. Ids stay in subject/facts.
ALTER TABLE secops_alerts ADD COLUMN names jsonb NOT NULL DEFAULT '{}'::jsonb;
