/** Typed client of the sharing API (src/modules/share/share.routes.ts): requests, approvals, grants, notifications. */
import { api } from './client.ts';

export const GRANT_MODES = ['clear', 'masked', 'pseudonym', 'generalized', 'redacted', 'verify', 'hidden'] as const;
/** How a redacted text column shows its spans: masked (王*) or as typed placeholders (〔姓名〕). */
export const REDACT_STYLES = ['masked', 'placeholder'] as const;
export type RedactStyle = (typeof REDACT_STYLES)[number];
export type GrantMode = (typeof GRANT_MODES)[number];

export const PURPOSE_CATEGORIES = ['social_assistance', 'public_service', 'regulation', 'statistics', 'administrative_duty', 'emergency', 'other'] as const;
export type PurposeCategory = (typeof PURPOSE_CATEGORIES)[number];

export const REQUEST_STATES = ['submitted', 'provider_approved', 'active', 'rejected', 'expired', 'revoked'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];
export type GrantState = 'active' | 'revoked' | 'expired';

export interface Generalize {
  date?: 'year' | 'month';
  ageBand?: 5 | 10;
  address?: 'province' | 'city' | 'district';
  bucket?: number;
}

export interface GrantColumn {
  name: string;
  mode: GrantMode;
  generalize?: Generalize;
  redact?: RedactStyle;
}

export interface Terms {
  columns: GrantColumn[];
  rowFilter: string | null;
  endDate: string;
  rowsPerDay: number | null;
  requestsPerMinute: number | null;
  ipRanges: string[];
  impactAssessment: string | null;
}

export interface ShareRequest {
  id: string;
  dataset: { code: string; name: string };
  providerOrgId: string;
  providerName: string;
  consumerOrgId: string;
  consumerName: string;
  requester: { id: string; username: string; name: string };
  columns: string[];
  purpose: string;
  purposeCategory: PurposeCategory;
  legalBasis: string;
  endDate: string;
  expectedRowsPerDay: number | null;
  rowFilter: string | null;
  state: RequestState;
  needsSecurity: boolean;
  /** Telemetry sets: the resolution, window and devices asked for (null for tables). */
  series: { resolution: 'raw' | '1m' | '1h'; from?: string | null; to?: string | null; devices?: string[] } | null;
  /** Interfaces (接口服务): the operations asked for (null for tables and telemetry). */
  operations: string[] | null;
  terms: Terms | null;
  providerDecidedAt: string | null;
  providerNote: string | null;
  securityDecidedAt: string | null;
  securityNote: string | null;
  grantId: string | null;
  createdAt: string;
}

export interface ColumnDetail {
  name: string;
  grade: number | null;
  encrypted: boolean;
  blindIndex: boolean;
  /** Recognised type (cn_resident_id, person_name, address …) or null. */
  type: string | null;
  dataType: string;
  /** A free-text column, graded by the spans found in it: offered redacted. */
  freeText: boolean;
}

export interface RequestDetail extends ShareRequest {
  columnDetails: ColumnDetail[];
  importantCandidate: boolean;
}

export interface Grant {
  id: string;
  dataset: { code: string; name: string };
  providerOrgId: string;
  consumerOrgId: string;
  consumerName: string;
  requestId: string | null;
  automatic: boolean;
  columns: GrantColumn[];
  rowFilter: string | null;
  purpose: string;
  legalBasis: string;
  rowsPerDay: number | null;
  requestsPerMinute: number | null;
  ipRanges: string[];
  expiresAt: string | null;
  state: GrantState;
  revokedAt: string | null;
  revokeReason: string | null;
  createdAt: string;
}

export interface Notification {
  id: string;
  kind: string;
  title: string;
  body: Record<string, unknown>;
  link: string | null;
  createdAt: string;
  readAt: string | null;
}

export interface RequestInput {
  dataset: string;
  columns: string[];
  purpose: string;
  purposeCategory: PurposeCategory;
  legalBasis: string;
  endDate: string;
  expectedRowsPerDay?: number;
  /** Telemetry sets: finest resolution, data window, whole devices. */
  series?: { resolution: 'raw' | '1m' | '1h'; from?: string; to?: string; devices?: string[] };
  /** Interfaces (接口服务): the operations asked for; the columns are their response fields. */
  operations?: string[];
  rowFilter?: string;
}

export interface ApprovalInput {
  columns: GrantColumn[];
  rowFilter?: string;
  endDate?: string;
  rowsPerDay?: number;
  requestsPerMinute?: number;
  ipRanges?: string[];
  impactAssessment?: string;
  note?: string;
}

const id = (value: string) => encodeURIComponent(value);

