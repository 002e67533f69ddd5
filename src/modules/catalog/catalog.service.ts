import { randomUUID } from 'node:crypto';
import type { Db, Queryable, Tx } from '../../db/index.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../errors.ts';
import type { Caller, Principal } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import { catalogAssetsRepo } from './assets.repo.ts';
import { CATALOG_DEFAULTS } from './defaults.ts';
import {
  catalogLoadRepo,
  catalogRepo,
  catalogRotationRepo,
  DATASET_FIELDS,
  datasetNames,
  type ColumnRow,
  type ColumnRules,
  type DatasetFields,
  type DatasetRow,
  type DataType,
  type ResourceKind,
} from './catalog.repo.ts';

/** Row types other modules see: they import them from here, never from catalog.repo.ts. */
export type { ColumnRow, ColumnRules, DatasetRow, DataType, ResourceKind, UpkeepFactsRow, VersionRow } from './catalog.repo.ts';
/** The catalogue's part of the sharing module's access context (one statement on the records path). */
export { columnsJsonForAccessContext } from './catalog.repo.ts';
export type { ColumnClassification, VersionError, VersionSource } from './version-fields.ts';

export type DatasetInput = DatasetFields;

/** What a new catalogue entry says when its registrant leaves a field out (the API's defaults too). */
export const DATASET_DEFAULTS: Omit<DatasetInput, 'name'> = CATALOG_DEFAULTS;

export interface SearchQuery {
  q?: string;
  org?: string;
  domain?: string;
  shareType?: string;
  openType?: string;
  grade?: number;
  status?: string;
  page?: number;
  pageSize?: number;
}

export interface Facet {
  value: string;
  label: string;
  count: number;
}

const DATASET = { zh: '数据资源', en: 'Dataset' };

/** Lower-cased text a keyword search looks in: name, summary, domain, tags and 信息项. */
export function searchTextOf(
  d: Pick<DatasetRow, 'name' | 'summary' | 'domain' | 'category' | 'tags' | 'code'>,
  columns: Pick<ColumnRow, 'name' | 'label' | 'description'>[],
): string {
  return [d.code, d.name, d.summary, d.domain, d.category, ...d.tags, ...columns.flatMap((c) => [c.name, c.label, c.description])].join(' ').toLowerCase();
}

