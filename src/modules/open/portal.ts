/**
 * The public side of opening: the portal's catalogue (search with facets, dataset and department
 * pages, home), previews, downloads (CSV, XLSX, JSON) and the open API. Everything reads published
 * releases and their snapshot tables, never a live dataset; the release's state is read from the
 * database on every request, so a withdrawal holds at once on every process. Previews, downloads and
 * API calls are rate limited (per address, or per open-API key at a higher rate) and recorded in the
 * audit log before they leave.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { loadExcel } from '../../heavy.ts';
import type { Db } from '../../db/index.ts';
import { BadRequestError, ForbiddenError, NotFoundError, UnauthorizedError } from '../../errors.ts';
import { requestEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import { regionName } from '../../lib/divisions.ts';
import { chinaToday } from '../share/share.service.ts';
import { csvLine } from '../share/encode.ts';
import type { Limiter } from './limiter.ts';
import type { DeidReport } from './releases.ts';
import { openRepo, type OpenRepo, type PortalRow, type ReleaseRow, type ReleasedColumn } from './open.repo.ts';
import { societyActor, type SocietyCaller } from './society.ts';

const DATASET = { zh: '开放数据集', en: 'Open dataset' };
export const DOWNLOAD_FORMATS = ['csv', 'xlsx', 'json'] as const;
export type DownloadFormat = (typeof DOWNLOAD_FORMATS)[number];
export const DOWNLOAD_TYPES: Record<DownloadFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  json: 'application/json; charset=utf-8',
};
const PAGE_ROWS = 5000;
/** Files of releases up to this many rows are rendered once and kept in memory (releases never change). */
const CACHED_ROWS = 100_000;
const CACHE_BYTES = 64 * 1024 * 1024;
const PREVIEW_ROWS = 20;
/** How long a rendered dataset page is reused (its counters are flushed every few seconds anyway). */
const PAGE_TTL_MS = 5000;
export const MAX_API_LIMIT = 1000;
const XLSX_MAX_ROWS = 1_000_000;

/**
 * Whether an If-None-Match header names `etag` (RFC 9110 13.1.2: a list of tags or `*`, compared
 * weakly, so `W/"x"` and `"x"` match).
 */
export function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return (Array.isArray(header) ? header.join(',') : header).split(',').some((t) => t.trim() === '*' || opaque(t) === opaque(etag));
}

export type OpenValue = string | number | boolean | null;
export type OpenRow = Record<string, OpenValue>;

export interface SearchQuery {
  q?: string;
  domain?: string;
  org?: string;
  region?: string;
  format?: string;
  cycle?: string;
  openType?: string;
  sort?: 'newest' | 'popular' | 'name';
  page?: number;
  pageSize?: number;
}

function cell(value: unknown): OpenValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  return String(value);
}

/** The portal's summary of a published release. */
export function summaryOf(r: PortalRow) {
  return {
    code: r.dataset_code,
    name: r.meta.name,
    summary: r.meta.summary,
    domain: r.meta.domain,
    provider: { id: r.provider_org_id, name: r.meta.providerName },
    region: { code: r.meta.region, name: regionName(r.meta.region) ?? r.meta.region },
    format: r.meta.format,
    updateCycle: r.meta.updateCycle,
    openType: r.open_type,
    tags: r.meta.tags,
    rows: Number(r.row_count ?? 0),
    release: r.number,
    publishedAt: r.published_at!,
    downloads: Number(r.downloads),
    apiCalls: Number(r.api_calls),
    rating: r.rating === null ? null : Math.round(Number(r.rating) * 10) / 10,
    ratings: Number(r.ratings),
    quality: r.facts?.quality.score ?? 0,
  };
}

export type DatasetSummary = ReturnType<typeof summaryOf>;

