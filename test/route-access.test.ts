/**
 * Who may call what, checked in: every route of the platform with its method, URL and declared
 * access, in test/route-access.txt. A change of access (a role added to a route, a route made public,
 * a new route) changes that file and so shows in review; update it with `npx vitest run -u
 * test/route-access.test.ts` when the change is meant.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from '../src/http/access.ts';
import { startTestApp, type TestApp } from './helpers/api.ts';
import { openTestDatabase, type TestDatabase } from './helpers/db.ts';

/**
 * The built console's files (web/dist, present after `npm run build`) are routes too, one per file
 * with hashed names: left out, so the table is the same with or without a build.
 */
function consoleFiles(): Set<string> {
  const dist = path.resolve(import.meta.dirname, '../web/dist');
  if (!fs.existsSync(dist)) return new Set();
  const files = fs.readdirSync(dist, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
  return new Set(['/', ...files.map((f) => `/${path.relative(dist, path.join(f.parentPath, f.name)).split(path.sep).join('/')}`)]);
}

/** One line per access, short enough to read in a diff. */
function accessText(access: Access | null): string {
  if (!access) return '(outside /api: no access declaration)';
  if ('public' in access) return 'public';
  if ('device' in access) return 'device credential (checked by the route)';
  const key = 'apiKey' in access && access.apiKey ? ' + API key' : '';
  if ('authenticated' in access) return `any signed-in user${key}`;
  if ('society' in access) return `society user ${access.society}${key}`;
  return `roles: ${access.roles.join(', ')}${key}`;
}

describe('route access table', () => {
  let database: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    t = await startTestApp(database.db);
  });
  afterAll(async () => {
    await t?.close();
    await database?.close();
  });

  it('matches the checked-in table of every route and its declared access', async () => {
    // HEAD routes Fastify adds for each GET carry the GET's access: listed once, under GET.
    const built = consoleFiles();
    const routes = t.app.declaredRoutes
      .filter((r) => r.method !== 'HEAD' || !t.app.declaredRoutes.some((g) => g.method === 'GET' && g.url === r.url))
      .filter((r) => r.access || !built.has(r.url));
    const lines = routes.map((r) => `${r.method.padEnd(6)} ${r.url}  ${accessText(r.access)}`);
    const sorted = [...new Set(lines)].sort((a, b) => a.slice(7).localeCompare(b.slice(7)) || a.localeCompare(b));
    expect(sorted.length).toBeGreaterThan(100);
    await expect(`${sorted.join('\n')}\n`).toMatchFileSnapshot('./route-access.txt');
  });
});
