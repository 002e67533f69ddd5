/** Calls and shapes of the catalogue, aggregation (upload) and job APIs (src/modules/catalog, ingest, jobs). */
import type { QualityReport } from '../../../src/modules/ingest/quality.ts';
import type { IngestResult } from '../../../src/modules/ingest/result.ts';
import { allOf, GET, PATCH, POST, PUT, upload, type BodyOf, type QueryOf, type ResponseOf } from './client.ts';

export type Dataset = ResponseOf<'/api/v1/datasets/{code}', 'get'>;
/** Body of POST /datasets (the API's snake_case field names). */
export type DatasetInput = BodyOf<'/api/v1/datasets', 'post'>;
export type SearchQuery = QueryOf<'/api/v1/datasets', 'get'>;
export type SearchResult = ResponseOf<'/api/v1/datasets', 'get'>;
export type FacetKey = keyof SearchResult['facets'];
export type Facet = SearchResult['facets'][FacetKey][number];
export type Column = ResponseOf<'/api/v1/datasets/{code}/columns', 'get'>['items'][number];
export type ColumnChange = BodyOf<'/api/v1/datasets/{code}/columns', 'put'>['columns'][number];
export type ColumnRules = Column['rules'];
export type DataType = Column['dataType'];
export type Version = ResponseOf<'/api/v1/datasets/{code}/versions', 'get'>['items'][number];
export type VersionReport = ResponseOf<'/api/v1/datasets/{code}/versions/{version}', 'get'>;
export type Job = ResponseOf<'/api/v1/jobs/{id}', 'get'>;

export type ShareType = Dataset['shareType'];
export type ShareMethod = Dataset['shareMethods'][number];
export type DatasetStatus = Dataset['status'];

export const SHARE_TYPES = allOf<ShareType>()(['unconditional', 'conditional', 'none']);
export const SHARE_METHODS = allOf<ShareMethod>()(['api', 'table', 'file']);
export type UpdateCycle = NonNullable<DatasetInput['update_cycle']>;
export const UPDATE_CYCLES = allOf<UpdateCycle>()(['realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'irregular']);
/** A dataset's update cycle (answered as text) when it is one the form offers. */
export const updateCycleOf = (d: Dataset): UpdateCycle | undefined => UPDATE_CYCLES.find((c) => c === d.updateCycle);
export const DATA_TYPES = allOf<DataType>()(['text', 'integer', 'decimal', 'boolean', 'date', 'timestamp']);

// ---- readings of JSON fields --------------------------------------------------------------------
// Version.source and error and Column.classification are declared by the routes (schema.d.ts);
// Version.quality and an ingest job's result are the server's own types, imported type-only (nothing
// of the server reaches the console bundle); the job route answers every kind of job's result.

export type { QualityReport } from '../../../src/modules/ingest/quality.ts';
/** One failure example of a quality report. */
export type { RuleFailure } from '../../../src/modules/ingest/validate.ts';
export type { IngestResult } from '../../../src/modules/ingest/result.ts';
export type VersionSource = Version['source'];
export type VersionError = NonNullable<Version['error']>;
export type ColumnClassification = Column['classification'];

export const qualityOf = (v: Version) => v.quality as QualityReport | null;
export const ingestResultOf = (job: Job) => job.result as IngestResult | null;

// ---- calls -----------------------------------------------------------------------------------------

export const searchDatasets = (query: SearchQuery) => GET('/api/v1/datasets', { query });
export const getDataset = (code: string) => GET('/api/v1/datasets/{code}', { path: { code } });
export const createDataset = (input: DatasetInput) => POST('/api/v1/datasets', { body: input });
export const updateDataset = (code: string, patch: BodyOf<'/api/v1/datasets/{code}', 'patch'>) =>
  PATCH('/api/v1/datasets/{code}', { path: { code }, body: patch });
export const getColumns = (code: string) => GET('/api/v1/datasets/{code}/columns', { path: { code } }).then((r) => r.items);
export const putColumns = (code: string, columns: ColumnChange[]) =>
  PUT('/api/v1/datasets/{code}/columns', { path: { code }, body: { columns } }).then((r) => r.items);
export const publishDataset = (code: string) => POST('/api/v1/datasets/{code}/publish', { path: { code } });
export const withdrawDataset = (code: string) => POST('/api/v1/datasets/{code}/withdraw', { path: { code } });
export const getVersions = (code: string) => GET('/api/v1/datasets/{code}/versions', { path: { code } }).then((r) => r.items);
export const getVersionReport = (code: string, version: number) => GET('/api/v1/datasets/{code}/versions/{version}', { path: { code, version } });
export const getJob = (id: string) => GET('/api/v1/jobs/{id}', { path: { id } });
/** Whether a job has ended (succeeded, failed or cancelled). */
export const jobEnded = (job: Job) => job.state !== 'queued' && job.state !== 'running';
/** Asks for a job every `every` ms until it ends, at most `tries` times; resolves with its last state. */
export async function waitForJob(id: string, { every = 1000, tries = 120 } = {}): Promise<Job> {
  let job = await getJob(id);
  for (let i = 1; i < tries && !jobEnded(job); i++) {
    await new Promise((r) => setTimeout(r, every));
    job = await getJob(id);
  }
  return job;
}

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
    update_cycle: updateCycleOf(d),
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
  /** When the file's data was extracted (数据截至), an ISO instant: the catalogue's upkeep is judged by it. */
  asOf?: string;
  /** Called with bytes sent and the total as the browser sends the file. */
  onProgress?(sent: number, total: number): void;
}

/** Uploads a file as a new version (multipart field "file"). Resolves with the job id to poll. */
export function uploadVersion(code: string, file: File, options: UploadOptions): { done: Promise<string>; abort(): void } {
  const form = new FormData();
  form.append('file', file, file.name);
  const query = { mode: options.mode, encoding: options.encoding, sheet: options.sheet, asOf: options.asOf };
  const sending = upload('/api/v1/datasets/{code}/versions', { path: { code }, query }, form, (sent, total) => options.onProgress?.(sent, total ?? file.size));
  return { done: sending.done.then((r) => r.jobId), abort: sending.abort };
}
