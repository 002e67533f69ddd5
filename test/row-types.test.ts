/**
 * The row interfaces of the repositories (`DatasetRow`, `GrantRow`, …) say what a `SELECT *` of their
 * table returns; nothing derives them from the schema, so this checks them against it (issue 14,
 * point 5): every field of a row interface is a column of its table, of a TypeScript type the
 * drivers read that column as (src/db/types.ts), nullable exactly when the column is, and every
 * column of the table is a field (a migration that adds a column updates the interface). Fields a
 * repository's query adds to the table's columns (a joined name, a count) are listed with the row.
 *
 * A new table with a row interface gets its line in ROWS. (audit's CheckpointRow and SigningKeyRow are
 * the camel-case shapes its repository maps rows to, not rows, and are left out.)
 */
import path from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';
import { describeEachBackend } from './helpers/db.ts';

interface RowSpec {
  /** The repository file, from src/modules. */
  file: string;
  /** The exported (or file-local) interface. */
  row: string;
  table: string;
  /** Fields the repository's queries add to the table's columns. */
  derived?: string[];
  /** Columns of the table that no query reads through this interface (written only, or kept for the record). */
  unread?: string[];
}

const ROWS: RowSpec[] = [
  { file: 'catalog/catalog.repo.ts', row: 'DatasetRow', table: 'datasets', derived: ['provider_name'], unread: ['search_text'] },
  { file: 'catalog/catalog.repo.ts', row: 'ColumnRow', table: 'dataset_columns' },
  { file: 'catalog/catalog.repo.ts', row: 'VersionRow', table: 'dataset_versions', unread: ['created_by'] },
  { file: 'identity/identity.repo.ts', row: 'OrgRow', table: 'organizations' },
  { file: 'identity/identity.repo.ts', row: 'UserRow', table: 'users', unread: ['password_changed_at'] },
  { file: 'identity/identity.repo.ts', row: 'AdminChangeRow', table: 'admin_changes', derived: ['proposed_by_username', 'decided_by_username'] },
  { file: 'identity/identity.repo.ts', row: 'ApiKeyRow', table: 'api_keys', unread: ['suspended_at', 'throttled_until'] },
  { file: 'identity/signon.repo.ts', row: 'ChallengeRow', table: 'login_challenges', unread: ['created_at'] },
  { file: 'identity/signon.repo.ts', row: 'SsoRequestRow', table: 'sso_requests', unread: ['created_at'] },
  { file: 'jobs/jobs.repo.ts', row: 'JobRow', table: 'jobs', unread: ['not_before'] },
  { file: 'gateway/gateway.repo.ts', row: 'ServiceRow', table: 'gateway_services' },
  { file: 'gateway/gateway.repo.ts', row: 'OperationRow', table: 'gateway_operations' },
  { file: 'telemetry/telemetry.repo.ts', row: 'SettingsRow', table: 'telemetry_settings', unread: ['updated_at'] },
  { file: 'telemetry/telemetry.repo.ts', row: 'PlantRow', table: 'telemetry_plants' },
  { file: 'telemetry/telemetry.repo.ts', row: 'LineRow', table: 'telemetry_lines' },
  {
    file: 'telemetry/telemetry.repo.ts',
    row: 'DeviceRow',
    table: 'telemetry_devices',
    derived: ['line_code', 'line_name', 'plant_id', 'plant_code', 'plant_name', 'enterprise_code'],
  },
  { file: 'telemetry/telemetry.repo.ts', row: 'PointRow', table: 'telemetry_points', derived: ['device_code', 'org_id'] },
  { file: 'telemetry/telemetry.repo.ts', row: 'StateRow', table: 'telemetry_point_state', unread: ['updated_at'] },
  {
    file: 'telemetry/telemetry.repo.ts',
    row: 'EventRow',
    table: 'telemetry_quality_events',
    derived: ['point_code', 'device_code', 'line_code'],
    unread: ['created_at', 'updated_at'],
  },
  { file: 'duties/duties.repo.ts', row: 'ClockRow', table: 'duty_request_clocks', unread: ['created_at'] },
  { file: 'duties/duties.repo.ts', row: 'ObjectionRow', table: 'duty_objections' },
  { file: 'duties/duties.repo.ts', row: 'ReturnFlowRow', table: 'duty_return_flows', derived: ['dataset_code', 'dataset_name', 'provider_name'] },
  {
    file: 'duties/duties.repo.ts',
    row: 'DemandRow',
    table: 'duty_demands',
    derived: ['raised_org_name', 'suggested_org_name', 'assigned_org_name', 'answer_dataset_code', 'answer_dataset_name'],
  },
  { file: 'duties/duties.repo.ts', row: 'RatingRow', table: 'duty_ratings', derived: ['org_name'] },
  { file: 'protect/protect.repo.ts', row: 'KeyCheckRow', table: 'master_key_check', unread: ['id'] },
  { file: 'protect/protect.repo.ts', row: 'DataKeyRow', table: 'data_keys' },
  {
    file: 'share/share.repo.ts',
    row: 'RequestRow',
    table: 'share_requests',
    derived: [
      'dataset_code',
      'dataset_name',
      'provider_name',
      'consumer_name',
      'requester_username',
      'requester_name',
      'grant_state',
      'grant_expires_at',
      'provider_decider_name',
      'provider_decider_username',
      'security_decider_name',
      'security_decider_username',
    ],
  },
  { file: 'share/share.repo.ts', row: 'GrantRow', table: 'share_grants', derived: ['dataset_code', 'dataset_name', 'consumer_name'] },
  { file: 'classify/review.repo.ts', row: 'ReviewRow', table: 'classification_reviews', derived: ['reviewer_name'] },
  { file: 'classify/review.repo.ts', row: 'ConfirmationRow', table: 'classification_confirmations', derived: ['confirmer_name'], unread: ['id'] },
  { file: 'classify/review.repo.ts', row: 'DecisionRow', table: 'important_data_decisions', derived: ['decider_name'], unread: ['id'] },
  { file: 'audit/audit.repo.ts', row: 'RecordRow', table: 'audit_records' },
  { file: 'open/open.repo.ts', row: 'ReleaseRow', table: 'open_releases' },
  { file: 'open/open.repo.ts', row: 'SocietyUserRow', table: 'open_users' },
  { file: 'open/open.repo.ts', row: 'OpenKeyRow', table: 'open_api_keys' },
  { file: 'open/open.repo.ts', row: 'ApplicationRow', table: 'open_applications', derived: ['email'] },
  { file: 'open/open.repo.ts', row: 'CommentRow', table: 'open_comments', derived: ['author'], unread: ['moderated_by', 'moderated_at'] },
  { file: 'open/open.repo.ts', row: 'DemandRow', table: 'open_demands', derived: ['author'], unread: ['answered_by'] },
  { file: 'open/open.repo.ts', row: 'ShowcaseRow', table: 'open_showcases', derived: ['author'], unread: ['reviewed_by', 'reviewed_at'] },
  { file: 'exchange/push.repo.ts', row: 'SubscriptionRow', table: 'exchange_subscriptions', derived: ['dataset_code', 'dataset_name', 'target_name'] },
  { file: 'exchange/push.repo.ts', row: 'DeliveryRow', table: 'exchange_deliveries' },
  { file: 'exchange/exchange.repo.ts', row: 'SourceRow', table: 'exchange_sources', unread: ['created_by'] },
  { file: 'exchange/exchange.repo.ts', row: 'BindingRow', table: 'exchange_bindings' },
  { file: 'exchange/exchange.repo.ts', row: 'RunRow', table: 'exchange_runs' },
  { file: 'secops/secops.repo.ts', row: 'AlertRow', table: 'secops_alerts', unread: ['acknowledged_by', 'closed_by'] },
  { file: 'secops/secops.repo.ts', row: 'ReplayClockRow', table: 'secops_replay_clocks', unread: ['id', 'note', 'created_at'] },
  { file: 'secops/secops.repo.ts', row: 'ContainmentRow', table: 'secops_containments' },
  { file: 'secops/secops.repo.ts', row: 'IncidentRow', table: 'secops_incidents', derived: ['owner_name'] },
  { file: 'secops/secops.repo.ts', row: 'IncidentEventRow', table: 'secops_incident_events' },
  { file: 'secops/secops.repo.ts', row: 'DeliveryRow', table: 'secops_deliveries' },
];

