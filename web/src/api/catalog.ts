/** Typed client of the catalogue, aggregation (upload) and job APIs. */
import { currentLang } from '../i18n.tsx';
import { api, ApiError } from './client.ts';

export type ShareType = 'unconditional' | 'conditional' | 'none';
export type ShareMethod = 'api' | 'table' | 'file';
export type UpdateCycle = 'realtime' | 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly' | 'irregular';
export type DatasetStatus = 'draft' | 'published' | 'withdrawn';
export type DataType = 'integer' | 'decimal' | 'boolean' | 'date' | 'timestamp' | 'text';

export const SHARE_TYPES: ShareType[] = ['unconditional', 'conditional', 'none'];
export const SHARE_METHODS: ShareMethod[] = ['api', 'table', 'file'];
export const UPDATE_CYCLES: UpdateCycle[] = ['realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'irregular'];
export const DATA_TYPES: DataType[] = ['text', 'integer', 'decimal', 'boolean', 'date', 'timestamp'];

export interface Contact {
  name?: string;
  phone?: string;
  email?: string;
}

export interface Dataset {
  id: string;
  code: string;
  name: string;
  providerOrgId: string;
  providerName: string;
  summary: string;
  domain: string;
  category: string;
  format: string;
  shareType: ShareType;
  shareConditions: string;
  shareMethods: ShareMethod[];
  openType: ShareType;
  updateCycle: UpdateCycle;
  publishDate: string | null;
  relatedCodes: string[];
  tags: string[];
  contact: Contact;
  status: DatasetStatus;
  onInvalid: 'reject' | 'quarantine';
  currentVersion: number;
  rowCount: number;
  grade: number | null;
  importantCandidate: boolean;
  /** A table of loaded versions, or a telemetry set (series of points). */
  resourceKind: 'table' | 'telemetry' | 'service';
  updatedAt: string;
}

/** Body of POST/PATCH /datasets (the API's snake_case field names). */
export interface DatasetInput {
  name: string;
  summary: string;
  domain: string;
  category: string;
  format: string;
  share_type: ShareType;
  share_conditions: string;
  share_methods: ShareMethod[];
  open_type: ShareType;
  update_cycle: UpdateCycle;
  related_codes: string[];
  tags: string[];
  contact: Contact;
  on_invalid: 'reject' | 'quarantine';
}

export interface ColumnRules {
  required?: boolean;
  unique?: boolean;
  pattern?: string;
  min?: number;
  max?: number;
  enum?: string[];
  identifier?: string;
}

export interface Column {
  position: number;
  name: string;
  label: string;
  dataType: DataType;
  description: string;
  rules: ColumnRules;
  grade: number | null;
  encrypted: boolean;
  classification: { types?: { type: string; confidence?: number }[]; category?: string | null; sensitive?: boolean; [key: string]: unknown };
}

export interface ColumnChange {
  name: string;
  label?: string;
  dataType?: DataType;
  description?: string;
  rules?: ColumnRules;
}

export interface RuleFailure {
  line: number;
  column: string;
  rule: string;
  value: string | null;
  message: { zh: string; en: string } | string;
  duplicateOf?: number;
}

export interface QualityReport {
  rows: number;
  invalidRows: number;
  columns: { name: string; nulls: number; nullRate: number; invalid: number }[];
  duplicateKeys: number;
  keyCheck: 'none' | 'complete' | 'incomplete';
  failuresByRule: Record<string, number>;
  examples: RuleFailure[];
  invalidLines: number[];
}

export interface Version {
  version: number;
  state: 'loading' | 'active' | 'failed' | 'superseded';
  mode: 'append' | 'replace';
  jobId: string | null;
  source: { fileName?: string; bytes?: number; format?: string; encoding?: string; [key: string]: unknown };
  rowsLoaded: number;
  rowsQuarantined: number;
  quality: QualityReport | null;
  error: { code?: string; message?: { zh: string; en: string } | string; [key: string]: unknown } | null;
  createdAt: string;
  activatedAt: string | null;
}

export interface VersionReport {
  version: Version;
  quarantined: { line: number; problems: unknown }[];
}

export interface Facet {
  value: string;
  label: string;
  count: number;
}

export type FacetKey = 'org' | 'domain' | 'shareType' | 'openType' | 'grade' | 'status';

export interface SearchQuery {
  q?: string;
  org?: string;
  domain?: string;
  shareType?: string;
  openType?: string;
  grade?: string;
  status?: string;
  page?: number;
  pageSize?: number;
}

export interface SearchResult {
  total: number;
  items: Dataset[];
  facets: Record<FacetKey, Facet[]>;
}

export interface Job {
  id: string;
  kind: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  rows: number;
  bytes: number;
  totalBytes: number | null;
  phase: string | null;
  result: { version?: number; rows?: number; quarantined?: number; grade?: number | null; [key: string]: unknown } | null;
  error: { code: string; message: string; details?: unknown } | null;
  createdAt: string;
  finishedAt: string | null;
}

const path = (code: string) => `/api/v1/datasets/${encodeURIComponent(code)}`;

export function searchDatasets(query: SearchQuery): Promise<SearchResult> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  return api<SearchResult>('GET', `/api/v1/datasets?${params.toString()}`);
}

