-- Incident timeline entries the platform writes itself (opened from an alert, a containment, a report
-- deadline warning, a severity change) are stored as a code with its parameters, and put into words
-- when read: the console shows them in its language (issue 22), the incident report in Chinese.
-- `text` stays what a person typed (a note, the reason of a stage change).
ALTER TABLE secops_incident_events ADD COLUMN code text;
ALTER TABLE secops_incident_events ADD COLUMN params jsonb NOT NULL DEFAULT '{}'::jsonb;

-- Entries written before carried a Chinese sentence only; give them their code where their fields
-- say what it was. The rest keep showing their stored text.
UPDATE secops_incident_events SET code = 'auto_opened' WHERE kind = 'opened' AND text = '由告警自动创建';
UPDATE secops_incident_events SET code = 'severity', params = jsonb_build_object('from', details->'from', 'to', details->'to')
  WHERE kind = 'severity' AND details ? 'from' AND details ? 'to';
UPDATE secops_incident_events e SET code = 'containment', params = jsonb_build_object('kind', c.kind, 'target', coalesce(c.target_label, c.target_id))
  FROM secops_containments c
  WHERE e.kind = 'action' AND e.actor_name = 'pdx' AND e.details->>'containmentId' = c.id::text;
UPDATE secops_incident_events
  SET code = 'deadline_warning', params = jsonb_build_object('which', details->'which', 'minutes', substring(text FROM '将于 (-?[0-9]+) 分钟后到期')::int)
  WHERE kind = 'warning' AND details ? 'which' AND text ~ '将于 -?[0-9]+ 分钟后到期';