const MODULES = path.resolve('src/modules');

interface Field {
  name: string;
  /** The field's type as TypeScript prints it, null and undefined left out. */
  types: string[];
  nullable: boolean;
  optional: boolean;
}

/** The fields of each listed interface, read by the TypeScript compiler (`extends` and `Pick<>` resolved). */
function rowFields(): Map<string, Field[]> {
  const files = [...new Set(ROWS.map((r) => path.join(MODULES, r.file)))];
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, Field[]>();
  for (const spec of ROWS) {
    const source = program.getSourceFile(path.join(MODULES, spec.file));
    if (!source) throw new Error(`${spec.file} not found`);
    const decl = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === spec.row);
    if (!decl) throw new Error(`${spec.row} not declared in ${spec.file}`);
    const type = checker.getTypeAtLocation(decl.name);
    out.set(
      `${spec.file}#${spec.row}`,
      checker.getPropertiesOfType(type).map((p) => {
        const t = checker.getTypeOfSymbolAtLocation(p, decl);
        const parts = t.isUnion() ? t.types : [t];
        const nullable = parts.some((x) => x.flags & ts.TypeFlags.Null);
        const types = parts.filter((x) => !(x.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined))).map((x) => checker.typeToString(x));
        return { name: p.name, types, nullable, optional: Boolean(p.flags & ts.SymbolFlags.Optional) };
      }),
    );
  }
  return out;
}

