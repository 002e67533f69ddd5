/**
 * The console's API types (web/src/api/schema.d.ts) are generated from the routes' schemas; this
 * fails while the checked-in file differs from what the routes declare now, so a route change that
 * the console would not see cannot land. Fix: `npm run gen:api`, then typecheck the console.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument, SCHEMA_FILE, schemaSource } from '../scripts/openapi.ts';
import { openTestDatabase } from './helpers/db.ts';

/** The first line where the two texts differ, for a readable failure instead of a 8,000-line diff. */
function firstDifference(checkedIn: string, generated: string): string {
  const a = checkedIn.split('\n');
  const b = generated.split('\n');
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i < 0 ? a.length : i;
  return `line ${at + 1}: checked in ${JSON.stringify(a[at] ?? '(end of file)')}, routes declare ${JSON.stringify(b[at] ?? '(end of file)')}`;
}

describe('console API types', () => {
  it('web/src/api/schema.d.ts is what `npm run gen:api` writes from the routes', async () => {
    const { db, close } = await openTestDatabase('pglite');
    try {
      const generated = await schemaSource(await openApiDocument(db));
      const checkedIn = fs.readFileSync(SCHEMA_FILE, 'utf8');
      const stale = checkedIn !== generated;
      expect(stale ? `web/src/api/schema.d.ts is stale (run \`npm run gen:api\`): ${firstDifference(checkedIn, generated)}` : 'up to date').toBe('up to date');
    } finally {
      await close();
    }
  });
});
