/**
 * Typed client of the open-data API (src/modules/open/*.routes.ts): the portal and open API, society
 * users' accounts (their own session, CSRF cookie pdx_open_csrf), and the officers' management side.
 */
import { api } from './client.ts';

export interface Message {
  zh: string;
  en: string;
}

export type OpenType = 'unconditional' | 'conditional';

export interface DatasetSummary {
  code: string;
  name: string;
  summary: string;
  domain: string;
  provider: { id: string; name: string };
  region: { code: string; name: string };
  format: string;
  updateCycle: string;
  openType: OpenType;
  tags: string[];
  rows: number;
  release: number;
  publishedAt: string;
  downloads: number;
  apiCalls: number;
  rating: number | null;
  ratings: number;
  quality: number;
}

export interface Facet {
  value: string;
  label: string;
  count: number;
}

export interface SearchResult {
  total: number;
  items: DatasetSummary[];
  facets: Record<'domain' | 'org' | 'region' | 'format' | 'cycle' | 'openType', Facet[]>;
}

export interface RiskSummary {
  recordsAtRisk: number;
  highestRisk: number;
  successRate: number;
}

export interface Risks {
  prosecutor: RiskSummary;
  journalist: RiskSummary;
  marketer: { successRate: number };
}

export interface DatasetPage extends Omit<DatasetSummary, 'quality'> {
  category: string;
  contact: { name?: string; phone?: string; email?: string };
  licence: string;
  notes: string;
  version: number;
  previews: number;
  columns: { name: string; dataType: string; description: string; generalization: Message | null; completeness: number; distinct: number }[];
  quality: { score: number; completeness: number; documentation: number };
  chart: { column: string; values: { value: string; count: number }[] } | null;
  deidentification: { thresholds: Thresholds; k: number | null; l: (number | null)[]; suppression: number; informationLoss: number; risks: Risks | null; removedColumns: number; quasiIdentifiers: string[]; sensitive: string[] };
  history: { release: number; version: number; state: string; publishedAt: string | null; withdrawnAt: string | null; rows: number | null; reason: string | null }[];
  comments: { id: string; author: string; rating: number; body: string; createdAt: string }[];
}

export type Cell = string | number | boolean | null;

export interface Home {
  stats: { datasets: number; departments: number; rows: number; downloads: number; apiCalls: number };
  newest: DatasetSummary[];
  popular: DatasetSummary[];
  domains: { name: string; datasets: number }[];
}

export interface Department {
  id: string;
  name: string;
  region: string;
  datasets: number;
  downloads: number;
  apiCalls: number;
}

export interface Demand {
  id: string;
  orgId: string;
  title: string;
  body: string;
  author: string;
  state: 'submitted' | 'answered' | 'rejected';
  answer: string | null;
  answeredAt: string | null;
  createdAt: string;
}

export interface Showcase {
  id: string;
  title: string;
  description: string;
  url: string | null;
  datasets: string[];
  author: string;
  state: 'pending' | 'approved' | 'rejected';
  reason: string | null;
  createdAt: string;
}

export interface SocietyUser {
  id: string;
  email: string;
  kind: 'individual' | 'enterprise';
  displayName: string;
  orgName: string | null;
  uscc: string | null;
  phone: string | null;
  verified: boolean;
  createdAt: string;
}

export interface OpenKey {
  id: string;
  name: string;
  prefix: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export interface Application {
  id: string;
  dataset: { code: string; name: string };
  purpose: string;
  intendedUse: string;
  applicant: { name: string; organization?: string; uscc?: string; phone?: string };
  email?: string;
  state: 'submitted' | 'approved' | 'rejected' | 'expired';
  dueAt: string;
  overdue: boolean;
  terms: { until: string; conditions: string } | null;
  reason: string | null;
  decidedAt: string | null;
  createdAt: string;
}

/** Where a mail went: sent, or (no SMTP server configured) written to the server's log. */
export interface MailNotice {
  delivery: 'email' | 'log';
}

const society = { csrfCookie: 'pdx_open_csrf' };
const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== '') as [string, string][]).toString();
  return s ? `?${s}` : '';
};

