/**
 * The console's API types (web/src/api/schema.d.ts) are generated from the routes' schemas; this
 * fails while the checked-in file differs from what the routes declare now, so a route change that
 * the console would not see cannot land. Fix: `npm run gen:api`, then typecheck the console.
 *
 * The same document is what /docs shows: its Chinese texts use full-width punctuation.
 */
import fs from 'node:fs';
import type { OpenAPI3 } from 'openapi-typescript';
import { beforeAll, describe, expect, it } from 'vitest';
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

/**
 * ASCII ( ) : ; , beside a Chinese character, a space between allowed: Chinese text takes （）：；，.
 * Code in backticks (`select=姓名,住址`) keeps its ASCII.
 */
const ASCII_BY_CHINESE = /[\u4e00-\u9fff] ?[,;:()]|[,;:(] ?[\u4e00-\u9fff]/u;

/** Every description, summary and title in the document, with where it is. */
function texts(value: unknown, at = ''): { at: string; text: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => texts(v, `${at}[${i}]`));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => [
    ...((key === 'description' || key === 'summary' || key === 'title') && typeof v === 'string' ? [{ at: `${at}.${key}`, text: v }] : []),
    ...texts(v, `${at}.${key}`),
  ]);
}

describe('console API types and the API documentation', () => {
  let document: OpenAPI3;
  beforeAll(async () => {
    const { db, close } = await openTestDatabase('pglite');
    try {
      document = await openApiDocument(db);
    } finally {
      await close();
    }
  });

  it('web/src/api/schema.d.ts is what `npm run gen:api` writes from the routes', async () => {
    const generated = await schemaSource(document);
    const checkedIn = fs.readFileSync(SCHEMA_FILE, 'utf8');
    const stale = checkedIn !== generated;
    expect(stale ? `web/src/api/schema.d.ts is stale (run \`npm run gen:api\`): ${firstDifference(checkedIn, generated)}` : 'up to date').toBe('up to date');
  });

  it('writes Chinese descriptions, summaries and titles with full-width punctuation (（）：；，)', () => {
    const all = texts(document);
    const mixed = all.filter(({ text }) => ASCII_BY_CHINESE.test(text.replace(/`[^`]*`/g, ''))).map(({ at, text }) => `${at}: ${text}`);
    expect(mixed).toEqual([]);
    // The walk reached the route schemas (hundreds of Chinese field descriptions), not only the title.
    expect(all.filter(({ text }) => /[\u4e00-\u9fff]/u.test(text)).length).toBeGreaterThan(300);
  });
});
