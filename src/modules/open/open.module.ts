/**
 * One call that wires opening (数据开放). In main.ts:
 *
 *   const open = createOpenModule({ db, events, catalog, review, share, identity, config, log });
 *   … routes: [ …, open.routes ], rootRoutes: [open.rootRoutes], society: open.society; open.start() / stop()
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config.ts';
import type { SocietyAuthenticator } from '../../http/auth.ts';
import { createMailer } from '../secops/notify.ts';
import { openAccountRoutes } from './open.account.routes.ts';
import { openManageRoutes } from './open.manage.routes.ts';
import { openRootRoutes, openRoutes } from './open.routes.ts';
import { createOpenService, type OpenDeps } from './open.service.ts';

/** How often each process writes its download and call counters. */
const FLUSH_MS = 5000;

export function createOpenModule(
  deps: Omit<OpenDeps, 'mailer' | 'publicUrl' | 'fallbackUrl' | 'limits' | 'sessionIdleMinutes'> & {
    config: Pick<
      Config,
      | 'PDX_SMTP_HOST'
      | 'PDX_SMTP_PORT'
      | 'PDX_SMTP_SECURE'
      | 'PDX_SMTP_USER'
      | 'PDX_SMTP_PASSWORD'
      | 'PDX_SMTP_FROM'
      | 'PDX_PUBLIC_URL'
      | 'PDX_HOST'
      | 'PDX_PORT'
      | 'PDX_TLS_CERT'
      | 'PDX_OPEN_ANONYMOUS_PER_MINUTE'
      | 'PDX_OPEN_KEY_PER_MINUTE'
      | 'PDX_OPEN_REGISTRATIONS_PER_HOUR'
      | 'PDX_SESSION_IDLE_MINUTES'
    >;
  },
) {
  const { config } = deps;
  const mailer = createMailer({
    ...(config.PDX_SMTP_HOST ? { host: config.PDX_SMTP_HOST } : {}),
    ...(config.PDX_SMTP_PORT ? { port: config.PDX_SMTP_PORT } : {}),
    secure: config.PDX_SMTP_SECURE,
    ...(config.PDX_SMTP_USER ? { user: config.PDX_SMTP_USER } : {}),
    ...(config.PDX_SMTP_PASSWORD ? { password: config.PDX_SMTP_PASSWORD } : {}),
    from: config.PDX_SMTP_FROM,
  });
  const host = config.PDX_HOST === '0.0.0.0' || config.PDX_HOST === '::' ? 'localhost' : config.PDX_HOST;
  const service = createOpenService({
    ...deps,
    mailer,
    ...(config.PDX_PUBLIC_URL ? { publicUrl: config.PDX_PUBLIC_URL } : {}),
    fallbackUrl: `${config.PDX_TLS_CERT ? 'https' : 'http'}://${host}:${config.PDX_PORT}`,
    limits: {
      anonymousPerMinute: config.PDX_OPEN_ANONYMOUS_PER_MINUTE,
      keyPerMinute: config.PDX_OPEN_KEY_PER_MINUTE,
      accountPerHour: config.PDX_OPEN_REGISTRATIONS_PER_HOUR,
    },
    sessionIdleMinutes: config.PDX_SESSION_IDLE_MINUTES,
  });
  const routes: FastifyPluginAsyncZod = async (app) => {
    await app.register(openRoutes({ open: service }));
    await app.register(openAccountRoutes({ open: service, secureCookies: Boolean(config.PDX_TLS_CERT) }));
    await app.register(openManageRoutes({ open: service }));
  };
  const society: SocietyAuthenticator = { identify: (request, options) => service.society.identify(request, options) };
  let timer: NodeJS.Timeout | undefined;
  return {
    service,
    routes,
    rootRoutes: openRootRoutes({ open: service }),
    society,
    start() {
      timer ??= setInterval(() => void service.portal.flushUsage().catch(() => undefined), FLUSH_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await service.portal.flushUsage();
      mailer.close();
    },
  };
}

export type OpenModule = ReturnType<typeof createOpenModule>;