export const getDataset = (code: string) => api<Dataset>('GET', path(code));
export const createDataset = (input: DatasetInput) => api<Dataset>('POST', '/api/v1/datasets', input);
export const updateDataset = (code: string, patch: Partial<DatasetInput>) => api<Dataset>('PATCH', path(code), patch);
export const getColumns = (code: string) => api<{ items: Column[] }>('GET', `${path(code)}/columns`).then((r) => r.items);
export const putColumns = (code: string, columns: ColumnChange[]) => api<{ items: Column[] }>('PUT', `${path(code)}/columns`, { columns }).then((r) => r.items);
export const publishDataset = (code: string) => api<Dataset>('POST', `${path(code)}/publish`);
export const withdrawDataset = (code: string) => api<Dataset>('POST', `${path(code)}/withdraw`);
export const getVersions = (code: string) => api<{ items: Version[] }>('GET', `${path(code)}/versions`).then((r) => r.items);
export const getVersionReport = (code: string, version: number) => api<VersionReport>('GET', `${path(code)}/versions/${version}`);
export const getJob = (id: string) => api<Job>('GET', `/api/v1/jobs/${encodeURIComponent(id)}`);

/** Form values of a dataset, for editing it. */
export function toInput(d: Dataset): DatasetInput {
  return {
    name: d.name,
    summary: d.summary,
    domain: d.domain,
    category: d.category,
    format: d.format,
    share_type: d.shareType,
    share_conditions: d.shareConditions,
    share_methods: d.shareMethods,
    open_type: d.openType,
    update_cycle: d.updateCycle,
    related_codes: d.relatedCodes,
    tags: d.tags,
    contact: d.contact,
    on_invalid: d.onInvalid,
  };
}

export interface UploadOptions {
  mode: 'append' | 'replace';
  encoding?: 'utf-8' | 'gbk' | 'gb18030';
  sheet?: string;
  /** Called with bytes sent and the total as the browser sends the file. */
  onProgress?(sent: number, total: number): void;
}

function csrfToken(): string | undefined {
  const raw = document.cookie
    .split('; ')
    .find((c) => c.startsWith('pdx_csrf='))
    ?.slice('pdx_csrf='.length);
  return raw ? decodeURIComponent(raw) : undefined;
}

/**
 * Uploads a file as a new version (multipart field "file"). XMLHttpRequest rather than fetch, because
 * only it reports upload progress. Resolves with the job id to poll.
 */
export function uploadVersion(code: string, file: File, options: UploadOptions): { done: Promise<string>; abort(): void } {
  const xhr = new XMLHttpRequest();
  const params = new URLSearchParams({ mode: options.mode });
  if (options.encoding) params.set('encoding', options.encoding);
  if (options.sheet) params.set('sheet', options.sheet);
  const done = new Promise<string>((resolve, reject) => {
    xhr.open('POST', `${path(code)}/versions?${params.toString()}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('x-pdx-lang', currentLang());
    const token = csrfToken();
    if (token) xhr.setRequestHeader('x-csrf-token', token);
    xhr.upload.onprogress = (e) => options.onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      let data: unknown;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        data = undefined;
      }
      if (xhr.status === 202) return resolve((data as { jobId: string }).jobId);
      const error = (data as { error?: { code: string; message: string; details?: unknown } } | undefined)?.error;
      reject(new ApiError(xhr.status, error?.code ?? 'http_error', error?.message ?? (xhr.statusText || `HTTP ${xhr.status}`), error?.details));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', currentLang() === 'zh' ? '网络错误,上传未完成' : 'Network error: the upload did not complete'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', currentLang() === 'zh' ? '上传已取消' : 'Upload cancelled'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
