import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi, { type FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import Fastify, { type FastifyHttpOptions, type FastifyInstance, type FastifyRequest } from 'fastify';
import type http from 'node:http';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type FastifyPluginAsyncZod, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { Db } from '../db/index.ts';
import type { EventSink } from '../modules/audit/events.ts';
import { VERSION } from '../version.ts';
import { registerAuth, type Authenticator, type SocietyAuthenticator } from './auth.ts';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import { apiNotFound, clientErrorHandler, errorHandler, frameworkErrors } from './errors.ts';
import { registerInputCheck } from './input.ts';
import { createMetrics } from './metrics.ts';

const WEB_DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');
const FAVICON = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'public', 'favicon.svg');

/** The API docs page in pdx's colours, with its mark and name (not the Swagger UI's own). */
function docsBranding(): Pick<FastifySwaggerUiOptions, 'logo' | 'theme'> {
  const icon = fs.readFileSync(FAVICON);
  const mark = icon.toString('utf8').replace('<svg ', '<svg x="0" y="4" width="32" height="32" ');
  const logo = `<svg xmlns="http://www.w3.org/2000/svg" width="360" height="40" viewBox="0 0 360 40">${mark}<text x="44" y="27" font-size="18" font-family="sans-serif" fill="#fff">pdx · 公共数据共享交换平台 接口文档</text></svg>`;
  return {
    logo: { type: 'image/svg+xml', content: Buffer.from(logo), href: '/docs', target: '_self' },
    theme: {
      title: 'pdx 接口文档 · API',
      favicon: [{ filename: 'favicon.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: icon }],
      css: [{ filename: 'pdx.css', content: '.swagger-ui .topbar { background-color: #001529; } body { margin: 0; }' }],
    },
  };
}
const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

export interface AppDeps {
  config: Config;
  db: Db;
  /** Recognises callers (identity module) and records denials (audit). */
  auth: Authenticator;
  events: EventSink;
  /** Largest accepted file upload. */
  maxUploadBytes?: number;
  /** Route plugins of the domain modules, registered under /api/v1. */
  routes?: FastifyPluginAsyncZod[];
  /** Where the JSON log goes (default: stdout). */
  logStream?: NodeJS.WritableStream;
  /** Route plugins at the root, for paths fixed outside the API (InfluxDB's /api/v2/write, /open/catalog.jsonld). */
  rootRoutes?: FastifyPluginAsyncZod[];
  /** Recognises society users on open-data portal routes. */
  society?: SocietyAuthenticator;
}

export type App = FastifyInstance;

/**
 * How a request appears in the log: the route pattern and the names of its query parameters, never
 * their values. Query strings carry export download tokens and filter values such as ID numbers
 * (`/api/v1/datasets/:code/records?select&身份证号&limit`); a path no route matched may hold anything,
 * so it is not logged either.
 */
export function loggedUrl(request: FastifyRequest): string {
  const raw = request.url ?? '';
  const q = raw.indexOf('?');
  const path = request.routeOptions?.url ?? '(unmatched)';
  if (q < 0) return path;
  const names = [...new Set(new URLSearchParams(raw.slice(q + 1)).keys())];
  return names.length ? `${path}?${names.join('&')}` : path;
}

/** A bearer token compared in constant time (hashes of equal length). */
function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Who may read /metrics: with PDX_METRICS_TOKEN, callers presenting it as a bearer token; without,
 * only a direct caller on the loopback interface (no proxy header), e.g. a local Prometheus agent.
 */
function checkMetricsAccess(request: FastifyRequest, token: string | undefined): void {
  if (token) {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!tokenMatches(given, token)) {
      throw new UnauthorizedError('metrics_token_required', {
        zh: '读取 /metrics 须提供 Authorization: Bearer <PDX_METRICS_TOKEN>',
        en: '/metrics needs Authorization: Bearer <PDX_METRICS_TOKEN>',
      });
    }
    return;
  }
  const direct = request.headers['x-forwarded-for'] === undefined && request.headers.forwarded === undefined;
  if (!direct || !LOOPBACK.has(request.socket.remoteAddress ?? '')) {
    throw new ForbiddenError('metrics_loopback_only', {
      zh: '未设置 PDX_METRICS_TOKEN 时，/metrics 只应答本机直连的请求',
      en: 'Without PDX_METRICS_TOKEN, /metrics answers only direct callers on the loopback interface',
    });
  }
}

/** Reads a TLS file named by a PDX_* variable, failing with the variable's name. */
function readTlsFile(variable: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new Error(`${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

/** HTTPS options when PDX_TLS_CERT/KEY are set: TLS 1.2+, and client certificates when a CA is given. */
function tlsOptions(config: Config) {
  if (!config.PDX_TLS_CERT || !config.PDX_TLS_KEY) return undefined;
  return {
    cert: readTlsFile('PDX_TLS_CERT', config.PDX_TLS_CERT),
    key: readTlsFile('PDX_TLS_KEY', config.PDX_TLS_KEY),
    minVersion: 'TLSv1.2' as const,
    ...(config.PDX_TLS_CLIENT_CA
      ? // Ask every client for a certificate but let the auth hook decide: console users need none, API keys do.
        { ca: readTlsFile('PDX_TLS_CLIENT_CA', config.PDX_TLS_CLIENT_CA), requestCert: true, rejectUnauthorized: false }
      : {}),
  };
}

/** Builds the HTTP server: cross-cutting plugins, platform endpoints, module routes, the console. */
export async function buildApp({ config, db, auth, events, maxUploadBytes, routes = [], rootRoutes = [], logStream, society }: AppDeps): Promise<App> {
  const https = tlsOptions(config);
  const app = Fastify({
    ...(https ? ({ https } as unknown as FastifyHttpOptions<http.Server>) : {}),
    logger: {
      level: config.PDX_LOG_LEVEL,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]'],
      serializers: {
        req: (request: FastifyRequest) => ({ method: request.method, url: loggedUrl(request), remoteAddress: request.ip }),
      },
      ...(logStream ? { stream: logStream } : {}),
    },
    // Errors raised before a route is found, and requests Node's parser refuses: the standard body too.
    frameworkErrors,
    clientErrorHandler,
    trustProxy: config.PDX_TRUST_PROXY,
    bodyLimit: 10 * 1024 * 1024,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerInputCheck(app);

  await app.register(cookie);
  await app.register(multipart, { limits: { fileSize: maxUploadBytes ?? config.PDX_MAX_UPLOAD_BYTES, files: 1, fields: 10 } });
  registerAuth(app, { auth, events, requireClientCertificate: Boolean(config.PDX_TLS_CLIENT_CA), ...(society ? { society } : {}) });
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // antd and ECharts set inline styles at run time; scripts stay same-origin only.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        // Served over plain HTTP on a LAN address in small installs; never force https sub-requests.
        upgradeInsecureRequests: null,
      },
    },
  });
  await app.register(rateLimit, {
    global: true,
    max: config.PDX_RATE_LIMIT,
    timeWindow: '1 minute',
    allowList: (request) => request.url === '/health',
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'pdx — Public Data Exchange API / 公共数据共享交换平台', version: VERSION },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'API key: Authorization: Bearer pdx_…' },
          session: { type: 'apiKey', in: 'cookie', name: 'pdx_session' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: false, ...docsBranding() });

  const metrics = createMetrics(db);
  app.addHook('onResponse', async (request, reply) => {
    metrics.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  app.get(
    '/health',
    {
      schema: {
        tags: ['platform'],
        summary: 'Liveness and database reachability',
        response: {
          200: z.object({ status: z.literal('ok'), database: z.enum(['pglite', 'postgres']), version: z.string() }),
          503: z.object({ status: z.literal('unavailable'), database: z.enum(['pglite', 'postgres']), version: z.string() }),
        },
      },
    },
    async (_request, reply) => {
      const reachable = await Promise.race([
        db.ping().then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false).unref()),
      ]);
      if (reachable) return { status: 'ok' as const, database: db.backend, version: VERSION };
      return reply.status(503).send({ status: 'unavailable' as const, database: db.backend, version: VERSION });
    },
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    checkMetricsAccess(request, config.PDX_METRICS_TOKEN);
    reply.header('content-type', metrics.contentType);
    return metrics.render();
  });

  await app.register(
    async (api) => {
      for (const plugin of routes) await api.register(plugin);
    },
    { prefix: '/api/v1' },
  );
  for (const plugin of rootRoutes) await app.register(plugin);

  await registerConsole(app);
  return app;
}

/** Vite's output names under assets/ carry a content hash: a changed file gets a new name. */
const HASHED_ASSET = `${path.sep}assets${path.sep}`;

/**
 * How long a browser may keep a console file: hashed assets for a year without asking again
 * (`immutable`); everything else, index.html above all, is revalidated on every load, so a new
 * release is seen at once.
 */
export function consoleCacheControl(file: string): string {
  return file.startsWith(WEB_DIST) && file.slice(WEB_DIST.length).startsWith(HASHED_ASSET) ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/**
 * Serves the built console; unknown non-API GETs return index.html so client routes work. Files
 * are sent as the .br or .gz the build wrote beside them when the client accepts that encoding.
 */
async function registerConsole(app: FastifyInstance): Promise<void> {
  const hasConsole = fs.existsSync(path.join(WEB_DIST, 'index.html'));
  if (hasConsole) {
    await app.register(fastifyStatic, {
      root: WEB_DIST,
      wildcard: false,
      index: ['index.html'],
      preCompressed: true,
      cacheControl: false,
      setHeaders: (reply, file) => reply.header('cache-control', consoleCacheControl(file)),
    });
  }
  app.setNotFoundHandler((request, reply) => {
    if (request.method !== 'GET' || request.url.startsWith('/api/')) return apiNotFound(request, reply);
    if (!hasConsole) return reply.status(503).type('text/plain').send('Console not built: run `npm run build`.');
    return reply.type('text/html').sendFile('index.html');
  });
}