function likeTerm(term: string): string {
  return term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * What other modules read of the catalogue: datasets by id or code, their 信息项, and the visibility
 * rules. It needs only the database, so a module the catalogue itself depends on (the classification
 * review, whose gate the catalogue asks before publishing) is built with it before the catalogue.
 */
export function createCatalogReader(db: Db) {
  const repo = catalogRepo(db);

  /** May this principal see the dataset at all? Drafts are visible only to their provider. */
  function visible(d: DatasetRow, p: Principal): boolean {
    return d.status === 'published' || d.provider_org_id === p.orgId || p.roles.includes('secadmin');
  }

  const reader = {
    visible,
    byId: (id: string) => repo.byId(id),
    byCode: (code: string) => repo.byCode(code),
    /** The 信息项 of a dataset, in order (no access check: for modules that checked it already). */
    columnsOf: (datasetId: string) => repo.columns(datasetId),
    published: () => repo.published(),
    isEmpty: () => repo.isEmpty(),

    /** The dataset if the caller may see it; otherwise "not found", never "forbidden". */
    async get(principal: Principal, code: string): Promise<DatasetRow> {
      const d = await repo.byCode(code);
      if (!d || !visible(d, principal)) throw new NotFoundError(DATASET);
      return d;
    },

    /** The dataset if the caller is a data officer of its provider organisation. */
    async getOwned(principal: Principal, code: string): Promise<DatasetRow> {
      const d = await reader.get(principal, code);
      if (d.provider_org_id !== principal.orgId || !principal.roles.includes('data_officer')) {
        throw new ForbiddenError('not_provider', {
          zh: '只有提供方的数据管理员可以管理该数据资源',
          en: "Only the provider's data officers manage this dataset",
        });
      }
      return d;
    },
  };
  return reader;
}

export type CatalogReader = ReturnType<typeof createCatalogReader>;

/** Refuses publication with a reason (the classification review's gate); resolves when it may go. */
export type PublishGate = (d: DatasetRow) => Promise<void>;

/** The catalogue: datasets, their 信息项 and versions, search and visibility. */
export function createCatalogService(deps: {
  db: Db;
  events: EventSink;
  /** The provider organisation of a new entry (its region code starts the entry's code). */
  identity: Pick<IdentityService, 'find'>;
  publishGate?: PublishGate;
}) {
  const { db, events, identity } = deps;
  const repo = catalogRepo(db);
  const assertPublishable: PublishGate = deps.publishGate ?? (async () => {});

  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  const service = {
    ...createCatalogReader(db),
    ...datasetReads(db),

    /** The published catalogue in counts, by provider organisation and grade, and in total (the overview). */
    async assets() {
      const assets = catalogAssetsRepo(db);
      const [groups, totals] = await Promise.all([assets.byProviderAndGrade(), assets.totals()]);
      return {
        byProviderAndGrade: groups.map((g) => ({ providerOrgId: g.provider_org_id, grade: g.grade, datasets: g.datasets, rows: Number(g.rows) })),
        totals: {
          datasets: totals?.datasets ?? 0,
          rows: Number(totals?.rows ?? 0),
          encryptedColumns: totals?.encrypted_columns ?? 0,
          openDatasets: totals?.open_datasets ?? 0,
        },
      };
    },

    /**
     * The catalogue's part of a version load, inside the loader's own transaction: the new version's
     * 信息项, the search text, and the versions so far.
     */
    within(tx: Queryable) {
      const r = catalogRepo(tx);
      return { insertColumn: r.insertColumn, setSearchText: r.setSearchText, versions: r.versions, ...loadIn(tx) };
    },

    /**
     * What security operations' worker reads of the catalogue inside its own transaction: a dataset
     * by code, and the effective grade of each of its 信息项 by the dataset's code.
     */
    readIn(q: Queryable) {
      const r = catalogRepo(q);
      return { byCode: r.byCode, columnGrades: r.columnGrades };
    },

    /** Datasets per provider organisation and grade (every status), by the organisation's name: the security dashboard's assets. */
    assetsByProviderAndGrade: () => repo.assetsByProviderAndGrade(),

    /** Registers a resource (draft). `kind` telemetry: a set of points whose 信息项 the telemetry module keeps. */
    async create(caller: Caller, input: DatasetInput, kind: ResourceKind = 'table'): Promise<DatasetRow> {
      const id = randomUUID();
      const org = await identity.find.org(caller.principal.orgId);
      const code = `${org?.region_code ?? '000000'}-${String(await repo.nextCodeNumber()).padStart(6, '0')}`;
      await repo.insert({
        ...input,
        id,
        code,
        providerOrgId: caller.principal.orgId,
        relation: `d_${id.replaceAll('-', '').slice(0, 16)}`,
        createdBy: caller.principal.userId,
        searchText: searchTextOf({ ...input, code }, []),
        kind,
      });
      await record(caller, {
        action: 'dataset.create',
        result: 'success',
        dataset: code,
        target: { type: 'dataset', id, label: input.name },
        ...(kind === 'table' ? {} : { details: { kind } }),
      });
      return (await repo.byId(id))!;
    },

    async update(caller: Caller, code: string, patch: Partial<DatasetInput>): Promise<DatasetRow> {
      const d = await service.getOwned(caller.principal, code);
      const next = Object.fromEntries(DATASET_FIELDS.map((k) => [k, patch[k] ?? d[k]])) as DatasetFields;
      if (d.status === 'published' && next.share_type !== d.share_type) {
        // Changing the share type of a published resource changes who may read it: record it clearly.
        await record(caller, {
          action: 'dataset.share_type_change',
          result: 'success',
          dataset: code,
          details: { before: d.share_type, after: next.share_type },
        });
      }
      await repo.update(d.id, next, searchTextOf({ ...next, code }, await repo.columns(d.id)));
      await record(caller, {
        action: 'dataset.update',
        result: 'success',
        dataset: code,
        target: { type: 'dataset', id: d.id, label: next.name },
        details: { fields: Object.keys(patch) },
      });
      return (await repo.byId(d.id))!;
    },

    /** Officer confirms or changes the schema (types, labels, descriptions, validation rules). */
    async updateColumns(
      caller: Caller,
      code: string,
      changes: { name: string; label?: string; dataType?: DataType; description?: string; rules?: ColumnRules }[],
    ): Promise<ColumnRow[]> {
      const d = await service.getOwned(caller.principal, code);
      const columns = await repo.columns(d.id);
      for (const change of changes) {
        const column = columns.find((c) => c.name === change.name);
        if (!column) {
          throw new BadRequestError(
            'unknown_column',
            { zh: `信息项不存在：${change.name}`, en: `Unknown column: ${change.name}` },
            { field: 'name', column: change.name },
          );
        }
        if (change.dataType && change.dataType !== column.data_type && column.encrypted && change.dataType !== 'text') {
          throw new BadRequestError(
            'encrypted_column_type',
            { zh: `加密存储的信息项只能为文本类型：${change.name}`, en: `An encrypted column stays text: ${change.name}` },
            { column: change.name },
          );
        }
        if (change.rules?.pattern !== undefined) {
          try {
            new RegExp(change.rules.pattern, 'u');
          } catch {
            throw new BadRequestError(
              'invalid_pattern',
              { zh: `校验规则中的正则表达式无效：${change.name}`, en: `Invalid pattern for column ${change.name}` },
              { column: change.name },
            );
          }
        }
        await repo.updateColumn(d.id, column.position, {
          label: change.label ?? column.label,
          data_type: change.dataType ?? column.data_type,
          description: change.description ?? column.description,
          rules: change.rules ?? column.rules,
        });
      }
      const updated = await repo.columns(d.id);
      await repo.setSearchText(d.id, searchTextOf(d, updated));
      await record(caller, { action: 'dataset.schema_change', result: 'success', dataset: code, details: { columns: changes.map((c) => c.name) } });
      return updated;
    },

    async publish(caller: Caller, code: string): Promise<DatasetRow> {
      const d = await service.getOwned(caller.principal, code);
      if (d.resource_kind !== 'table') {
        // A telemetry set or an interface has no versions; its 信息项 are kept by the module that owns it.
        if ((await repo.columns(d.id)).length === 0) {
          throw d.resource_kind === 'service'
            ? new ConflictError('no_data', {
                zh: '发布前须至少登记一个带响应字段的接口操作',
                en: 'Register at least one operation with response fields before publishing',
              })
            : new ConflictError('no_data', { zh: '发布前须至少登记一个测点', en: 'Register at least one point before publishing' });
        }
      } else if (d.current_version === 0) {
        throw new ConflictError('no_data', { zh: '发布前须至少上传一个数据版本', en: 'Load at least one version before publishing' });
      } else await assertPublishable(d);
      await repo.setStatus(d.id, 'published');
      await record(caller, { action: 'dataset.publish', result: 'success', dataset: code, details: { shareType: d.share_type, openType: d.open_type } });
      return (await repo.byId(d.id))!;
    },

    /**
     * The 信息项 of a non-table resource, kept by the module that owns its content (telemetry points):
     * replaced whole, the resource's grade is the highest column grade (就高从严).
     */
    async setResourceColumns(
      datasetId: string,
      columns: {
        name: string;
        physical: string;
        label: string;
        dataType: DataType;
        description: string;
        grade: number;
        classification?: Record<string, unknown>;
      }[],
    ): Promise<void> {
      const d = await repo.byId(datasetId);
      if (!d || d.resource_kind === 'table') throw new Error(`not a resource with kept columns: ${datasetId}`);
      const rows: ColumnRow[] = columns.map((c, i) => ({
        dataset_id: datasetId,
        position: i + 1,
        physical: c.physical,
        name: c.name,
        label: c.label,
        data_type: c.dataType,
        length: null,
        description: c.description,
        rules: {},
        classification: c.classification ?? {},
        grade: c.grade,
        encrypted: false,
        blind_index: false,
      }));
      const grade = rows.length ? Math.max(...rows.map((r) => r.grade ?? 1)) : null;
      await db.transaction((tx) => catalogRepo(tx).replaceColumns(datasetId, rows, grade, searchTextOf(d, rows)));
    },

    /** Refuses a table operation (loading versions) on another kind of resource. */
    assertTable(d: DatasetRow): void {
      if (d.resource_kind !== 'table') {
        const what = d.resource_kind === 'service' ? { zh: '接口服务', en: 'an interface (service)' } : { zh: '时序数据', en: 'a telemetry set' };
        throw new ConflictError('not_a_table', {
          zh: `资源 ${d.code} 是${what.zh}，不能上传数据版本`,
          en: `Resource ${d.code} is ${what.en}; it takes no file versions`,
        });
      }
    },

    async withdraw(caller: Caller, code: string): Promise<DatasetRow> {
      const d = await service.getOwned(caller.principal, code);
      await repo.setStatus(d.id, 'withdrawn');
      await record(caller, { action: 'dataset.withdraw', result: 'success', dataset: code });
      return (await repo.byId(d.id))!;
    },

    /** Keyword search in Chinese or English with facet counts, limited to what the caller may see. */
    async search(principal: Principal, query: SearchQuery) {
      const terms = (query.q ?? '').split(/\s+/).filter(Boolean).slice(0, 8).map(likeTerm);
      const found = await repo.search({ orgId: principal.orgId, seesAll: principal.roles.includes('secadmin') }, terms);
      const filters: [keyof SearchQuery, (d: DatasetRow) => string][] = [
        ['org', (d) => d.provider_org_id],
        ['domain', (d) => d.domain],
        ['shareType', (d) => d.share_type],
        ['openType', (d) => d.open_type],
        ['grade', (d) => String(d.grade ?? '')],
        ['status', (d) => d.status],
      ];
      const matches = (d: DatasetRow, except?: keyof SearchQuery) =>
        filters.every(([key, of]) => key === except || query[key] === undefined || query[key] === '' || of(d) === String(query[key]));
      // Each facet counts over the other filters, so a user sees what choosing a value would give.
      const facet = (key: keyof SearchQuery, of: (d: DatasetRow) => string, label: (d: DatasetRow) => string): Facet[] => {
        const counts = new Map<string, Facet>();
        for (const d of found) {
          if (!matches(d, key)) continue;
          const value = of(d);
          if (value === '') continue;
          const f = counts.get(value) ?? { value, label: label(d), count: 0 };
          f.count++;
          counts.set(value, f);
        }
        return [...counts.values()].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label, 'zh'));
      };
      const items = found.filter((d) => matches(d));
      const pageSize = Math.min(query.pageSize ?? 20, 200);
      const page = Math.max(query.page ?? 1, 1);
      return {
        total: items.length,
        items: items.slice((page - 1) * pageSize, page * pageSize),
        facets: {
          org: facet(
            'org',
            (d) => d.provider_org_id,
            (d) => d.provider_name,
          ),
          domain: facet(
            'domain',
            (d) => d.domain,
            (d) => d.domain,
          ),
          shareType: facet(
            'shareType',
            (d) => d.share_type,
            (d) => d.share_type,
          ),
          openType: facet(
            'openType',
            (d) => d.open_type,
            (d) => d.open_type,
          ),
          grade: facet(
            'grade',
            (d) => String(d.grade ?? ''),
            (d) => String(d.grade ?? ''),
          ),
          status: facet(
            'status',
            (d) => d.status,
            (d) => d.status,
          ),
        },
      };
    },

    /**
     * What the upkeep of catalogue entries is judged on (目录挂接, the duties module): 信息项 count and
     * the data time of the newest version, for the given datasets (null: every dataset).
     */
    upkeepFacts: (ids: string[] | null) => repo.upkeepFacts(ids),

    async columns(principal: Principal, code: string) {
      return repo.columns((await service.get(principal, code)).id);
    },

    async versions(principal: Principal, code: string) {
      return repo.versions((await service.get(principal, code)).id);
    },

    /** Quality report and quarantined lines of a version: the provider's officers and secadmin only. */
    async versionReport(principal: Principal, code: string, version: number) {
      const d = await service.get(principal, code);
      if (d.provider_org_id !== principal.orgId && !principal.roles.includes('secadmin')) throw new NotFoundError(DATASET);
      const v = await repo.version(d.id, version);
      if (!v) throw new NotFoundError({ zh: '数据版本', en: 'Version' });
      return { version: v, quarantined: await repo.quarantined(d.id, version, 1000) };
    },
  };
  return service;
}

