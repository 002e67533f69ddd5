-- An incident the platform opens from an alert takes the alert's title. `title` keeps its Chinese
-- (the incident report is in Chinese); `title_message` keeps both languages, so the English console
-- names the incident in English (issue 22). Incidents opened by a person keep their own title only.
ALTER TABLE secops_incidents ADD COLUMN title_message jsonb;

-- Incidents opened before: the title of the alert they were opened from, where it still reads the same.
UPDATE secops_incidents i SET title_message = a.title
  FROM secops_alerts a
  WHERE i.created_by IS NULL AND a.incident_id = i.id AND a.title->>'zh' = i.title;