/** Does a TypeScript type (one member of the field's union) fit what the drivers read the column as? */
function fits(pgType: string, tsType: string): boolean {
  switch (pgType) {
    case 'text':
    case 'character varying':
    case 'character':
    case 'uuid':
    case 'inet':
    case 'cidr':
    case 'numeric': // exact, read as text
    case 'date': // read as text
    case 'timestamp without time zone': // read as text
      return tsType === 'string' || /^"/.test(tsType) || /^`/.test(tsType);
    case 'bigint': // a number when it is safe, else its text (src/db/types.ts)
      return tsType === 'number' || tsType === 'string';
    case 'smallint':
    case 'integer':
    case 'real':
    case 'double precision':
      return tsType === 'number' || /^\d+$/.test(tsType);
    case 'boolean':
      return tsType === 'boolean' || tsType === 'true' || tsType === 'false';
    case 'timestamp with time zone':
      return tsType === 'Date';
    case 'bytea':
      return /^(Buffer|Uint8Array)\b/.test(tsType);
    case 'ARRAY':
      return /\[\]$|^readonly .*\[\]$|^\(.*\)\[\]$/.test(tsType) || /^(Array|ReadonlyArray)</.test(tsType);
    case 'json':
    case 'jsonb':
      return true; // a parsed JSON value: the repository's type says what the application stores
    default:
      return false;
  }
}

let fields: Map<string, Field[]> | undefined;

describeEachBackend('row types of the repositories against the schema', ({ use }) => {
  it('every row interface matches its table: the same columns, types the drivers read, null exactly where the column allows it', async () => {
    fields ??= rowFields();
    const columns = await use().db.query<{ table_name: string; column_name: string; data_type: string; is_nullable: 'YES' | 'NO' }>(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1::text[])`,
      [ROWS.map((r) => r.table)],
    );
    const problems: string[] = [];
    for (const spec of ROWS) {
      const where = `${spec.row} (${spec.file}) ~ ${spec.table}`;
      const cols = new Map(columns.filter((c) => c.table_name === spec.table).map((c) => [c.column_name, c]));
      if (cols.size === 0) {
        problems.push(`${where}: no such table`);
        continue;
      }
      const own = fields.get(`${spec.file}#${spec.row}`)!;
      const names = new Set(own.map((f) => f.name));
      for (const f of own) {
        if (spec.derived?.includes(f.name)) continue;
        const c = cols.get(f.name);
        if (!c) {
          problems.push(`${where}: field ${f.name} is not a column (a query adds it? list it in derived)`);
          continue;
        }
        const bad = f.types.filter((t) => !fits(c.data_type, t));
        if (bad.length) problems.push(`${where}: ${f.name} is ${c.data_type}, declared ${bad.join(' | ')}`);
        const columnNullable = c.is_nullable === 'YES';
        if (columnNullable && !f.nullable) problems.push(`${where}: ${f.name} may be NULL, the interface says it never is`);
        if (!columnNullable && f.nullable) problems.push(`${where}: ${f.name} is NOT NULL, the interface says it may be null`);
      }
      for (const name of cols.keys())
        if (!names.has(name) && !spec.unread?.includes(name)) problems.push(`${where}: column ${name} is missing from the interface`);
      for (const d of spec.derived ?? []) if (cols.has(d) || !names.has(d)) problems.push(`${where}: ${d} is listed as derived but is a column, or no field`);
      for (const u of spec.unread ?? []) if (!cols.has(u) || names.has(u)) problems.push(`${where}: ${u} is listed as unread but is no column, or a field`);
    }
    expect(problems).toEqual([]);
  });
});