export type CatalogService = ReturnType<typeof createCatalogService>;

// ---- issue 14 point 2, part h14r: what a version load (ingest), exchange's lists and key rotation
// (protect) ask of the catalogue, where they had SQL of their own on its tables.

/**
 * The catalogue's part of a version load on the loader's transaction handle (or the database, for
 * a step of its own): lock the dataset, reserve, fail, activate and switch versions, mark columns
 * encrypted, and the tables left behind by a process that died.
 */
function loadIn(q: Queryable) {
  return catalogLoadRepo(q);
}

/** Catalogue reads and holds of other modules outside a load. */
function datasetReads(db: Db) {
  return {
    /** Code and name of each of the given datasets, by id (one statement for a page of names). */
    async names(ids: readonly string[]): Promise<Map<string, { code: string; name: string }>> {
      const unique = [...new Set(ids)];
      if (unique.length === 0) return new Map();
      return new Map((await datasetNames(db, unique)).map((d) => [d.id, { code: d.code, name: d.name }]));
    },
    /**
     * What key rotation reads of a dataset (its encrypted 信息项, the tables of its active versions)
     * and how a batch holds it (FOR KEY SHARE: it waits only while a load switches versions), on the
     * given handle: the database, or the batch's transaction.
     */
    rotationIn: (q: Queryable = db) => catalogRotationRepo(q),
    /** Stores a load's quarantined rows (lines that failed their checks) in their own transaction. */
    quarantine: (tx: Tx, datasetId: string, version: number, rows: readonly { line: number; problems: unknown }[]) =>
      tx.copyRows(
        'quarantined_rows',
        ['dataset_id', 'version', 'line', 'problems'],
        (async function* () {
          for (const r of rows) yield [datasetId, version, r.line, JSON.stringify(r.problems)];
        })(),
      ),
  };
}