/** The portal, the open API and society accounts. */
export const portalApi = {
  home: () => api<Home>('GET', '/api/v1/open/home'),
  search: (params: Record<string, string | number | undefined>) => api<SearchResult>('GET', `/api/v1/open/datasets${q(params)}`),
  dataset: (code: string) => api<DatasetPage>('GET', `/api/v1/open/datasets/${encodeURIComponent(code)}`),
  preview: (code: string) => api<{ columns: string[]; rows: Record<string, Cell>[] }>('GET', `/api/v1/open/datasets/${encodeURIComponent(code)}/preview`),
  downloadUrl: (code: string, format: 'csv' | 'xlsx' | 'json') => `/api/v1/open/datasets/${encodeURIComponent(code)}/download?format=${format}`,
  departments: () => api<{ items: Department[] }>('GET', '/api/v1/open/departments'),
  department: (id: string) => api<Department & { items: DatasetSummary[] }>('GET', `/api/v1/open/departments/${id}`),
  demands: () => api<{ items: Demand[] }>('GET', '/api/v1/open/demands'),
  demandDepartments: () => api<{ items: { id: string; name: string }[] }>('GET', '/api/v1/open/demand-departments'),
  showcases: () => api<{ items: Showcase[] }>('GET', '/api/v1/open/showcases'),

  apply: (code: string, body: { purpose: string; intendedUse: string; applicant: Application['applicant'] }) =>
    api<{ id: string; state: 'submitted'; dueAt: string }>('POST', `/api/v1/open/datasets/${encodeURIComponent(code)}/applications`, body, society),
  comment: (code: string, body: { rating: number; body: string }) => api<{ id: string }>('POST', `/api/v1/open/datasets/${encodeURIComponent(code)}/comments`, body, society),
  demand: (body: { orgId: string; title: string; body: string }) => api<{ id: string }>('POST', '/api/v1/open/demands', body, society),
  showcase: (body: { title: string; description: string; url?: string; datasets: string[] }) => api<{ id: string }>('POST', '/api/v1/open/showcases', body, society),

  register: (body: { email: string; password: string; kind: 'individual' | 'enterprise'; displayName: string; orgName?: string; uscc?: string; phone?: string }) =>
    api<MailNotice>('POST', '/api/v1/open/account/register', body, society),
  verify: (token: string) => api<SocietyUser>('POST', '/api/v1/open/account/verify', { token }, society),
  login: (email: string, password: string) => api<{ user: SocietyUser }>('POST', '/api/v1/open/account/login', { email, password }, society),
  logout: () => api<null>('POST', '/api/v1/open/account/logout', undefined, society),
  me: () => api<SocietyUser>('GET', '/api/v1/open/account/me', undefined, society),
  requestReset: (email: string) => api<MailNotice>('POST', '/api/v1/open/account/reset-request', { email }, society),
  reset: (token: string, password: string) => api<null>('POST', '/api/v1/open/account/reset', { token, password }, society),
  keys: () => api<{ items: OpenKey[] }>('GET', '/api/v1/open/account/keys', undefined, society),
  createKey: (name: string) => api<{ key: string; item: OpenKey }>('POST', '/api/v1/open/account/keys', { name }, society),
  revokeKey: (id: string) => api<null>('POST', `/api/v1/open/account/keys/${id}/revoke`, undefined, society),
  myApplications: () => api<{ items: Application[] }>('GET', '/api/v1/open/account/applications', undefined, society),
  myDemands: () => api<{ items: Demand[] }>('GET', '/api/v1/open/account/demands', undefined, society),
  myShowcases: () => api<{ items: Showcase[] }>('GET', '/api/v1/open/account/showcases', undefined, society),
};

// ---- the officers' side ------------------------------------------------------------------------

export const HIERARCHY_KINDS = ['date', 'age', 'number', 'region', 'prefix', 'category'] as const;
export type HierarchyKind = (typeof HIERARCHY_KINDS)[number];
export const COLUMN_ROLES = ['direct', 'quasi', 'sensitive', 'insensitive', 'excluded'] as const;
export type ColumnRole = (typeof COLUMN_ROLES)[number];

export interface Thresholds {
  k: number;
  l: number;
  maxSuppression: number;
}

export interface PlanColumn {
  name: string;
  role: ColumnRole;
  hierarchy: HierarchyKind;
  level: number;
}

export interface NodeResult {
  levels: { name: string; level: number; label: Message }[];
  passes: boolean;
  misses: ('k' | 'l' | 'suppression')[];
  rows: number;
  keptRows: number;
  suppressedRows: number;
  suppression: number;
  classes: number;
  k: number | null;
  l: (number | null)[];
  informationLoss: number;
  risks: Risks;
  classSizes: { from: number; to: number | null; classes: number; rows: number }[];
}