/** EU vocabularies DCAT-AP asks for. */
const FREQUENCY: Record<string, string> = {
  realtime: 'CONT',
  daily: 'DAILY',
  weekly: 'WEEKLY',
  monthly: 'MONTHLY',
  quarterly: 'QUARTERLY',
  yearly: 'ANNUAL',
  irregular: 'IRREG',
};
const EU = 'http://publications.europa.eu/resource/authority';
const FILE_TYPES: Record<DownloadFormat, string> = { csv: 'CSV', xlsx: 'XLSX', json: 'JSON' };
const MEDIA_TYPES: Record<DownloadFormat, string> = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  json: 'application/json',
};

/** Everything a dataset page shows, read for one published release. */
async function pageOf(repo: OpenRepo, r: ReleaseRow) {
  const code = r.dataset_code;
  const facts = r.facts!;
  const [history, usage, comments] = await Promise.all([repo.history(code), repo.usage(code), repo.comments({ code, state: 'approved' })]);
  const ratings = comments.map((c) => c.rating);
  const report = r.report as Partial<Pick<DeidReport, 'result' | 'thresholds' | 'removed' | 'quasiIdentifiers' | 'sensitive'>> | null;
  return {
    ...summaryOf({
      ...r,
      downloads: usage.downloads,
      api_calls: usage.api_calls,
      previews: usage.previews,
      rating: ratings.length ? ratings.reduce((a, b) => a + b, 0) / ratings.length : null,
      ratings: ratings.length,
    }),
    category: r.meta.category,
    contact: r.meta.contact,
    licence: r.licence,
    notes: r.notes,
    version: r.version,
    previews: Number(usage.previews),
    columns: r.facts!.columns.map((c) => ({
      name: c.name,
      dataType: c.dataType,
      description: c.description,
      generalization: c.generalization,
      completeness: c.completeness,
      distinct: c.distinct,
    })),
    quality: facts.quality,
    chart: facts.chart,
    deidentification: {
      thresholds: report?.thresholds ?? r.thresholds,
      k: report?.result?.k ?? null,
      l: report?.result?.l ?? [],
      suppression: report?.result?.suppression ?? 0,
      informationLoss: report?.result?.informationLoss ?? 0,
      risks: report?.result?.risks ?? null,
      removedColumns: (report?.removed ?? []).length,
      quasiIdentifiers: report?.quasiIdentifiers ?? [],
      sensitive: report?.sensitive ?? [],
    },
    history: history.map((h) => ({
      release: h.number,
      version: h.version,
      state: h.state,
      publishedAt: h.published_at,
      withdrawnAt: h.withdrawn_at,
      rows: h.row_count === null ? null : Number(h.row_count),
      reason: h.withdraw_reason,
    })),
    comments: comments.slice(0, 50).map((c) => ({ id: c.id, author: c.author, rating: c.rating, body: c.body, createdAt: c.created_at })),
  };
}

export type DatasetPage = Awaited<ReturnType<typeof pageOf>>;

