/**
 * `npm run bench [name…]`: runs bench/<name>.ts (all of them without a name). Each exports a default
 * async function that prints its figures with lib.ts's report().
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const available = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f) && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length ? wanted : available) {
  console.log(`\n### bench ${name}`);
  const mod = (await import(path.join(dir, `${name}.ts`))) as { default: () => Promise<void> };
  await mod.default();
}
