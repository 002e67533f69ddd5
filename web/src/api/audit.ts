/** Calls and shapes of the audit log API (auditor only; see src/modules/audit/audit.routes.ts). */
import { allOf, GET, urlOf, type QueryOf, type ResponseOf } from './client.ts';

/** One record of the log, exactly as the server hashes it (docs/audit-proofs.md §1). */
export type AuditRecord = ResponseOf<'/api/v1/audit/records/{seq}', 'get'>;
export type AuditResult = AuditRecord['result'];
export const RESULTS = allOf<AuditResult>()(['success', 'failure', 'denied']);
export type SignedHead = ResponseOf<'/api/v1/audit/heads/latest', 'get'>;
export type VerifyReport = ResponseOf<'/api/v1/audit/verify', 'get'>;
export type InclusionProof = ResponseOf<'/api/v1/audit/proof/{seq}', 'get'>;
export type PublicKey = ResponseOf<'/api/v1/audit/public-key', 'get'>;

type RecordQuery = QueryOf<'/api/v1/audit/records', 'get'>;
/** The search filters the console offers, in the API's query parameter names. */
export type RecordFilter = Pick<RecordQuery, 'actor_username' | 'org_id' | 'dataset' | 'action' | 'action_prefix' | 'result' | 'from' | 'to'>;
type AccessQuery = QueryOf<'/api/v1/audit/access-history', 'get'>;
export type AccessFilter = Omit<AccessQuery, 'cursor' | 'limit'>;
export type AccessHistory = ResponseOf<'/api/v1/audit/access-history', 'get'>;
export type AccessSummary = AccessHistory['summary'][number];
export type AccessEntry = AccessHistory['entries'][number];

export const searchRecords = (filter: RecordFilter, page: { cursor?: number; limit: number }) =>
  GET('/api/v1/audit/records', { query: { ...filter, ...page } });
export const getRecord = (seq: number) => GET('/api/v1/audit/records/{seq}', { path: { seq } });
export const verifyChain = () => GET('/api/v1/audit/verify');
export const latestHead = () => GET('/api/v1/audit/heads/latest');
export const inclusionProof = (seq: number) => GET('/api/v1/audit/proof/{seq}', { path: { seq } });
export const publicKey = () => GET('/api/v1/audit/public-key');
export const accessHistory = (filter: AccessFilter, page: { cursor?: number; limit: number }) =>
  GET('/api/v1/audit/access-history', { query: { ...filter, ...page } });

/** Download address of the selection (the browser sends the session cookie). */
export const exportUrl = (filter: RecordFilter, format: 'csv' | 'json') => urlOf('/api/v1/audit/export', { query: { ...filter, format } });

/** GET /audit/witness as a download: a head signed now, to keep outside pdx (pdx audit verify --head). */
export const WITNESS_URL = urlOf('/api/v1/audit/witness');
