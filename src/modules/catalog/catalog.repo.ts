import type { Queryable } from '../../db/index.ts';
import { maybeOne, one } from '../../db/index.ts';
import { organizationNameSql } from '../identity/identity.service.ts';
import type { ColumnClassification, VersionError, VersionSource } from './version-fields.ts';

export type ShareType = 'unconditional' | 'conditional' | 'none';
export type DataType = 'integer' | 'decimal' | 'boolean' | 'date' | 'timestamp' | 'text';
export type ResourceKind = 'table' | 'telemetry' | 'service';

export interface DatasetRow {
  id: string;
  code: string;
  name: string;
  provider_org_id: string;
  provider_name: string;
  summary: string;
  domain: string;
  category: string;
  format: string;
  share_type: ShareType;
  share_conditions: string;
  share_methods: ('api' | 'table' | 'file')[];
  open_type: ShareType;
  update_cycle: 'realtime' | 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly' | 'irregular';
  publish_date: string | null;
  related_codes: string[];
  tags: string[];
  contact: { name?: string; phone?: string; email?: string };
  status: 'draft' | 'published' | 'withdrawn';
  on_invalid: 'reject' | 'quarantine';
  relation: string;
  current_version: number;
  row_count: number;
  grade: number | null;
  important_candidate: boolean;
  /** A table of loaded versions, a telemetry set (series of points, issue 19) or an interface (接口, issue 17). */
  resource_kind: ResourceKind;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ColumnRow {
  dataset_id: string;
  position: number;
  physical: string;
  name: string;
  label: string;
  data_type: DataType;
  length: number | null;
  description: string;
  rules: ColumnRules;
  classification: ColumnClassification;
  grade: number | null;
  encrypted: boolean;
  blind_index: boolean;
}

/** Validation rules an officer sets per column (issue 4 §5). */
export interface ColumnRules {
  required?: boolean;
  unique?: boolean;
  pattern?: string;
  min?: number;
  max?: number;
  enum?: string[];
  /** Check values as this identifier type (standards.md §1), e.g. cn_resident_id. */
  identifier?: string;
}

export interface VersionRow {
  dataset_id: string;
  version: number;
  state: 'loading' | 'active' | 'failed' | 'superseded';
  mode: 'append' | 'replace' | 'correct';
  relation: string;
  job_id: string | null;
  source: VersionSource;
  rows_loaded: number;
  rows_quarantined: number;
  first_row: number;
  quality: Record<string, unknown> | null;
  classification: Record<string, unknown> | null;
  error: VersionError | null;
  created_at: Date;
  activated_at: Date | null;
}

/** What the upkeep of a catalogue entry (目录挂接) is judged on, besides its 更新周期. */
export interface UpkeepFactsRow extends Pick<
  DatasetRow,
  'id' | 'code' | 'name' | 'provider_org_id' | 'provider_name' | 'status' | 'resource_kind' | 'update_cycle' | 'publish_date' | 'created_at'
> {
  column_count: number;
  /** The data time of the newest active version (its `asOf` when the upload declared one), corrections left out. */
  last_version_at: Date | null;
}

/** The provider's name is identity's: its fragment, in the same statement. */
const PROVIDER_NAME = organizationNameSql('d.provider_org_id');
const SELECT_DATASET = `SELECT d.*, ${PROVIDER_NAME} AS provider_name FROM datasets d`;

/** Editable catalogue fields, in column order for insert/update. */
export const DATASET_FIELDS = [
  'name',
  'summary',
  'domain',
  'category',
  'format',
  'share_type',
  'share_conditions',
  'share_methods',
  'open_type',
  'update_cycle',
  'related_codes',
  'tags',
  'contact',
  'on_invalid',
] as const;
export type DatasetFields = Pick<DatasetRow, (typeof DATASET_FIELDS)[number]>;

function fieldValues(f: DatasetFields): unknown[] {
  return DATASET_FIELDS.map((k) => (k === 'contact' ? JSON.stringify(f.contact) : f[k]));
}

/**
 * For the sharing module's access context, the one statement the records path reads per request
 * (share.repo.ts `accessContext`): the 信息项 of the dataset `datasetId` (an SQL expression), whole
 * rows as a JSON array in position order. catalog.service.ts re-exports it for the sharing module.
 */
export const columnsJsonForAccessContext = (datasetId: string) =>
  `(SELECT json_agg(c ORDER BY c.position) FROM dataset_columns c WHERE c.dataset_id = ${datasetId})`;

/**
 * For the same access context: the published-or-not dataset with the code `code` (an SQL expression),
 * as a derived table `(id, dataset)` — its id, and the fields the records path decides on as JSON.
 */
export const datasetForAccessContext = (code: string) =>
  `(SELECT id, json_build_object('id', id, 'code', code, 'name', name, 'relation', relation, 'status', status, 'share_type', share_type,
            'provider_org_id', provider_org_id, 'important_candidate', important_candidate, 'resource_kind', resource_kind) AS dataset
      FROM datasets WHERE code = ${code})`;

/** All SQL of the catalogue. */
export function catalogRepo(db: Queryable) {
  return {
    nextCodeNumber: async () => (await one<{ n: number }>(db, `SELECT nextval('dataset_code_seq')::int AS n`)).n,
    insert: (
      d: { id: string; code: string; providerOrgId: string; relation: string; createdBy: string; searchText: string; kind: ResourceKind } & DatasetFields,
    ) =>
      db.query(
        `INSERT INTO datasets (id, code, provider_org_id, relation, created_by, search_text, resource_kind, ${DATASET_FIELDS.join(', ')})
         VALUES ($1, $2, $3, $4, $5, $6, $7, ${DATASET_FIELDS.map((_, i) => `$${i + 8}`).join(', ')})`,
        [d.id, d.code, d.providerOrgId, d.relation, d.createdBy, d.searchText, d.kind, ...fieldValues(d)],
      ),
    update: (id: string, f: DatasetFields, searchText: string) =>
      db.query(`UPDATE datasets SET ${DATASET_FIELDS.map((k, i) => `${k} = $${i + 3}`).join(', ')}, search_text = $2, updated_at = now() WHERE id = $1`, [
        id,
        searchText,
        ...fieldValues(f),
      ]),
    byCode: (code: string) => maybeOne<DatasetRow>(db, `${SELECT_DATASET} WHERE d.code = $1`, [code]),
    byId: (id: string) => maybeOne<DatasetRow>(db, `${SELECT_DATASET} WHERE d.id = $1`, [id]),
    /**
     * Datasets the caller may see (published, or of their own organisation, or all for the security
     * administrator) whose search text contains every term.
     */
    search: (viewer: { orgId: string; seesAll: boolean }, terms: string[]) =>
      db.query<DatasetRow>(
        `${SELECT_DATASET}
         WHERE (d.status = 'published' OR d.provider_org_id = $1 OR $2)
           AND (SELECT bool_and(d.search_text LIKE '%' || t || '%' ESCAPE '\\') FROM unnest($3::text[]) AS t) IS NOT FALSE
         ORDER BY d.updated_at DESC`,
        [viewer.orgId, viewer.seesAll, terms],
      ),
    /** Upkeep facts of the given datasets (null: all of them). */
    upkeepFacts: (ids: string[] | null) =>
      db.query<UpkeepFactsRow>(
        `SELECT d.id, d.code, d.name, d.provider_org_id, ${PROVIDER_NAME} AS provider_name, d.status, d.resource_kind, d.update_cycle, d.publish_date, d.created_at,
                (SELECT count(*)::int FROM dataset_columns c WHERE c.dataset_id = d.id) AS column_count,
                (SELECT max(coalesce((v.source ->> 'asOf')::timestamptz, v.activated_at)) FROM dataset_versions v
                  WHERE v.dataset_id = d.id AND v.state = 'active' AND v.mode <> 'correct') AS last_version_at
           FROM datasets d
          WHERE ($1::uuid[] IS NULL OR d.id = ANY($1::uuid[]))
          ORDER BY d.code`,
        [ids],
      ),
    isEmpty: async () => (await db.query('SELECT 1 FROM datasets LIMIT 1')).length === 0,
    published: () => db.query<DatasetRow>(`${SELECT_DATASET} WHERE d.status = 'published' ORDER BY d.code`),
    setStatus: (id: string, status: DatasetRow['status']) =>
      db.query(`UPDATE datasets SET status = $2, publish_date = COALESCE(publish_date, CURRENT_DATE), updated_at = now() WHERE id = $1`, [id, status]),
    setSearchText: (id: string, text: string) => db.query('UPDATE datasets SET search_text = $2 WHERE id = $1', [id, text]),

    columns: (datasetId: string) => db.query<ColumnRow>('SELECT * FROM dataset_columns WHERE dataset_id = $1 ORDER BY position', [datasetId]),
    /** The effective grade of each 信息项 of a dataset, by its code. */
    columnGrades: (code: string) =>
      db.query<{ name: string; grade: number | null }>(
        'SELECT c.name, c.grade FROM dataset_columns c JOIN datasets d ON d.id = c.dataset_id WHERE d.code = $1',
        [code],
      ),
    /** Datasets per provider organisation and grade (every status), by the organisation's name. */
    assetsByProviderAndGrade: () =>
      db.query<{ org_name: string; grade: number | null; n: number }>(
        `SELECT ${PROVIDER_NAME} AS org_name, d.grade, count(*)::int AS n FROM datasets d GROUP BY 1, d.grade ORDER BY 1`,
      ),
    insertColumn: (c: ColumnRow) =>
      db.query(
        `INSERT INTO dataset_columns (dataset_id, position, physical, name, label, data_type, length, description, rules, classification, grade, encrypted, blind_index)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          c.dataset_id,
          c.position,
          c.physical,
          c.name,
          c.label,
          c.data_type,
          c.length,
          c.description,
          JSON.stringify(c.rules),
          JSON.stringify(c.classification),
          c.grade,
          c.encrypted,
          c.blind_index,
        ],
      ),
    /** Replaces every 信息项 of a resource whose columns another module keeps (telemetry points) and its grade. */
    async replaceColumns(datasetId: string, columns: ColumnRow[], grade: number | null, searchText: string): Promise<void> {
      await db.query('DELETE FROM dataset_columns WHERE dataset_id = $1', [datasetId]);
      for (const c of columns) await catalogRepo(db).insertColumn(c);
      await db.query('UPDATE datasets SET grade = $2, search_text = $3, updated_at = now() WHERE id = $1', [datasetId, grade, searchText]);
    },
    updateColumn: (datasetId: string, position: number, c: Pick<ColumnRow, 'label' | 'data_type' | 'description' | 'rules'>) =>
      db.query('UPDATE dataset_columns SET label = $3, data_type = $4, description = $5, rules = $6 WHERE dataset_id = $1 AND position = $2', [
        datasetId,
        position,
        c.label,
        c.data_type,
        c.description,
        JSON.stringify(c.rules),
      ]),

    versions: (datasetId: string) => db.query<VersionRow>('SELECT * FROM dataset_versions WHERE dataset_id = $1 ORDER BY version DESC', [datasetId]),
    version: (datasetId: string, version: number) =>
      maybeOne<VersionRow>(db, 'SELECT * FROM dataset_versions WHERE dataset_id = $1 AND version = $2', [datasetId, version]),
    quarantined: (datasetId: string, version: number, limit: number) =>
      db.query<{ line: number; problems: unknown }>(
        'SELECT line, problems FROM quarantined_rows WHERE dataset_id = $1 AND version = $2 ORDER BY line LIMIT $3',
        [datasetId, version, limit],
      ),
  };
}

export type CatalogRepo = ReturnType<typeof catalogRepo>;

// ---- issue 14 point 2, part h14r: the catalogue's SQL that other modules drove themselves before: a
// version load (ingest, in the load's transaction), dataset names (exchange), key rotation (protect).

/** A version being loaded, with the job loading it (none for a correction). */
export interface LoadingVersionRow {
  version: number;
  relation: string;
  job_id: string | null;
}

/** The catalogue's SQL of a version load; run on the loader's transaction where it must commit with it. */
export function catalogLoadRepo(db: Queryable) {
  return {
    /** Serialises loads of one dataset for the rest of the transaction (key rotation's batches wait too). */
    lockDataset: (datasetId: string) => db.query('SELECT id FROM datasets WHERE id = $1 FOR UPDATE', [datasetId]),
    /** Versions still loading (whether their job is alive is the job queue's to say). */
    loadingVersions: (datasetId: string) =>
      db.query<LoadingVersionRow>(`SELECT version, relation, job_id FROM dataset_versions WHERE dataset_id = $1 AND state = 'loading'`, [datasetId]),
    /**
     * Tables named after the dataset's relation (`<relation>_v<n>`, `<relation>_m<n>`) that no active or
     * loading version reads: left behind when a process died between a commit and its drops.
     */
    async strayTables(relation: string): Promise<string[]> {
      const found = await db.query<{ relname: string; referenced: boolean }>(
        `SELECT c.relname, EXISTS (SELECT 1 FROM dataset_versions v WHERE v.relation = c.relname AND v.state IN ('active', 'loading')) AS referenced
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND n.nspname = current_schema() AND starts_with(c.relname, $1)`,
        [`${relation}_`],
      );
      return found.filter((t) => !t.referenced && /^_[vm]\d+$/.test(t.relname.slice(relation.length))).map((t) => t.relname);
    },
    failVersion: (datasetId: string, version: number, error: unknown) =>
      db.query(`UPDATE dataset_versions SET state = 'failed', error = $3 WHERE dataset_id = $1 AND version = $2`, [datasetId, version, JSON.stringify(error)]),
    insertLoadingVersion: (v: {
      datasetId: string;
      version: number;
      mode: string;
      table: string;
      jobId: string | null;
      source: unknown;
      firstRow: number;
      userId: string;
    }) =>
      db.query(
        `INSERT INTO dataset_versions (dataset_id, version, state, mode, relation, job_id, source, first_row, created_by)
         VALUES ($1, $2, 'loading', $3, $4, $5, $6, $7, $8)`,
        [v.datasetId, v.version, v.mode, v.table, v.jobId, JSON.stringify(v.source), v.firstRow, v.userId],
      ),
    /** The versions whose rows were merged into `table` read from it from now on. */
    moveVersions: (datasetId: string, from: readonly string[], table: string) =>
      db.query(`UPDATE dataset_versions SET relation = $3 WHERE dataset_id = $1 AND relation = ANY($2::text[])`, [datasetId, from, table]),
    markEncrypted: (datasetId: string, name: string, blindIndex: boolean) =>
      db.query(`UPDATE dataset_columns SET encrypted = true, data_type = 'text', blind_index = $3 WHERE dataset_id = $1 AND name = $2`, [
        datasetId,
        name,
        blindIndex,
      ]),
    supersedeActive: (datasetId: string) =>
      db.query(`UPDATE dataset_versions SET state = 'superseded' WHERE dataset_id = $1 AND state = 'active'`, [datasetId]),
    activateVersion: (
      datasetId: string,
      version: number,
      o: { loaded: number; quarantined: number; quality: unknown; classification: unknown; source: unknown },
    ) =>
      db.query(
        `UPDATE dataset_versions SET state = 'active', rows_loaded = $3, rows_quarantined = $4, quality = $5, classification = $6,
           source = source || $7::jsonb, activated_at = now() WHERE dataset_id = $1 AND version = $2`,
        [datasetId, version, o.loaded, o.quarantined, JSON.stringify(o.quality), JSON.stringify(o.classification), JSON.stringify(o.source)],
      ),
    setCurrentVersion: (datasetId: string, version: number, rowCount: number, grade: number, importantCandidate: boolean) =>
      db.query(`UPDATE datasets SET current_version = $2, row_count = $3, grade = $4, important_candidate = $5, updated_at = now() WHERE id = $1`, [
        datasetId,
        version,
        rowCount,
        grade,
        importantCandidate,
      ]),
  };
}

/** Codes and names of the given datasets (one statement for a page that names them). */
export const datasetNames = (db: Queryable, ids: readonly string[]) =>
  db.query<{ id: string; code: string; name: string }>('SELECT id, code, name FROM datasets WHERE id = ANY($1::uuid[])', [ids]);

/** What key rotation reads of the catalogue: the encrypted 信息项 and the tables of the active versions. */
export function catalogRotationRepo(db: Queryable) {
  return {
    encryptedColumns: (datasetId: string) =>
      db.query<{ physical: string; blind_index: boolean; type: string | null }>(
        `SELECT physical, blind_index, classification->'types'->0->>'type' AS type FROM dataset_columns WHERE dataset_id = $1 AND encrypted ORDER BY position`,
        [datasetId],
      ),
    activeTables: (datasetId: string) =>
      db.query<{ relation: string }>(`SELECT DISTINCT relation FROM dataset_versions WHERE dataset_id = $1 AND state = 'active'`, [datasetId]),
    /** Conflicts with a load's FOR UPDATE of the dataset row only (not with its other updates). */
    holdDataset: (datasetId: string) => db.query('SELECT 1 FROM datasets WHERE id = $1 FOR KEY SHARE', [datasetId]),
  };
}

// ---- Issue 14, point 2 (part h14s): the catalogue's statements that the classification review and
// security operations used to write on its tables themselves (served by createCatalogLookups).

/** Statements of the catalogue read and written for other modules through `createCatalogLookups` (catalog.service.ts). */
export function catalogLookupsRepo(db: Queryable) {
  return {
    /** Datasets with at least one loaded version, of one organisation or all, most recently changed first. */
    loadedDatasetIds: async (orgId: string | null) =>
      (
        await db.query<{ id: string }>(
          `SELECT id FROM datasets WHERE current_version > 0 AND ($1::uuid IS NULL OR provider_org_id = $1) ORDER BY updated_at DESC, code`,
          [orgId],
        )
      ).map((r) => r.id),
    /** The stored classification of a version (TableScanResult + details), or null. */
    versionClassification: async (datasetId: string, version: number) =>
      (
        await db.query<{ classification: Record<string, unknown> | null }>(
          'SELECT classification FROM dataset_versions WHERE dataset_id = $1 AND version = $2',
          [datasetId, version],
        )
      )[0]?.classification ?? null,
    /** A dataset (by code) with the stored classification of one of its versions; undefined when either is missing. */
    versionByCode: (code: string, version: number) =>
      maybeOne<{ id: string; provider_org_id: string; status: DatasetRow['status']; classification: Record<string, unknown> | null }>(
        db,
        `SELECT d.id, d.provider_org_id, d.status, v.classification
           FROM datasets d JOIN dataset_versions v ON v.dataset_id = d.id AND v.version = $2 WHERE d.code = $1`,
        [code, version],
      ),
    setColumnGrade: (datasetId: string, name: string, grade: number) =>
      db.query('UPDATE dataset_columns SET grade = $3 WHERE dataset_id = $1 AND name = $2', [datasetId, name, grade]),
    setDatasetGrade: (datasetId: string, grade: number) => db.query('UPDATE datasets SET grade = $2 WHERE id = $1', [datasetId, grade]),
  };
}