export const shareApi = {
  submit: (input: RequestInput) => api<ShareRequest>('POST', '/api/v1/share/requests', input),
  requests: (query: { state?: RequestState; dataset?: string } = {}) => {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v) as [string, string][]);
    const qs = params.toString();
    return api<{ items: ShareRequest[] }>('GET', `/api/v1/share/requests${qs ? `?${qs}` : ''}`).then((r) => r.items);
  },
  request: (requestId: string) => api<RequestDetail>('GET', `/api/v1/share/requests/${id(requestId)}`),
  approve: (requestId: string, input: ApprovalInput) => api<ShareRequest>('POST', `/api/v1/share/requests/${id(requestId)}/approve`, input),
  securityApprove: (requestId: string, note?: string) => api<ShareRequest>('POST', `/api/v1/share/requests/${id(requestId)}/security-approve`, note ? { note } : {}),
  reject: (requestId: string, reason: string) => api<ShareRequest>('POST', `/api/v1/share/requests/${id(requestId)}/reject`, { reason }),
  grants: (dataset?: string) => api<{ items: Grant[] }>('GET', `/api/v1/share/grants${dataset ? `?dataset=${id(dataset)}` : ''}`).then((r) => r.items),
  grant: (grantId: string) => api<Grant>('GET', `/api/v1/share/grants/${id(grantId)}`),
  revoke: (grantId: string, reason: string) => api<Grant>('POST', `/api/v1/share/grants/${id(grantId)}/revoke`, { reason }),
  exportRecords: (code: string, format: 'csv' | 'ndjson', query: string) =>
    api<{ id: string; jobId: string; downloadUrl: string; expiresAt: string }>('POST', `/api/v1/datasets/${id(code)}/exports`, { format, query }),
  exportState: (exportId: string) =>
    api<{ id: string; state: 'queued' | 'ready' | 'failed'; format: 'csv' | 'ndjson'; rowCount: number | null; bytes: number | null; expiresAt: string; jobId: string | null }>('GET', `/api/v1/exports/${id(exportId)}`),
  notifications: (unread = false) => api<{ unread: number; items: Notification[] }>('GET', `/api/v1/notifications${unread ? '?unread=true' : ''}`),
  markRead: (notificationId: string) => api<null>('POST', `/api/v1/notifications/${id(notificationId)}/read`),
  markAllRead: () => api<{ marked: number }>('POST', '/api/v1/notifications/read-all'),
};

/** Console route of a notification's link (the API links to /share/…, the console lives under /sharing/…). */
export function consoleLink(link: string | null): string | null {
  if (!link) return null;
  return link.replace(/^\/share\//, '/sharing/');
}

// ---- row filters ----------------------------------------------------------------------------------

export const FILTER_OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'in', 'is'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** One condition of the row-filter builder; conditions are ANDed. */
export interface FilterCondition {
  column: string;
  op: FilterOperator;
  /** For `in`: items separated by commas (、 and ， accepted too); ignored for `is` (null). */
  value: string;
}

function quoteItem(value: string): string {
  return /[,.()"\\\s]/.test(value) || value === '' ? `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"` : value;
}

/**
 * The API's filter text for the builder's conditions: `户籍地=eq.朝阳市&人口数=gte.3`; parts are
 * URL-encoded for sending (the server reads it as a query string), left as typed for display.
 */
export function filterFromConditions(conditions: readonly FilterCondition[], encode = true): string {
  const part = encode ? encodeURIComponent : (s: string) => s;
  return conditions
    .filter((c) => c.column && (c.op === 'is' || c.value.trim() !== ''))
    .map((c) => {
      let value: string;
      if (c.op === 'is') value = 'null';
      else if (c.op === 'in') value = `(${c.value.split(/[,,、]/).map((v) => v.trim()).filter(Boolean).map(quoteItem).join(',')})`;
      else value = c.value.startsWith('"') ? quoteItem(c.value) : c.value;
      return `${part(c.column)}=${part(`${c.op}.${value}`)}`;
    })
    .join('&');
}

/** Reads simple filter text (`a=eq.x&b=in.(y,z)`) back into builder conditions; undefined if it is not that simple. */
export function conditionsFromFilter(text: string | null): FilterCondition[] | undefined {
  if (!text) return [];
  const out: FilterCondition[] = [];
  for (const part of text.split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const column = part.slice(0, eq);
    const rest = part.slice(eq + 1);
    const m = /^(eq|neq|gt|gte|lt|lte|like|in|is)\.(.*)$/.exec(rest);
    if (!m || column === 'or' || column === 'and') return undefined;
    const op = m[1] as FilterOperator;
    let value = m[2] ?? '';
    if (op === 'in') value = value.replace(/^\(|\)$/g, '').replace(/"/g, '');
    else if (op === 'is') value = '';
    else if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    out.push({ column, op, value });
  }
  return out;
}