export interface Report {
  standards: string[];
  dataset: { code: string; name: string; version: number };
  checkedAt: string;
  thresholds: Thresholds;
  rows: number;
  columns: { name: string; role: ColumnRole; grade: number | null; type: string | null; hierarchy: string | null; level: number | null; levelName: Message | null }[];
  removed: string[];
  quasiIdentifiers: string[];
  sensitive: string[];
  result: NodeResult;
  passed: boolean;
  proposals: (NodeResult & { strategy: 'greedy' | 'no_suppression' | 'least_loss' | 'path' })[];
  snapshot?: { rows: number; k: number | null; l: (number | null)[] };
}

export interface Release {
  id: string;
  dataset: { code: string; name: string };
  number: number;
  version: number;
  state: 'draft' | 'published' | 'withdrawn' | 'superseded';
  openType: OpenType;
  provider: { id: string; name: string };
  columns: PlanColumn[];
  thresholds: Thresholds;
  passed: boolean;
  report: Report | null;
  rowCount: number | null;
  licence: string;
  notes: string;
  createdAt: string;
  checkedAt: string | null;
  publishedAt: string | null;
  withdrawnAt: string | null;
  withdrawReason: string | null;
}

export interface ReleaseDetail extends Release {
  columnInfo: { name: string; grade: number; type: string | null; dataType: string; lock: Message | null; hierarchy: HierarchyKind }[];
  hierarchies: Record<HierarchyKind, Message[]>;
}

export interface Comment {
  id: string;
  dataset: string;
  author: string;
  rating: number;
  body: string;
  state: 'pending' | 'approved' | 'rejected';
  createdAt: string;
}

export interface OpenSettings extends Thresholds {
  applicationDays: number;
}

export const manageApi = {
  candidates: () => api<{ items: { code: string; name: string; openType: string; rows: number; version: number; status: string }[] }>('GET', '/api/v1/open/manage/candidates'),
  releases: () => api<{ items: Release[] }>('GET', '/api/v1/open/manage/releases'),
  create: (dataset: string) => api<Release>('POST', '/api/v1/open/manage/releases', { dataset }),
  release: (id: string) => api<ReleaseDetail>('GET', `/api/v1/open/manage/releases/${id}`),
  update: (id: string, body: { columns?: PlanColumn[]; licence?: string; notes?: string }) => api<Release>('PUT', `/api/v1/open/manage/releases/${id}`, body),
  check: (id: string) => api<Release>('POST', `/api/v1/open/manage/releases/${id}/check`),
  publish: (id: string) => api<Release>('POST', `/api/v1/open/manage/releases/${id}/publish`),
  withdraw: (id: string, reason: string) => api<Release>('POST', `/api/v1/open/manage/releases/${id}/withdraw`, { reason }),
  discard: (id: string) => api<null>('DELETE', `/api/v1/open/manage/releases/${id}`),
  reportUrl: (id: string) => `/api/v1/open/manage/releases/${id}/report`,
  applications: () => api<{ items: Application[] }>('GET', '/api/v1/open/manage/applications'),
  decide: (id: string, body: { approve: boolean; until?: string; conditions?: string; reason?: string }) => api<Application>('POST', `/api/v1/open/manage/applications/${id}/decide`, body),
  comments: () => api<{ items: Comment[] }>('GET', '/api/v1/open/manage/comments'),
  moderate: (id: string, approve: boolean) => api<null>('POST', `/api/v1/open/manage/comments/${id}/moderate`, { approve }),
  demands: () => api<{ items: Demand[] }>('GET', '/api/v1/open/manage/demands'),
  answer: (id: string, body: { answer: string; reject?: boolean }) => api<null>('POST', `/api/v1/open/manage/demands/${id}/answer`, body),
  showcases: () => api<{ items: Showcase[] }>('GET', '/api/v1/open/manage/showcases'),
  review: (id: string, body: { approve: boolean; reason?: string }) => api<null>('POST', `/api/v1/open/manage/showcases/${id}/review`, body),
  settings: () => api<OpenSettings>('GET', '/api/v1/open/manage/settings'),
  saveSettings: (body: Partial<OpenSettings>) => api<OpenSettings>('PUT', '/api/v1/open/manage/settings', body),
};
