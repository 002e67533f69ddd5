-- Evidence attached to a data objection (数据异议, issue 20 §2): files the objector sends with the
-- objection (a certificate, a scan, a screenshot). Sealed under the platform key (they may carry
-- personal information); only the objection's parties download them.
CREATE TABLE duty_objection_attachments (
  objection_id uuid NOT NULL REFERENCES duty_objections (id) ON DELETE CASCADE,
  seq integer NOT NULL CHECK (seq > 0),
  name text NOT NULL,
  content_type text NOT NULL,
  size integer NOT NULL CHECK (size >= 0),
  -- SHA-256 of the file as sent (hex), so a party can show the file it holds is the one attached.
  sha256 text NOT NULL,
  data bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (objection_id, seq)
);
