-- Interface sharing (接口服务, issue 17): departments register their own HTTP APIs as catalogue
-- resources of kind 'service'; consumers call them through the gateway under the grants of the
-- sharing module. The two small extensions other modules need: the resource kind and the operations
-- of a share request and grant.

ALTER TABLE datasets DROP CONSTRAINT datasets_resource_kind_check;
ALTER TABLE datasets ADD CONSTRAINT datasets_resource_kind_check CHECK (resource_kind IN ('table', 'telemetry', 'service'));

-- Operations of an interface asked for and granted: {"operations": ["getCompany", …]}.
ALTER TABLE share_requests ADD COLUMN service_terms jsonb;
ALTER TABLE share_grants ADD COLUMN service_terms jsonb;

-- One row per registered interface (a catalogue resource of kind 'service').
CREATE TABLE gateway_services (
  dataset_id uuid PRIMARY KEY REFERENCES datasets (id),
  -- The only origin and path prefix the gateway ever contacts for this service.
  base_url text NOT NULL,
  timeout_ms integer NOT NULL DEFAULT 10000 CHECK (timeout_ms BETWEEN 100 AND 120000),
  max_response_bytes integer NOT NULL DEFAULT 4194304 CHECK (max_response_bytes > 0),
  -- Calls in flight to this upstream per pdx process at most; more are refused with 503 at once,
  -- so a slow upstream cannot tie up the server.
  max_concurrency integer NOT NULL DEFAULT 32 CHECK (max_concurrency BETWEEN 1 AND 10000),
  -- Upstream credential: a header name and its value, encrypted with the resource's data key
  -- (wrapped under the master key). Never returned by the API, never logged.
  auth_header text,
  auth_secret text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- 操作: method and path template; parameters and response fields (JSON paths, which are the 信息项).
CREATE TABLE gateway_operations (
  dataset_id uuid NOT NULL REFERENCES gateway_services (dataset_id),
  op_id text NOT NULL CHECK (op_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  method text NOT NULL CHECK (method IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')),
  path text NOT NULL,
  summary text NOT NULL DEFAULT '',
  -- [{"name", "in": "path"|"query", "required", "description"}]
  parameters jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- JSON paths of the response fields this operation returns (names of 信息项 of the resource).
  fields text[] NOT NULL DEFAULT '{}',
  position integer NOT NULL,
  PRIMARY KEY (dataset_id, op_id)
);
