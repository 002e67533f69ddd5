/** Calls and shapes of the sharing API (src/modules/share/share.routes.ts): requests, approvals, grants, notifications. */
import { allOf, GET, POST, type BodyOf, type QueryOf, type ResponseOf } from './client.ts';

export type ShareRequest = ResponseOf<'/api/v1/share/requests', 'get'>['items'][number];
export type RequestDetail = ResponseOf<'/api/v1/share/requests/{id}', 'get'>;
export type ColumnDetail = RequestDetail['columnDetails'][number];
export type Terms = NonNullable<ShareRequest['terms']>;
export type Grant = ResponseOf<'/api/v1/share/grants/{id}', 'get'>;
export type GrantColumn = Grant['columns'][number];
export type Generalize = NonNullable<GrantColumn['generalize']>;
export type Notification = ResponseOf<'/api/v1/notifications', 'get'>['items'][number];
export type RequestInput = BodyOf<'/api/v1/share/requests', 'post'>;
export type ApprovalInput = BodyOf<'/api/v1/share/requests/{id}/approve', 'post'>;
export type ExportState = ResponseOf<'/api/v1/exports/{id}', 'get'>;

export type GrantMode = GrantColumn['mode'];
export const GRANT_MODES = allOf<GrantMode>()(['clear', 'masked', 'pseudonym', 'generalized', 'redacted', 'verify', 'hidden']);
/** How a redacted text column shows its spans: masked (王*) or as typed placeholders (〔姓名〕). */
export type RedactStyle = NonNullable<GrantColumn['redact']>;
export const REDACT_STYLES = allOf<RedactStyle>()(['masked', 'placeholder']);
export type PurposeCategory = RequestInput['purposeCategory'];
export const PURPOSE_CATEGORIES = allOf<PurposeCategory>()([
  'social_assistance',
  'public_service',
  'regulation',
  'statistics',
  'administrative_duty',
  'emergency',
  'other',
]);
export type RequestState = ShareRequest['state'];
export const REQUEST_STATES = allOf<RequestState>()(['submitted', 'provider_approved', 'active', 'rejected', 'expired', 'revoked', 'withdrawn']);
export type GrantState = Grant['state'];

export const shareApi = {
  submit: (input: RequestInput) => POST('/api/v1/share/requests', { body: input }),
  requests: (query: QueryOf<'/api/v1/share/requests', 'get'> = {}) => GET('/api/v1/share/requests', { query }).then((r) => r.items),
  request: (id: string) => GET('/api/v1/share/requests/{id}', { path: { id } }),
  approve: (id: string, input: ApprovalInput) => POST('/api/v1/share/requests/{id}/approve', { path: { id }, body: input }),
  securityApprove: (id: string, note?: string) => POST('/api/v1/share/requests/{id}/security-approve', { path: { id }, body: note ? { note } : {} }),
  reject: (id: string, reason: string) => POST('/api/v1/share/requests/{id}/reject', { path: { id }, body: { reason } }),
  withdraw: (id: string, reason: string) => POST('/api/v1/share/requests/{id}/withdraw', { path: { id }, body: reason.trim() ? { reason } : {} }),
  renew: (id: string, input: BodyOf<'/api/v1/share/grants/{id}/renew', 'post'>) => POST('/api/v1/share/grants/{id}/renew', { path: { id }, body: input }),
  grants: (dataset?: string) => GET('/api/v1/share/grants', { query: { dataset } }).then((r) => r.items),
  grant: (id: string) => GET('/api/v1/share/grants/{id}', { path: { id } }),
  revoke: (id: string, reason: string) => POST('/api/v1/share/grants/{id}/revoke', { path: { id }, body: { reason } }),
  exportRecords: (code: string, format: 'csv' | 'ndjson', query: string) =>
    POST('/api/v1/datasets/{code}/exports', { path: { code }, body: { format, query } }),
  exportState: (id: string) => GET('/api/v1/exports/{id}', { path: { id } }),
  notifications: (unread = false) => GET('/api/v1/notifications', { query: unread ? { unread: 'true' } : {} }),
  markRead: (id: string) => POST('/api/v1/notifications/{id}/read', { path: { id } }),
  markAllRead: () => POST('/api/v1/notifications/read-all'),
};

/** Console route of a notification's link (the API links to /share/… and /datasets/…; the console shows them under /sharing/… and /catalog/…). */
export function consoleLink(link: string | null): string | null {
  if (!link) return null;
  return link.replace(/^\/share\//, '/sharing/').replace(/^\/datasets\//, '/catalog/');
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
      else if (c.op === 'in')
        value = `(${c.value
          .split(/[,,、]/)
          .map((v) => v.trim())
          .filter(Boolean)
          .map(quoteItem)
          .join(',')})`;
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
