/**
 * Rules of the repository that neither typecheck nor lint sees: no merge conflict markers (one once
 * reached main inside the README's configuration table), one wiring shape for every module, and
 * where tests live (docs/architecture.md, "Tests").
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

describe('repository hygiene', () => {
  it('has no merge conflict markers in tracked text files', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' })
      .split('\0')
      .filter((f) => /\.(ts|tsx|mjs|js|json|md|sql|css|html|yml|yaml|sh)$/.test(f) || f === '.ci/run');
    const marked = files.filter((f) => fs.existsSync(f) && /^(<{7} |>{7} |={7}$)/m.test(fs.readFileSync(f, 'utf8')));
    expect(files.length).toBeGreaterThan(100);
    expect(marked).toEqual([]);
  });
});

describe('module shape', () => {
  // Every folder of src/modules/ is wired the same way (docs/architecture.md, "How to add a module").
  // There is no list of exceptions: a module without its module file fails here, by name.
  const modules = fs
    .readdirSync('src/modules', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  const factory = (m: string) => `create${m.replace(/(?:^|-)(\w)/g, (_, c: string) => c.toUpperCase())}Module`;
  const main = fs.readFileSync('src/main.ts', 'utf8');

  it('every module has exactly one module file, <m>.module.ts, exporting create<M>Module, and main.ts builds the module from it', () => {
    const problems = modules.flatMap((m) => {
      const files = fs.readdirSync(`src/modules/${m}`).filter((f) => f.endsWith('.module.ts'));
      if (files.length !== 1 || files[0] !== `${m}.module.ts`) return [`${m}: module files ${JSON.stringify(files)}, expected exactly ${m}.module.ts`];
      const text = fs.readFileSync(`src/modules/${m}/${m}.module.ts`, 'utf8');
      const out: string[] = [];
      if (!new RegExp(`export (async )?function ${factory(m)}\\(`).test(text)) out.push(`${m}: ${m}.module.ts does not export ${factory(m)}`);
      if (!new RegExp(`import \\{[^}]*\\b${factory(m)}\\b[^}]*\\} from './modules/${m}/${m}\\.module\\.ts'`).test(main))
        out.push(`${m}: src/main.ts does not import ${factory(m)} from ${m}.module.ts`);
      return out;
    });
    expect(problems).toEqual([]);
    expect(modules.length).toBeGreaterThan(15);
  });

  it('main.ts takes every route plugin from a module file, never from a routes file', () => {
    expect(main.match(/from '[^']*\.routes\.ts'/g) ?? []).toEqual([]);
  });
});

/** The relative imports of a file: what each names, and whether only types are imported (erased at run time). */
function importsOf(file: string): { spec: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: { spec: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      out.push({ spec: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push({ spec: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      out.push({ spec: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out.filter((i) => i.spec.startsWith('.'));
}

/** The repository file a relative import names (repository-relative path), if it is one. */
function resolveImport(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  const found = [base, `${base}.ts`, path.join(base, 'index.ts')].find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
  return found && path.relative(process.cwd(), found);
}

describe('where tests live', () => {
  // docs/architecture.md, "Tests": a test beside the code (src/**/*.test.ts) is a unit test of its
  // folder. (1) It never builds the platform: following its value imports through src/ and test/
  // (helpers such as test/helpers/api.ts, share-helpers.ts, server.ts), it never reaches src/main.ts.
  // (2) Under src/modules/<m>/, it imports no other module's file but for types (`import type`).
  // Tests of the running platform or of two modules together live in test/.
  const valueImports = new Map<string, string[]>();
  const valueDeps = (file: string): string[] => {
    let deps = valueImports.get(file);
    if (!deps) {
      deps = importsOf(file).flatMap((i) => (i.typeOnly ? [] : [resolveImport(file, i.spec)].filter((f): f is string => f !== undefined)));
      valueImports.set(file, deps);
    }
    return deps;
  };
  /** The chain of value imports from `start` to `goal`, if there is one. */
  const chain = (start: string, goal: string): string[] | undefined => {
    const before = new Map<string, string | null>([[start, null]]);
    for (const queue = [start]; queue.length;) {
      const file = queue.shift()!;
      if (file === goal) {
        const steps = [file];
        for (let f = before.get(file); f; f = before.get(f)) steps.unshift(f);
        return steps;
      }
      for (const dep of valueDeps(file)) {
        if (!before.has(dep)) {
          before.set(dep, file);
          queue.push(dep);
        }
      }
    }
    return undefined;
  };
  const moduleOf = (file: string) => /^src\/modules\/([^/]+)\//.exec(file)?.[1];
  const unitTests = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', 'src'], { encoding: 'utf8' })
    .split('\0')
    .filter((f) => /\.test\.tsx?$/.test(f) && fs.existsSync(f));

  it('no test under src/ builds the platform (reaches src/main.ts through its imports)', () => {
    const platform = unitTests.flatMap((f) => {
      const steps = chain(f, 'src/main.ts');
      return steps ? [steps.join(' → ')] : [];
    });
    expect(unitTests.length).toBeGreaterThan(40);
    expect(platform).toEqual([]);
  });

  it("no test under src/modules/<m>/ imports another module's file, but for types", () => {
    const crossing = unitTests.flatMap((f) => {
      const own = moduleOf(f);
      if (!own) return [];
      return valueDeps(f).flatMap((dep) => (moduleOf(dep) && moduleOf(dep) !== own ? [`${f} → ${dep}`] : []));
    });
    expect(crossing).toEqual([]);
  });

  it('the rule sees what it must: a platform test, a cross-module value import, a type-only import', () => {
    // The checks above on known files of test/, so that a change of the import parsing cannot make them pass vacuously.
    expect(chain('test/share-redacted.test.ts', 'src/main.ts')?.at(-1)).toBe('src/main.ts');
    expect(valueDeps('test/gateway-redacted.test.ts')).toContain('src/modules/share/access/compile.ts');
    expect(valueDeps('test/gateway-redacted.test.ts')).not.toContain('src/modules/catalog/catalog.service.ts');
    expect(importsOf('test/gateway-redacted.test.ts')).toContainEqual({ spec: '../src/modules/catalog/catalog.service.ts', typeOnly: true });
  });
});

describe('no SQL of a module touches another module’s tables', () => {
  // Which module owns each table: the module whose migration creates it and whose repository writes
  // it (docs/architecture.md, "How to add a module", rule 1). `platform`: kept by src/db for every
  // module, each under its own key (settings) or for the migrations themselves.
  const OWNERS: Record<string, string> = {
    ...Object.fromEntries(
      ['users', 'organizations', 'api_keys', 'sessions', 'admin_changes', 'login_challenges', 'sso_requests', 'user_identities', 'user_recovery_codes'].map(
        (t) => [t, 'identity'],
      ),
    ),
    // The console's inbox of every account (created with sharing in 0006, written by identity, sharing,
    // security operations and duties): identity keeps it, beside the users it goes to; the others
    // notify through `identity.notices()`.
    notifications: 'identity',
    ...Object.fromEntries(['datasets', 'dataset_columns', 'dataset_versions', 'quarantined_rows'].map((t) => [t, 'catalog'])),
    ...Object.fromEntries(['classification_reviews', 'classification_confirmations', 'important_data_decisions'].map((t) => [t, 'classify'])),
    ...Object.fromEntries(['data_keys', 'master_key_check'].map((t) => [t, 'protect'])),
    // access_revisions: kept by triggers (migration 0040), read only by the records path.
    ...Object.fromEntries(
      ['share_requests', 'share_grants', 'share_usage', 'share_exports', 'share_export_chunks', 'access_revisions'].map((t) => [t, 'share']),
    ),
    jobs: 'jobs',
    settings: 'platform',
    schema_migration_checksums: 'platform',
  };
  /** The other tables are named after their module (audit_*, secops_*, open_*, telemetry_*, exchange_*, duty_*, gateway_*). */
  const PREFIXES: [string, string][] = [
    ['audit_', 'audit'],
    ['secops_', 'secops'],
    ['open_', 'open'],
    ['telemetry_', 'telemetry'],
    ['exchange_', 'exchange'],
    ['duty_', 'duties'],
    ['gateway_', 'gateway'],
  ];
  const ownerOf = (table: string) => OWNERS[table] ?? PREFIXES.find(([p]) => table.startsWith(p))?.[1];

  /**
   * What remains: a module's SQL that names another module's table, each with the reason it stays
   * and what would remove it. Nothing else may appear; an entry that is no longer needed fails too,
   * so the list only shrinks.
   */
  const ALLOWED: { module: string; table: string; why: string }[] = [
    // Empty: the last one (catalog → organizations, the provider's name on every dataset row) is now
    // identity's own fragment, organizationNameSql, composed into the catalogue's statements.
  ];

  const tables = new Set(
    fs
      .readdirSync('src/db/migrations')
      .flatMap((f) =>
        [...fs.readFileSync(`src/db/migrations/${f}`, 'utf8').matchAll(/create table (?:if not exists )?([a-z_][a-z0-9_]*)/gi)].map((m) => m[1]!.toLowerCase()),
      ),
  );

  /** The tables an SQL text names after FROM, JOIN, INTO, UPDATE, TABLE or REFERENCES. */
  const tablesIn = (sql: string) =>
    [...sql.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE|TABLE|REFERENCES)\s+([a-z_][a-z0-9_]*)/gi)].map((m) => m[1]!.toLowerCase()).filter((t) => tables.has(t));

  /** Every (module, table) a module's non-test source names in its string and template literals, with where. */
  function namedTables(): Map<string, string[]> {
    const found = new Map<string, string[]>();
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', 'src/modules'], { encoding: 'utf8' })
      .split('\0')
      .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f) && fs.existsSync(f));
    for (const file of files) {
      const module = /^src\/modules\/([^/]+)\//.exec(file)![1]!;
      const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (
          ts.isStringLiteral(node) ||
          ts.isNoSubstitutionTemplateLiteral(node) ||
          ts.isTemplateHead(node) ||
          ts.isTemplateMiddle(node) ||
          ts.isTemplateTail(node)
        ) {
          for (const table of tablesIn(node.text)) {
            const key = `${module} → ${table}`;
            found.set(key, [...(found.get(key) ?? []), `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`]);
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    return found;
  }
  const named = namedTables();
  const foreign = [...named.keys()].filter((key) => {
    const [module, table] = key.split(' → ') as [string, string];
    const owner = ownerOf(table);
    return owner !== module && owner !== 'platform';
  });

  it('every table a migration creates has its owning module', () => {
    expect(tables.size).toBeGreaterThan(80);
    expect([...tables].filter((t) => !ownerOf(t))).toEqual([]);
    const modules = new Set(fs.readdirSync('src/modules'));
    expect([...new Set(Object.values(OWNERS).concat(PREFIXES.map(([, m]) => m)))].filter((m) => m !== 'platform' && !modules.has(m))).toEqual([]);
  });

  it('a module’s SQL names only its own tables, but for the allowances listed (with where)', () => {
    const allowed = new Set(ALLOWED.map((a) => `${a.module} → ${a.table}`));
    expect(foreign.filter((key) => !allowed.has(key)).map((key) => `${key}: ${named.get(key)!.join(', ')}`)).toEqual([]);
  });

  it('every allowance is still needed (a fixed one comes off the list)', () => {
    expect(ALLOWED.map((a) => `${a.module} → ${a.table}`).filter((key) => !foreign.includes(key))).toEqual([]);
  });

  it('the rule sees what it must: SQL in repositories and services, joins, subqueries, writes', () => {
    expect(tablesIn(`SELECT c.name FROM dataset_columns c JOIN datasets d ON d.id = c.dataset_id`)).toEqual(['dataset_columns', 'datasets']);
    expect(tablesIn(`INSERT INTO notifications (id) SELECT u.id FROM users u WHERE EXISTS (SELECT 1 FROM share_grants)`)).toEqual([
      'notifications',
      'users',
      'share_grants',
    ]);
    expect(tablesIn(`UPDATE api_keys SET suspended_at = now()`)).toEqual(['api_keys']);
    expect(tablesIn(`read from the datasets of an organisation`)).toEqual([]);
    // Known places, so a change of the scan cannot make the checks above pass vacuously.
    expect(named.get('share → share_grants')?.some((w) => w.startsWith('src/modules/share/share.repo.ts:'))).toBe(true);
    expect(named.get('secops → secops_containments')?.some((w) => w.startsWith('src/modules/secops/secops.repo.ts:'))).toBe(true);
    // A fragment another module composes is seen where it is written (a template literal with a hole).
    expect(named.get('identity → organizations')?.some((w) => w.startsWith('src/modules/identity/identity.repo.ts:'))).toBe(true);
    expect(foreign.filter((key) => key.endsWith(' → organizations'))).toEqual([]);
  });
});
