/**
 * A running pdx with something for the security administrator to look at: a consumer's key with a
 * granted 户籍人口 dataset pulls far more than usual at night (a 较大 volume alert, an incident and
 * a suspended key), and someone guesses passwords (an account locked). Shared by the console tests
 * of security operations and of the pages that must speak in sentences.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { TEST_ENV } from './env.ts';
import { migrate, openDatabase, type Db } from '../../src/db/index.ts';
import type { App } from '../../src/http/app.ts';
import { createPlatform, type Platform } from '../../src/main.ts';
import { bootstrapIdentity } from '../../src/modules/identity/bootstrap.ts';
import { ADMIN_PASSWORDS, loginClient, type Client } from './api.ts';
import { createAuthenticator, registerAuthenticator } from './authenticator.ts';
import { seedPgliteDir } from './db.ts';
import { grantJourney, shareWorld, type ShareTestApp, type ShareWorld } from '../share-helpers.ts';
import { virtualClock } from './virtual-clock.ts';

export interface SecopsWorld {
  url: string;
  db: Db;
  platform: Platform;
  world: ShareWorld;
  grant: { requestId: string; grantId: string };
  close(): Promise<void>;
}

function injectClient(app: App, headers: Record<string, string>): Client {
  return {
    headers,
    call: (method, url, body, extra = {}) =>
      app.inject({ method: method as 'GET', url, headers: { ...headers, ...extra }, ...(body === undefined ? {} : { payload: body as object }) }),
  };
}

export async function startSecopsWorld(): Promise<SecopsWorld> {
  // Detectors see "night" and the hourly baseline through eventTime: real stamps mapped onto virtual hours.
  const { setVirtual, eventTime } = virtualClock();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-sec-'));
  const config = loadConfig({
    ...TEST_ENV,
    PDX_PORT: '0',
    PDX_DATA_DIR: dataDir,
    PDX_LOG_LEVEL: 'warn',
    PDX_RATE_LIMIT: '100000',
    PDX_MASTER_KEY: randomBytes(32).toString('base64'),
  });
  seedPgliteDir(path.join(dataDir, 'pglite'));
  const db = await openDatabase(config);
  await migrate(db);
  const authenticator = createAuthenticator();
  const platform = await createPlatform(config, db, { jobPollMs: 50, secops: { eventTime }, now: authenticator.now });
  const { app, services } = platform;
  const { secops } = services;
  await bootstrapIdentity(db, services.identity, ADMIN_PASSWORDS);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  registerAuthenticator(authenticator, { url, app });
  services.jobs.start();

  const t = { login: (u: string, p: string) => loginClient(app, u, p), withKey: (key: string) => injectClient(app, { authorization: `Bearer ${key}` }) };
  const w = await shareWorld(t as unknown as ShareTestApp, 1500);
  await w.secadmin.call('PUT', '/api/v1/secops/settings', { intervalMs: 200, detectors: { volume: { minRows: 200 } } });
  secops.start();
  const grant = await grantJourney(
    w,
    {
      columns: [
        { name: '姓名', mode: 'clear' },
        { name: '身份证号', mode: 'clear' },
        { name: '户籍地', mode: 'clear' },
      ],
      impactAssessment: '低保核验须比对身份证号与姓名,已评估并采取最小必要措施',
    },
    { columns: ['姓名', '身份证号', '户籍地'] },
  );
  // Yesterday's working hours (UTC+8), then 03:00 today: recent enough for the 30-day ranking.
  const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
  const yesterday = new Date(Date.parse(today) - 86_400_000).toISOString().slice(0, 10);
  for (const hour of ['09', '10', '15']) {
    setVirtual(`${yesterday}T${hour}:00:00+08:00`);
    await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?limit=4`);
  }
  setVirtual(`${today}T03:00:00+08:00`);
  for (let i = 0; i < 6; i++) if ((await w.keyClient.call('GET', `/api/v1/datasets/${w.code}/records?limit=1000`)).statusCode !== 200) break;
  for (let i = 0; i < 6; i++) await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'mz-officer', password: `wrong-${i}` } });
  for (let i = 0; i < 150 && (await w.secadmin.call('GET', '/api/v1/secops/alerts')).json().items.length < 2; i++) await new Promise((r) => setTimeout(r, 100));

  return {
    url,
    db,
    platform,
    world: w,
    grant,
    async close() {
      await secops.stop();
      await services.jobs.stop();
      await app.close();
      await services.audit.close();
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
