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
  health_path: string | null;
  health_interval_s: number;
  health_state: 'unknown' | 'up' | 'down';
  health_checked_at: Date | null;
  health_error: string | null;
  retries: number;
  breaker_threshold: number;
  breaker_cooldown_ms: number;
  /** PEM certificate chain the gateway presents to the upstream (mTLS). */
  client_cert: string | null;
  /** Its private key, sealed under the master key; only the gateway's connection pool unseals it. */
  client_key_sealed: Buffer | null;
  /** PEM CA that signs the upstream's server certificate (default: the system's CAs). */
  upstream_ca: string | null;
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

export interface ServiceInsert {
  datasetId: string;
  baseUrl: string;
  timeoutMs: number;
  maxResponseBytes: number;
  maxConcurrency: number;
  authHeader: string | null;
  authSecret: string | null;
  healthPath: string | null;
  healthIntervalS: number;
  retries: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
  clientCert: string | null;
  clientKeySealed: Buffer | null;
  upstreamCa: string | null;
}

export function gatewayRepo(db: Queryable) {
  return {
    insertService: (s: ServiceInsert) =>
      db.query(
        `INSERT INTO gateway_services (dataset_id, base_url, timeout_ms, max_response_bytes, max_concurrency, auth_header, auth_secret, health_path, health_interval_s, retries, breaker_threshold, breaker_cooldown_ms, client_cert, client_key_sealed, upstream_ca)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
        [
          s.datasetId,
          s.baseUrl,
          s.timeoutMs,
          s.maxResponseBytes,
          s.maxConcurrency,
          s.authHeader,
          s.authSecret,
          s.healthPath,
          s.healthIntervalS,
          s.retries,
          s.breakerThreshold,
          s.breakerCooldownMs,
          s.clientCert,
          s.clientKeySealed,
          s.upstreamCa,
        ],
      ),

    setClientCertificate: (datasetId: string, cert: string | null, keySealed: Buffer | null) =>
      db.query('UPDATE gateway_services SET client_cert = $2, client_key_sealed = $3, updated_at = now() WHERE dataset_id = $1', [datasetId, cert, keySealed]),

    /** Claims the services whose health check is due (one process checks each: the claim moves checked_at). */
    claimHealthDue: () =>
      db.query<ServiceRow>(
        `UPDATE gateway_services SET health_checked_at = now()
          WHERE health_path IS NOT NULL AND (health_checked_at IS NULL OR health_checked_at <= now() - make_interval(secs => health_interval_s))
          RETURNING *`,
      ),

    /** Records a check's outcome; returns the state before it (a change is audited). */
    setHealth: async (datasetId: string, state: 'up' | 'down', error: string | null) =>
      (
        await db.query<{ before: string }>(
          `UPDATE gateway_services g SET health_state = $2, health_error = $3, health_checked_at = now()
             FROM (SELECT health_state AS before FROM gateway_services WHERE dataset_id = $1) old
            WHERE g.dataset_id = $1 RETURNING old.before`,
          [datasetId, state, error],
        )
      )[0]?.before,

    setAuth: (datasetId: string, header: string | null, secret: string | null) =>
      db.query('UPDATE gateway_services SET auth_header = $2, auth_secret = $3, updated_at = now() WHERE dataset_id = $1', [datasetId, header, secret]),

    /** The connection settings an edit changes (updated_at moves: the connection pool is rebuilt). */
    updateService: (datasetId: string, u: { baseUrl: string; timeoutMs: number; authHeader: string | null; authSecret: string | null }) =>
      db.query('UPDATE gateway_services SET base_url = $2, timeout_ms = $3, auth_header = $4, auth_secret = $5, updated_at = now() WHERE dataset_id = $1', [
        datasetId,
        u.baseUrl,
        u.timeoutMs,
        u.authHeader,
        u.authSecret,
      ]),

    deleteOperations: (datasetId: string) => db.query('DELETE FROM gateway_operations WHERE dataset_id = $1', [datasetId]),

    insertOperation: (o: Omit<OperationRow, 'dataset_id'> & { datasetId: string }) =>
      db.query(
        `INSERT INTO gateway_operations (dataset_id, op_id, method, path, summary, parameters, fields, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [o.datasetId, o.op_id, o.method, o.path, o.summary, JSON.stringify(o.parameters), o.fields, o.position],
      ),

    service: (datasetId: string) => maybeOne<ServiceRow>(db, 'SELECT * FROM gateway_services WHERE dataset_id = $1', [datasetId]),

    operations: (datasetId: string) => db.query<OperationRow>('SELECT * FROM gateway_operations WHERE dataset_id = $1 ORDER BY position', [datasetId]),

    /** A service with its operations of one method, in one statement (the call path). */
    callTarget: async (datasetId: string, method: string): Promise<{ service: ServiceRow; operations: OperationRow[] } | undefined> => {
      const row = await maybeOne<ServiceRow & { ops: OperationRow[] }>(
        db,
        `SELECT s.*, COALESCE((SELECT json_agg(o ORDER BY o.position) FROM gateway_operations o WHERE o.dataset_id = s.dataset_id AND o.method = $2), '[]') AS ops
           FROM gateway_services s WHERE s.dataset_id = $1`,
        [datasetId, method],
      );
      if (!row) return undefined;
      const { ops, ...service } = row;
      return { service, operations: ops };
    },

    /** Every registered interface, oldest first (the service filters by catalogue visibility). */
    serviceIds: async () => (await db.query<{ dataset_id: string }>('SELECT dataset_id FROM gateway_services ORDER BY created_at')).map((r) => r.dataset_id),
  };
}

export type GatewayRepo = ReturnType<typeof gatewayRepo>;
