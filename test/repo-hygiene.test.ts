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
