/**
 * No merge conflict markers in the repository's own text files (one once reached main inside the
 * README's configuration table, where neither typecheck nor lint looks).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
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
      if (!new RegExp(`import \\{[^}]*\\b${factory(m)}\\b[^}]*\\} from './modules/${m}/${m}\\.module\\.ts'`).test(main)) out.push(`${m}: src/main.ts does not import ${factory(m)} from ${m}.module.ts`);
      return out;
    });
    expect(problems).toEqual([]);
    expect(modules.length).toBeGreaterThan(15);
  });

  it('main.ts takes every route plugin from a module file, never from a routes file', () => {
    expect(main.match(/from '[^']*\.routes\.ts'/g) ?? []).toEqual([]);
  });
});
