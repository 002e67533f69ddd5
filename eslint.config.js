/**
 * ESLint (flat config): typescript-eslint's recommended rules, no import cycle (between files:
 * import-x/no-cycle; between folders: pdx/no-folder-cycle), and no module importing another module's
 * repository (all SQL of a module stays behind its service). Known exceptions are listed below with
 * the reason and the refactor that removes them; anything new fails `npm run lint`.
 */
import fs from 'node:fs';
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import disableNeedsReason from './eslint/disable-needs-reason.js';
import noFolderCycle from './eslint/no-folder-cycle.js';

const MODULES = fs
  .readdirSync('src/modules', { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

/**
 * Files allowed to import another module's repository, each with its reason. None: a module that
 * needs another's data inside its own transaction gets a service method taking the transaction
 * (`catalog.within(tx)`, `jobs.failAbandoned(tx, …)`, `audit.recordsAfter(tx, …)`).
 */
const CROSS_MODULE_REPO_EXCEPTIONS = [];

/**
 * Known folder cycles, as the one edge of each cycle that is allowed until it is removed. The graph
 * without these edges has no cycle, so a new cycle through any other edge still fails. None: the last
 * one (protect ↔ classify) went when the masking conventions moved to src/lib/mask.ts and the text
 * redactor to classify/redact.ts, handed to protect's `redacted` operator by the read path.
 */
const FOLDER_CYCLE_EXCEPTIONS = {};

/** For files of module `m`: any import of `<other module>/*.repo.ts`, by relative path. */
function repoRestriction(m) {
  const others = MODULES.filter((o) => o !== m).join('|');
  return {
    files: [`src/modules/${m}/**/*.{ts,tsx}`],
    ignores: CROSS_MODULE_REPO_EXCEPTIONS,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `(^|/)(${others})/[^/]+\\.repo(\\.ts)?$`,
              message:
                "A module never imports another module's repository: use that module's service (passed in as a narrow dependency) and the row types it exports.",
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/', 'web/dist/', 'data/', 'test-artifacts/', '.tmp/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js,mjs}'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX, pdx: { rules: { 'no-folder-cycle': noFolderCycle, 'disable-needs-reason': disableNeedsReason } } },
    settings: {
      // import-x parses the imported files too (to follow cycles): TypeScript through typescript-eslint.
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['tsconfig.json', 'web/tsconfig.json'], noWarnOnMultipleProjects: true })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // Unused names are errors, except a deliberately dropped one (`_name`, as in `{ secret: _omit, ...rest }`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      'pdx/disable-needs-reason': 'error',
      // Read-before-assign in closures (a handler registered before the value is known) stays `let`.
      'prefer-const': ['error', { destructuring: 'all', ignoreReadBeforeAssign: true }],
      // pdx matches control characters on purpose: input hardening (NUL, C0 controls) and CSV sniffing.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    rules: { 'pdx/no-folder-cycle': ['error', { srcDir: 'src', allow: FOLDER_CYCLE_EXCEPTIONS }] },
  },
  {
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  ...MODULES.map(repoRestriction),
);
