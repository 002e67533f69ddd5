/**
 * Vitest global setup: makes a real PostgreSQL server available to every test file, and migrated
 * templates of both backends so that no suite runs initdb or the migrations again.
 *
 * - PostgreSQL: PDX_TEST_DATABASE_URL when set, otherwise a throwaway cluster removed afterwards. A
 *   database `pdx_tmpl_…` is migrated once; each suite's database is `CREATE DATABASE … TEMPLATE` it.
 * - PGlite: one data directory is created and migrated once. In-memory suites start from its dump
 *   (`loadDataDir`), servers on a data directory from a copy of it. PGlite's initdb (WebAssembly) is
 *   the dearest step of opening a database: several seconds on an idle 2-core machine, over a minute
 *   on a loaded one, against a fraction of that to load a dump (measured for issue 25).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/db/index.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { startPgCluster } from '../helpers/pg-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    /** A migrated database on that server to clone (`CREATE DATABASE … TEMPLATE`). */
    pgTemplate: string;
    /** A migrated PGlite data directory (copy it) and its dump (`loadDataDir`). */
    pgliteTemplate: { dir: string; dump: string };
  }
}

/** Creates and migrates the server template; returns a function that drops it. */
async function serverTemplate(adminUrl: string, name: string): Promise<() => Promise<void>> {
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), 2);
  try {
    await migrate(db);
  } finally {
    await db.close(); // no connection may stay open on a template that is being cloned
  }
  return async () => {
    const c = new pg.Client(adminUrl);
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
}

/** Creates and migrates a PGlite data directory under `root`, and dumps it next to it. */
async function pgliteTemplate(root: string): Promise<{ dir: string; dump: string }> {
  const dir = path.join(root, 'pglite');
  const dump = path.join(root, 'pglite.tar');
  const db = await openPglite(dir);
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  const raw = await PGlite.create({ dataDir: dir });
  try {
    fs.writeFileSync(dump, Buffer.from(await (await raw.dumpDataDir('none')).arrayBuffer()));
  } finally {
    await raw.close();
  }
  return { dir, dump };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-tmpl-'));
  const given = process.env.PDX_TEST_DATABASE_URL;
  const [cluster, pglite] = await Promise.all([given ? undefined : startPgCluster(), pgliteTemplate(root)]);
  const adminUrl = given ?? cluster!.url;
  const template = `pdx_tmpl_${randomBytes(4).toString('hex')}`;
  const dropTemplate = await serverTemplate(adminUrl, template);
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
  project.provide('pgliteTemplate', pglite);
  console.log(
    `[pdx tests] database backends: pglite, postgres (${given ? 'PDX_TEST_DATABASE_URL' : `throwaway cluster on port ${cluster!.port}`}); ` +
      `migrated templates ready in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  return async () => {
    try {
      if (given) await dropTemplate();
    } finally {
      cluster?.stop();
      fs.rmSync(root, { recursive: true, force: true });
    }
  };
}
