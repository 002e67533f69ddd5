import type { Config } from './config.ts';
import { migrate, openDatabase, type Db } from './db/index.ts';
import { buildApp, type App } from './http/app.ts';
import { systemRoutes } from './modules/system/system.routes.ts';

export interface Server {
  app: App;
  db: Db;
  url: string;
  close(): Promise<void>;
}

/** Wires the domain modules onto one database and returns the HTTP app (not yet listening). */
export async function createPdxApp(config: Config, db: Db): Promise<App> {
  return buildApp({ config, db, routes: [systemRoutes({ db })] });
}

/** Wiring only: config → database → migrations → modules → HTTP. */
export async function startServer(config: Config): Promise<Server> {
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const app = await createPdxApp(config, db);
    await app.listen({ port: config.PDX_PORT, host: config.PDX_HOST });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.PDX_PORT;
    const host = config.PDX_HOST === '0.0.0.0' || config.PDX_HOST === '::' ? 'localhost' : config.PDX_HOST;
    return {
      app,
      db,
      url: `http://${host}:${port}`,
      async close() {
        await app.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}
