/**
 * Vitest global setup: makes a real PostgreSQL server available to every test file. Uses
 * PDX_TEST_DATABASE_URL when set; otherwise starts a throwaway cluster and removes it afterwards.
 */
import type { TestProject } from 'vitest/node';
import { startPgCluster } from '../helpers/pg-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const given = process.env.PDX_TEST_DATABASE_URL;
  if (given) {
    project.provide('pgAdminUrl', given);
    console.log('[pdx tests] database backends: pglite, postgres (PDX_TEST_DATABASE_URL)');
    return () => {};
  }
  const cluster = await startPgCluster();
  project.provide('pgAdminUrl', cluster.url);
  console.log(`[pdx tests] database backends: pglite, postgres (throwaway cluster on port ${cluster.port})`);
  return () => cluster.stop();
}
