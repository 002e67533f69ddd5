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
