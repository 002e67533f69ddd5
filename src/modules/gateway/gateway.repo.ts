/** All SQL of the gateway module (its own tables only), with bound parameters. */
import type { Queryable } from '../../db/index.ts';
import { maybeOne } from '../../db/index.ts';
import type { Method, ParameterSpec } from './openapi.ts';

export interface ServiceRow {
  dataset_id: string;
  base_url: string;
  timeout_ms: number;
  max_response_bytes: number;
  max_concurrency: number;
  auth_header: string | null;
  /** Ciphertext under the resource's data key; only the gateway's call path decrypts it. */
  auth_secret: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface OperationRow {
  dataset_id: string;
  op_id: string;
  method: Method;
  path: string;
  summary: string;
  parameters: ParameterSpec[];
  fields: string[];
  position: number;
}

export function gatewayRepo(db: Queryable) {
  return {
    insertService: (s: { datasetId: string; baseUrl: string; timeoutMs: number; maxResponseBytes: number; maxConcurrency: number; authHeader: string | null; authSecret: string | null }) =>
      db.query(
        `INSERT INTO gateway_services (dataset_id, base_url, timeout_ms, max_response_bytes, max_concurrency, auth_header, auth_secret) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [s.datasetId, s.baseUrl, s.timeoutMs, s.maxResponseBytes, s.maxConcurrency, s.authHeader, s.authSecret],
      ),

    setAuth: (datasetId: string, header: string | null, secret: string | null) =>
      db.query('UPDATE gateway_services SET auth_header = $2, auth_secret = $3, updated_at = now() WHERE dataset_id = $1', [datasetId, header, secret]),

    insertOperation: (o: Omit<OperationRow, 'dataset_id'> & { datasetId: string }) =>
      db.query(
        `INSERT INTO gateway_operations (dataset_id, op_id, method, path, summary, parameters, fields, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [o.datasetId, o.op_id, o.method, o.path, o.summary, JSON.stringify(o.parameters), o.fields, o.position],
      ),

    service: (datasetId: string) => maybeOne<ServiceRow>(db, 'SELECT * FROM gateway_services WHERE dataset_id = $1', [datasetId]),

    operations: (datasetId: string) => db.query<OperationRow>('SELECT * FROM gateway_operations WHERE dataset_id = $1 ORDER BY position', [datasetId]),

    /** The operations of a service with the given method: the candidates a call path is matched against. */
    operationsFor: (datasetId: string, method: string) =>
      db.query<OperationRow>('SELECT * FROM gateway_operations WHERE dataset_id = $1 AND method = $2 ORDER BY position', [datasetId, method]),

    /** Every registered interface, oldest first (the service filters by catalogue visibility). */
    serviceIds: async () => (await db.query<{ dataset_id: string }>('SELECT dataset_id FROM gateway_services ORDER BY created_at')).map((r) => r.dataset_id),
  };
}

export type GatewayRepo = ReturnType<typeof gatewayRepo>;