export function createPortalService(deps: {
  db: Db;
  events: EventSink;
  limiter: Limiter;
  limits: { anonymousPerMinute: number; keyPerMinute: number };
  /** PDX_PUBLIC_URL: the base of @id and links in the DCAT catalogue; relative IRIs without it. */
  publicUrl?: string;
  /** Files of releases up to this many rows are rendered once and kept in memory; larger ones streamed. */
  cacheRows?: number;
}) {
  const { db, events } = deps;
  const repo = openRepo(db);
  const base = (deps.publicUrl ?? '').replace(/\/$/, '');
  const cache = new Map<string, Buffer>();
  let cachedBytes = 0;
  const counts = new Map<string, { downloads: number; apiCalls: number; previews: number }>();
  /** Published releases by id (immutable once published; whether one is still published is read per request). */
  const releases = new Map<string, ReleaseRow>();
  /** Rendered dataset pages: kept PAGE_TTL_MS for the same published release. */
  const pages = new Map<string, { releaseId: string; body: string; etag: string; at: number }>();

  const record = (caller: SocietyCaller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) =>
    events.record(requestEvent(caller, { ...event, ...(caller.society ? { actor: societyActor(caller.society) } : {}) }));

  function count(code: string, kind: 'downloads' | 'apiCalls' | 'previews', n = 1) {
    const c = counts.get(code) ?? { downloads: 0, apiCalls: 0, previews: 0 };
    c[kind] += n;
    counts.set(code, c);
  }

  /** The per-address (anonymous, portal session) or per-key rate limit of data reads. */
  function limit(caller: SocietyCaller) {
    if (caller.society?.apiKeyId) deps.limiter.hit(`key:${caller.society.apiKeyId}`, deps.limits.keyPerMinute);
    else deps.limiter.hit(`ip:${caller.ip ?? '?'}`, deps.limits.anonymousPerMinute);
  }

  /**
   * The published release a caller may read: 无条件开放 for anyone, 有条件开放 for a society user whose
   * application was approved and whose terms still run. Read from the database now.
   */
  /**
   * The published release of a dataset: its id read from the database now (a withdrawal holds at once
   * on every process), the rest from memory, since a published release never changes.
   */
  async function published(code: string): Promise<ReleaseRow> {
    const id = await repo.publishedId(code);
    let r = id ? releases.get(id) : undefined;
    if (id && !r) {
      r = await repo.release(id);
      if (r?.state === 'published' && r.relation && r.facts) releases.set(id, r);
    }
    if (!id || !r?.relation || !r.facts) throw new NotFoundError(DATASET);
    return r;
  }

  async function readable(caller: SocietyCaller, code: string): Promise<ReleaseRow> {
    const r = await published(code);
    if (r.open_type === 'conditional') {
      if (!caller.society)
        throw new UnauthorizedError('sign_in_required', {
          zh: '有条件开放数据须登录并经申请批准后使用',
          en: 'Conditionally open data needs an approved application: sign in first',
        });
      if (!(await repo.activeApproval(caller.society.userId, code, chinaToday()))) {
        throw new ForbiddenError('application_required', {
          zh: '有条件开放数据须申请并经提供部门批准后在批准期限内使用',
          en: 'Conditionally open data is available after an approved application, within its terms',
        });
      }
    }
    return r;
  }

  const columnsOf = (r: ReleaseRow) => r.facts!.columns;
  const auditColumns = (r: ReleaseRow) => columnsOf(r).map((c) => ({ name: c.name, mode: c.role === 'quasi' ? 'generalized' : 'clear' }));

  function toRow(columns: ReleasedColumn[], raw: Record<string, unknown>): OpenRow {
    const out: OpenRow = {};
    for (const c of columns) out[c.name] = cell(raw[c.column]);
    return out;
  }

  /** Every row of a snapshot in order, a page at a time. */
  async function* allRows(r: ReleaseRow): AsyncGenerator<OpenRow[]> {
    const columns = columnsOf(r);
    let after = 0;
    for (;;) {
      const page = await repo.snapshotRows(
        r.relation!,
        columns.map((c) => c.column),
        after,
        PAGE_ROWS,
      );
      if (!page.length) return;
      yield page.map((row) => toRow(columns, row));
      after = Number(page.at(-1)!._n);
      if (page.length < PAGE_ROWS) return;
    }
  }

  async function* textFile(r: ReleaseRow, format: 'csv' | 'json'): AsyncGenerator<string> {
    const names = columnsOf(r).map((c) => c.name);
    if (format === 'csv') yield `\uFEFF${csvLine(names)}`;
    else yield '[';
    let first = true;
    for await (const page of allRows(r)) {
      if (format === 'csv') yield page.map((row) => csvLine(names.map((n) => row[n]))).join('');
      else {
        yield (first ? '' : ',') + page.map((row) => JSON.stringify(row)).join(',');
        first = false;
      }
    }
    if (format === 'json') yield ']';
  }

  function xlsxFile(r: ReleaseRow): Readable {
    const out = new PassThrough();
    const names = columnsOf(r).map((c) => c.name);
    void (async () => {
      try {
        const ExcelJS = await loadExcel();
        const book = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
        const sheet = book.addWorksheet(r.meta.name.slice(0, 31).replace(/[\\/?*[\]:]/g, ' ') || 'data');
        sheet.addRow(names).commit();
        for await (const page of allRows(r)) for (const row of page) sheet.addRow(names.map((n) => row[n])).commit();
        sheet.commit();
        await book.commit();
      } catch (error) {
        out.destroy(error as Error);
      }
    })();
    return out;
  }

  function fileOf(r: ReleaseRow, format: DownloadFormat): Readable {
    return format === 'xlsx' ? xlsxFile(r) : Readable.from(textFile(r, format));
  }

  async function cached(r: ReleaseRow, format: DownloadFormat): Promise<Buffer | undefined> {
    if (Number(r.row_count ?? 0) > (deps.cacheRows ?? CACHED_ROWS)) return undefined;
    const key = `${r.id}:${format}`;
    const hit = cache.get(key);
    if (hit) {
      // Most recently used last.
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of fileOf(r, format)) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    const body = Buffer.concat(chunks);
    cache.set(key, body);
    cachedBytes += body.length;
    for (const [k, v] of cache) {
      if (cachedBytes <= CACHE_BYTES) break;
      cache.delete(k);
      cachedBytes -= v.length;
    }
    return body;
  }

  const service = {
    /** Published releases, searched and faceted like the catalogue (each facet counts over the other filters). */
    async search(query: SearchQuery) {
      const rows = await repo.portal();
      const all = rows.map(summaryOf);
      const terms = (query.q ?? '').toLowerCase().split(/\s+/).filter(Boolean).slice(0, 8);
      const texts = new Map(
        rows.map((r) => [
          r.dataset_code,
          `${r.dataset_code} ${r.meta.name} ${r.meta.summary} ${r.meta.domain} ${r.meta.category} ${r.meta.providerName} ${r.meta.tags.join(' ')} ${(r.facts?.columns ?? []).map((c) => c.name).join(' ')}`.toLowerCase(),
        ]),
      );
      const matchesText = (d: DatasetSummary) => terms.every((t) => texts.get(d.code)!.includes(t));
      const filters: [keyof SearchQuery, (d: DatasetSummary) => string, (d: DatasetSummary) => string][] = [
        ['domain', (d) => d.domain, (d) => d.domain],
        ['org', (d) => d.provider.id, (d) => d.provider.name],
        ['region', (d) => d.region.code, (d) => d.region.name],
        ['format', (d) => d.format, (d) => d.format],
        ['cycle', (d) => d.updateCycle, (d) => d.updateCycle],
        ['openType', (d) => d.openType, (d) => d.openType],
      ];
      const found = all.filter(matchesText);
      const matches = (d: DatasetSummary, except?: keyof SearchQuery) =>
        filters.every(([key, of]) => key === except || !query[key] || of(d) === String(query[key]));
      const facets = Object.fromEntries(
        filters.map(([key, of, label]) => {
          const counts = new Map<string, { value: string; label: string; count: number }>();
          for (const d of found) {
            if (!matches(d, key) || of(d) === '') continue;
            const f = counts.get(of(d)) ?? { value: of(d), label: label(d), count: 0 };
            f.count++;
            counts.set(of(d), f);
          }
          return [key, [...counts.values()].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label, 'zh'))];
        }),
      ) as Record<'domain' | 'org' | 'region' | 'format' | 'cycle' | 'openType', { value: string; label: string; count: number }[]>;
      const items = found.filter((d) => matches(d));
      const sort = query.sort ?? 'newest';
      items.sort((a, b) =>
        sort === 'popular'
          ? b.downloads + b.apiCalls - (a.downloads + a.apiCalls)
          : sort === 'name'
            ? a.name.localeCompare(b.name, 'zh')
            : +new Date(b.publishedAt) - +new Date(a.publishedAt),
      );
      const pageSize = Math.min(query.pageSize ?? 20, 100);
      const page = Math.max(query.page ?? 1, 1);
      return { total: items.length, items: items.slice((page - 1) * pageSize, page * pageSize), facets };
    },

    /** The home page: figures, the newest and the most used datasets, the fields. */
    async home() {
      const all = (await repo.portal()).map(summaryOf);
      const popular = [...all].sort((a, b) => b.downloads + b.apiCalls - (a.downloads + a.apiCalls));
      const domains = new Map<string, number>();
      for (const d of all) if (d.domain) domains.set(d.domain, (domains.get(d.domain) ?? 0) + 1);
      return {
        stats: {
          datasets: all.length,
          departments: new Set(all.map((d) => d.provider.id)).size,
          rows: all.reduce((a, d) => a + d.rows, 0),
          downloads: all.reduce((a, d) => a + d.downloads, 0),
          apiCalls: all.reduce((a, d) => a + d.apiCalls, 0),
        },
        newest: all.slice(0, 6),
        popular: popular.slice(0, 6),
        domains: [...domains].map(([name, datasets]) => ({ name, datasets })).sort((a, b) => b.datasets - a.datasets),
      };
    },

    /**
     * A dataset page (metadata, data dictionary, chart, history, licence, quality, de-identification
     * figures) rendered by `render` (the route's schema) with its ETag. The release is checked on every
     * request; the rendering is reused for a few seconds.
     */
    async datasetPage(code: string, render: (page: DatasetPage) => string): Promise<{ body: string; etag: string }> {
      const r = await published(code);
      const hit = pages.get(code);
      if (hit && hit.releaseId === r.id && Date.now() - hit.at < PAGE_TTL_MS) return hit;
      const body = render(await pageOf(repo, r));
      const page = { releaseId: r.id, body, etag: `W/"${createHash('sha1').update(body).digest('base64url')}"`, at: Date.now() };
      pages.set(code, page);
      return page;
    },

    /** Departments with open datasets. */
    async departments() {
      const all = (await repo.portal()).map(summaryOf);
      const byOrg = new Map<string, { id: string; name: string; region: string; datasets: number; downloads: number; apiCalls: number }>();
      for (const d of all) {
        const o = byOrg.get(d.provider.id) ?? { id: d.provider.id, name: d.provider.name, region: d.region.name, datasets: 0, downloads: 0, apiCalls: 0 };
        o.datasets++;
        o.downloads += d.downloads;
        o.apiCalls += d.apiCalls;
        byOrg.set(d.provider.id, o);
      }
      return [...byOrg.values()].sort((a, b) => b.datasets - a.datasets || a.name.localeCompare(b.name, 'zh'));
    },

    async department(id: string) {
      const department = (await service.departments()).find((d) => d.id === id);
      if (!department) throw new NotFoundError({ zh: '开放部门', en: 'Department' });
      return { ...department, items: (await service.search({ org: id, pageSize: 100 })).items };
    },

    /** The first rows of a release (a data response: limited and audited like a download). */
    async preview(caller: SocietyCaller, code: string) {
      const r = await readable(caller, code);
      limit(caller);
      const columns = columnsOf(r);
      const rows = (
        await repo.snapshotRows(
          r.relation!,
          columns.map((c) => c.column),
          0,
          PREVIEW_ROWS,
        )
      ).map((row) => toRow(columns, row));
      await record(caller, {
        action: 'open.preview',
        result: 'success',
        dataset: code,
        target: { type: 'open_release', id: r.id },
        details: { columns: auditColumns(r), rowCount: rows.length, release: r.number },
      });
      count(code, 'previews');
      return { columns: columns.map((c) => c.name), rows };
    },

    /**
     * A download. The ETag names the release and format (a release never changes); `notModified` when
     * the client holds it. Recorded in the audit log before the first byte leaves.
     */
    async download(caller: SocietyCaller, code: string, format: DownloadFormat, ifNoneMatch?: string) {
      const r = await readable(caller, code);
      if (format === 'xlsx' && Number(r.row_count ?? 0) > XLSX_MAX_ROWS) {
        throw new BadRequestError(
          'too_large_for_xlsx',
          { zh: '数据超过 XLSX 的行数上限，请下载 CSV', en: 'Too many rows for XLSX; download CSV' },
          { field: 'format' },
        );
      }
      const etag = `W/"${r.id}-${format}"`;
      const fileName = `${code}-r${r.number}.${format}`;
      // 有条件开放 files are for the approved applicant only: no shared cache keeps a copy.
      const cacheControl = r.open_type === 'conditional' ? 'private, no-cache' : 'public, no-cache';
      if (etagMatches(ifNoneMatch, etag)) return { etag, fileName, cacheControl, notModified: true as const };
      limit(caller);
      await record(caller, {
        action: 'open.download',
        result: 'success',
        dataset: code,
        target: { type: 'open_release', id: r.id },
        details: { columns: auditColumns(r), rowCount: Number(r.row_count ?? 0), format, release: r.number },
      });
      count(code, 'downloads');
      const body = await cached(r, format);
      return { etag, fileName, cacheControl, notModified: false as const, contentType: DOWNLOAD_TYPES[format], body: body ?? fileOf(r, format) };
    },

    /** The open API: a page of rows in the release's order, optionally filtered by equality on columns. */
    async records(caller: SocietyCaller, code: string, query: { limit: number; after?: string; equals: Record<string, string> }) {
      const r = await readable(caller, code);
      limit(caller);
      const columns = columnsOf(r);
      const after = query.after === undefined ? 0 : Number(query.after);
      if (!Number.isSafeInteger(after) || after < 0)
        throw new BadRequestError('invalid_cursor', { zh: 'after 游标无效', en: 'Invalid after cursor' }, { field: 'after' });
      const equals = Object.entries(query.equals).map(([name, value]) => {
        const c = columns.find((col) => col.name === name);
        if (!c)
          throw new BadRequestError('unknown_column', { zh: `开放数据集没有信息项：${name}`, en: `The open dataset has no column ${name}` }, { field: name });
        return { column: c.column, value };
      });
      const page = await repo.snapshotRows(
        r.relation!,
        columns.map((c) => c.column),
        after,
        query.limit,
        equals,
      );
      const rows = page.map((row) => toRow(columns, row));
      await record(caller, {
        action: 'open.api',
        result: 'success',
        dataset: code,
        target: { type: 'open_release', id: r.id },
        details: { columns: auditColumns(r), rowCount: rows.length, release: r.number, filter: query.equals },
      });
      count(code, 'apiCalls');
      return { release: r.number, rows, next: page.length === query.limit ? String(page.at(-1)!._n) : null };
    },

    /** The open catalogue as DCAT-AP (JSON-LD); @id from PDX_PUBLIC_URL, relative without it. */
    async catalogJsonLd() {
      const all = await repo.portal();
      const landing = (code: string) => `${base}/open/datasets/${encodeURIComponent(code)}`;
      return {
        '@context': {
          dcat: 'http://www.w3.org/ns/dcat#',
          dct: 'http://purl.org/dc/terms/',
          foaf: 'http://xmlns.com/foaf/0.1/',
          vcard: 'http://www.w3.org/2006/vcard/ns#',
          skos: 'http://www.w3.org/2004/02/skos/core#',
          xsd: 'http://www.w3.org/2001/XMLSchema#',
          owl: 'http://www.w3.org/2002/07/owl#',
        },
        '@id': `${base}/open/catalog.jsonld`,
        '@type': 'dcat:Catalog',
        'dct:title': [
          { '@language': 'zh', '@value': '公共数据开放目录' },
          { '@language': 'en', '@value': 'Open data catalogue' },
        ],
        'dct:description': { '@language': 'zh', '@value': '经去标识化检查后开放的公共数据集（GB/T 37964、GB/T 42460）' },
        'dct:publisher': { '@type': 'foaf:Agent', 'foaf:name': '公共数据共享交换平台' },
        'foaf:homepage': { '@id': `${base}/open` },
        'dct:language': { '@id': `${EU}/language/ZHO` },
        'dcat:service': {
          '@id': `${base}/api/v1/open`,
          '@type': 'dcat:DataService',
          'dct:title': { '@language': 'zh', '@value': '开放数据接口' },
          'dcat:endpointURL': { '@id': `${base}/api/v1/open` },
          'dcat:endpointDescription': { '@id': `${base}/api/v1/open/openapi.json` },
        },
        'dcat:dataset': all.map((r) => ({
          '@id': landing(r.dataset_code),
          '@type': 'dcat:Dataset',
          'dct:identifier': r.dataset_code,
          'dct:title': { '@language': 'zh', '@value': r.meta.name },
          'dct:description': { '@language': 'zh', '@value': r.meta.summary },
          'dcat:keyword': r.meta.tags.map((t) => ({ '@language': 'zh', '@value': t })),
          ...(r.meta.domain ? { 'dcat:theme': { '@type': 'skos:Concept', 'skos:prefLabel': { '@language': 'zh', '@value': r.meta.domain } } } : {}),
          'dct:publisher': { '@type': 'foaf:Agent', '@id': `${base}/open/departments/${r.provider_org_id}`, 'foaf:name': r.meta.providerName },
          'dct:spatial': { '@type': 'dct:Location', 'skos:prefLabel': regionName(r.meta.region) ?? r.meta.region },
          'dct:issued': { '@value': r.published_at!.toISOString(), '@type': 'xsd:dateTime' },
          'dct:modified': { '@value': r.published_at!.toISOString(), '@type': 'xsd:dateTime' },
          'dct:accrualPeriodicity': { '@id': `${EU}/frequency/${FREQUENCY[r.meta.updateCycle] ?? 'IRREG'}` },
          'dct:accessRights': { '@id': `${EU}/access-right/${r.open_type === 'conditional' ? 'RESTRICTED' : 'PUBLIC'}` },
          'owl:versionInfo': String(r.number),
          'dcat:landingPage': { '@id': landing(r.dataset_code) },
          ...(r.meta.contact.name
            ? {
                'dcat:contactPoint': {
                  '@type': 'vcard:Kind',
                  'vcard:fn': r.meta.contact.name,
                  ...(r.meta.contact.phone ? { 'vcard:hasTelephone': r.meta.contact.phone } : {}),
                },
              }
            : {}),
          'dcat:distribution': DOWNLOAD_FORMATS.map((f) => ({
            '@id': `${landing(r.dataset_code)}#${f}`,
            '@type': 'dcat:Distribution',
            'dct:title': `${r.meta.name} (${f.toUpperCase()})`,
            'dcat:accessURL': { '@id': landing(r.dataset_code) },
            'dcat:downloadURL': { '@id': `${base}/api/v1/open/datasets/${encodeURIComponent(r.dataset_code)}/download?format=${f}` },
            'dcat:mediaType': { '@id': `http://www.iana.org/assignments/media-types/${MEDIA_TYPES[f]}` },
            'dct:format': { '@id': `${EU}/file-type/${FILE_TYPES[f]}` },
            'dct:license': r.licence.startsWith('CC BY 4.0')
              ? { '@id': 'http://creativecommons.org/licenses/by/4.0/' }
              : { '@type': 'dct:LicenseDocument', 'dct:title': r.licence },
            'dct:rights': { '@id': `${EU}/access-right/${r.open_type === 'conditional' ? 'RESTRICTED' : 'PUBLIC'}` },
          })),
        })),
      };
    },

    /** Writes the use counters this process collected (every few seconds, and at stop). */
    async flushUsage() {
      if (!counts.size) return;
      const batch = [...counts];
      counts.clear();
      const day = chinaToday();
      for (const [code, c] of batch) await repo.addUsage(code, day, c.downloads, c.apiCalls, c.previews);
    },
  };
  return service;
}

export type PortalService = ReturnType<typeof createPortalService>;
