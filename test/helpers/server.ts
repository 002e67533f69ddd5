/** Starts a real pdx server (HTTP on a free port) for API and browser tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { startServer, type PlatformOptions, type Server } from '../../src/main.ts';
import { createAuthenticator, registerAuthenticator } from './authenticator.ts';
import { seedPgliteDir } from './db.ts';
import { TEST_ENV } from './env.ts';

export interface TestServer extends Server {
  dataDir: string;
}

/**
 * Embedded database in a temp directory unless `env.PDX_DATABASE_URL` is given; a new embedded
 * database starts as a copy of the migrated template (see helpers/db.ts).
 */
export async function startTestServer(env: Record<string, string> = {}, options: PlatformOptions = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-srv-'));
  const config = loadConfig({
    ...TEST_ENV,
    PDX_PORT: '0',
    PDX_DATA_DIR: dataDir,
    PDX_LOG_LEVEL: 'warn',
    PDX_DEMO: 'false',
    PDX_DEMO_TELEMETRY: 'false',
    PDX_DEMO_GATEWAY: 'false',
    ...env,
  });
  const pgliteDir = path.join(config.dataDir, 'pglite');
  if (!config.PDX_DATABASE_URL && !fs.existsSync(pgliteDir)) seedPgliteDir(pgliteDir);
  // Administrators sign in with TOTP codes; the server checks them against the authenticator's stepping clock.
  const authenticator = createAuthenticator();
  const server = await startServer(config, { now: authenticator.now, ...options });
  registerAuthenticator(authenticator, { url: server.url, app: server.app });
  return {
    ...server,
    dataDir,
    async close() {
      const result = await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      return result;
    },
  };
}
