/** Typed client of the audit log API (auditor only; see src/modules/audit/audit.routes.ts). */
import { api } from './client.ts';

export type AuditResult = 'success' | 'failure' | 'denied';
export const RESULTS: AuditResult[] = ['success', 'failure', 'denied'];

/** One record of the log, exactly as the server hashes it (docs/audit-proofs.md §1). */
export interface AuditRecord {
  seq: number;
  time: string;
  action: string;
  result: AuditResult;
  actorUserId: string | null;
  actorUsername: string | null;
  actorOrgId: string | null;
  actorApiKeyId: string | null;
  actorRoles: string[];
  targetType: string | null;
  targetId: string | null;
  targetLabel: string | null;
  dataset: string | null;
  details: Record<string, unknown>;
  requestId: string | null;
  clientIp: string | null;
  prevHash: string;
  hash: string;
}

export interface SignedHead {
  treeSize: number;
  rootHash: string;
  timestamp: string;
  hashAlg: 'sha256' | 'sm3';
  keyId: string;
  signature: string;
}

export interface VerifyReport {
  ok: boolean;
  checked: number;
  checkpoints: number;
  firstBadSeq?: number;
  badCheckpoint?: number;
  /** A head the policy requires (every 1000 records) that is missing. */
  missingHead?: number;
  reason?: string;
}

export interface InclusionProof {
  seq: number;
  leafIndex: number;
  treeSize: number;
  recordHash: string;
  leafHash: string;
  auditPath: string[];
  head: SignedHead;
  record: AuditRecord;
}

export interface PublicKey {
  algorithm: 'Ed25519';
  keyId: string;
  publicKeyPem: string;
  hashAlg: 'sha256' | 'sm3';
}

/** Search filters, in the API's query parameter names. */
export interface RecordFilter {
  actor_username?: string;
  org_id?: string;
  dataset?: string;
  action?: string;
  action_prefix?: string;
  result?: AuditResult;
  /** ISO 8601, inclusive. */
  from?: string;
  /** ISO 8601, exclusive. */
  to?: string;
}

export interface AccessFilter {
  dataset: string;
  column?: string;
  from?: string;
  to?: string;
  result?: AuditResult;
}

export interface AccessSummary {
  actorUserId: string | null;
  actorUsername: string | null;
  actorOrgId: string | null;
  actorApiKeyId: string | null;
  responses: number;
  rows: number;
  firstTime: string;
  lastTime: string;
}

export interface AccessEntry {
  seq: number;
  time: string;
  action: string;
  result: AuditResult;
  actorUserId: string | null;
  actorUsername: string | null;
  actorOrgId: string | null;
  actorApiKeyId: string | null;
  columns: { name: string; mode: string }[];
  rowCount: number | null;
  purpose: string | null;
  grantId: string | null;
  requestId: string | null;
  clientIp: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor?: number;
}

/** Query string of the set (non-empty) parameters. */
export function queryOf(params: object): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function searchRecords(filter: RecordFilter, page: { cursor?: number; limit: number }): Promise<Page<AuditRecord>> {
  return api('GET', `/api/v1/audit/records${queryOf({ ...filter, ...page })}`);
}

export function getRecord(seq: number): Promise<AuditRecord> {
  return api('GET', `/api/v1/audit/records/${seq}`);
}

export function verifyChain(): Promise<VerifyReport> {
  return api('GET', '/api/v1/audit/verify');
}

export function latestHead(): Promise<SignedHead> {
  return api('GET', '/api/v1/audit/heads/latest');
}

export function inclusionProof(seq: number): Promise<InclusionProof> {
  return api('GET', `/api/v1/audit/proof/${seq}`);
}

export function publicKey(): Promise<PublicKey> {
  return api('GET', '/api/v1/audit/public-key');
}

export function accessHistory(
  filter: AccessFilter,
  page: { cursor?: number; limit: number },
): Promise<{ summary: AccessSummary[]; entries: AccessEntry[]; nextCursor?: number }> {
  return api('GET', `/api/v1/audit/access-history${queryOf({ ...filter, ...page })}`);
}

/** Download address of the selection (the browser sends the session cookie). */
export function exportUrl(filter: RecordFilter, format: 'csv' | 'json'): string {
  return `/api/v1/audit/export${queryOf({ ...filter, format })}`;
}

/** GET /audit/witness as a download: a head signed now, to keep outside pdx (pdx audit verify --head). */
export const WITNESS_URL = '/api/v1/audit/witness';
