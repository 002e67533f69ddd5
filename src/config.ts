import path from 'node:path';
import { z } from 'zod';
import { envNetworks, parseCidr } from './modules/egress/egress.ts';
import { parseClaimMapping } from './modules/identity/claims.ts';
import type { XlsxLimits } from './lib/readers/types.ts';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);

/**
 * Every PDX_* environment variable, validated once at boot. The README's configuration table is
 * generated from these descriptions (`npx pdx config`), so keep them accurate.
 */
export const configSchema = z.object({
  PDX_PORT: port.default(8080).describe('HTTP port to listen on (0 picks a free port).'),
  PDX_HOST: z.string().min(1).default('127.0.0.1').describe('Address to bind; use 0.0.0.0 behind a load balancer.'),
  PDX_DATA_DIR: z.string().min(1).default('./data').describe('Directory for the embedded database and generated files.'),
  PDX_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL')
    .optional()
    .describe('PostgreSQL server URL. Unset: the embedded PGlite database in PDX_DATA_DIR.'),
  PDX_DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10).describe('Connections per process in server mode.'),
  PDX_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Log level of the structured JSON log on stdout.'),
  PDX_RATE_LIMIT: z.coerce.number().int().min(1).default(1200).describe('Requests per minute allowed from one client address.'),
  PDX_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(20 * 1024 ** 3)
    .describe('Largest accepted upload, in bytes.'),
  PDX_SHUTDOWN_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3600)
    .default(10)
    .describe('On SIGTERM/SIGINT, in-flight requests and the running job get this long to finish; the process exits at most 5 s later whatever is left.'),
  PDX_XLSX_MAX_SHARED_STRINGS_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(256 * 1024 * 1024)
    .describe(
      'Largest decompressed shared-string table of an XLSX upload, in bytes (it is held in memory while the sheet is read); beyond it the file is refused as a possible zip bomb.',
    ),
  PDX_XLSX_MAX_SHARED_STRINGS: z.coerce.number().int().min(1).default(10_000_000).describe('Most entries in the shared-string table of an XLSX upload.'),
  PDX_XLSX_MAX_UNZIPPED_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(8 * 1024 ** 3)
    .describe('Largest decompressed size of the XLSX sheet read, in bytes (streamed; bounds the time a zip bomb can take).'),
  PDX_TRUST_PROXY: bool.default(false).describe('Trust X-Forwarded-* headers from a reverse proxy.'),
  PDX_MASTER_KEY: z
    .string()
    .optional()
    .describe('Master key (base64 of 32 bytes) that wraps every data key. Embedded mode generates one into PDX_DATA_DIR/master.key when unset.'),
  PDX_MASTER_KEY_FILE: z.string().optional().describe('File holding the master key instead of PDX_MASTER_KEY (mode 0600).'),
  PDX_AUDIT_PUBLIC_KEY: z
    .string()
    .optional()
    .describe(
      'Pinned public key of the audit signing key (PEM, or base64 of its DER), printed at first start. Unset: the file audit-public-key.pem next to the master key (written at first start).',
    ),
  PDX_CRYPTO: z.enum(['aes', 'gm']).default('aes').describe('Crypto suite: aes (AES-256-GCM, SHA-256) or gm (国密 SM4-CTR + HMAC-SM3, SM3).'),
  PDX_TLS_CERT: z.string().optional().describe('PEM certificate chain file: with PDX_TLS_KEY the server speaks HTTPS only (TLS 1.2+).'),
  PDX_TLS_KEY: z.string().optional().describe('PEM private key file of PDX_TLS_CERT.'),
  PDX_TLS_CLIENT_CA: z
    .string()
    .optional()
    .describe(
      "PEM CA file: API-key callers must present a client certificate from this CA whose subject serialNumber is their organisation's 统一社会信用代码.",
    ),
  PDX_DEMO: bool.optional().describe('Load the Liaoning demo world on first start (default: true with the embedded database, false with PDX_DATABASE_URL).'),
  PDX_DEMO_IDP: bool
    .optional()
    .describe(
      "Run the bundled DEMO identity provider (演示身份认证, oidc-provider on 127.0.0.1:18719 or a free port) with a few demo people of the platform's organisations, so 统一身份认证登录 works on a laptop. Not with PDX_OIDC_ISSUER; never in production.",
    ),
  PDX_DEMO_PEOPLE: z.coerce.number().int().min(100).max(10_000_000).default(100_000).describe('Rows of the demo 户籍人口 dataset.'),
  PDX_MQTT_PORT: port
    .optional()
    .describe(
      'Port of the built-in MQTT broker for telemetry (MQTT 3.1.1 and 5; TLS with PDX_TLS_CERT/KEY). Unset: no broker, except the embedded demo world with PDX_DEMO_TELEMETRY, which uses 1883 (or a free port if taken).',
    ),
  PDX_MQTT_EXTERNAL_URL: z
    .string()
    .regex(/^mqtts?:\/\//, 'an mqtt:// or mqtts:// URL')
    .optional()
    .describe('Instead of (or besides) the built-in broker, subscribe to plant/+/+/telemetry on this external MQTT broker (which authenticates the devices).'),
  PDX_MQTT_EXTERNAL_USERNAME: z.string().optional().describe('User name pdx presents to the external MQTT broker.'),
  PDX_MQTT_EXTERNAL_PASSWORD: z.string().optional().describe('Password pdx presents to the external MQTT broker.'),
  PDX_TELEMETRY_BUFFER: z.coerce
    .number()
    .int()
    .min(1000)
    .max(10_000_000)
    .default(200_000)
    .describe(
      'Telemetry samples held in memory between receipt and commit; beyond it senders wait, then are told to retry (senders holding as many samples again may wait; more are told to retry at once).',
    ),
  PDX_TELEMETRY_ACK_WAIT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(10_000)
    .describe(
      'How long a telemetry sender waits for room and for the commit before it is told to retry (HTTP 503 Retry-After; MQTT connection closed, no PUBACK).',
    ),
  PDX_DEMO_TELEMETRY: bool
    .optional()
    .describe(
      'With the demo world: register 朝阳钢铁 (3 lines × 20 devices × 10 points) and simulate it publishing every second over MQTT (default: on with the demo world).',
    ),
  PDX_DEMO_GATEWAY: bool
    .optional()
    .describe(
      "With the demo world: serve 省市场监督管理局's 企业信息查询 on a local port (18717 when free) and share it through the gateway with 朝阳市民政局 (default: on with the demo world).",
    ),
  PDX_UPSTREAM_ALLOW: z
    .string()
    .default('')
    .refine((v) => envNetworks(v).every((n) => parseCidr(n)), 'comma-separated CIDRs, e.g. 127.0.0.1/32,10.20.0.0/16')
    .describe(
      'Networks (CIDRs, comma-separated) that interface upstreams and data sources may point at although they are loopback, link-local or metadata addresses (refused otherwise). The security administrator can add more in the console (egress allowlist).',
    ),
  PDX_SMTP_HOST: z
    .string()
    .optional()
    .describe(
      "SMTP server for e-mail: security alerts, society users' verification and reset links. Unset: alert e-mail fails in the delivery log; links are written to the log.",
    ),
  PDX_SMTP_PORT: z.coerce.number().int().min(1).max(65535).optional().describe('SMTP port (default 587, or 465 with PDX_SMTP_SECURE).'),
  PDX_SMTP_SECURE: bool.default(false).describe('SMTP over TLS from the first byte (port 465); otherwise STARTTLS when offered.'),
  PDX_SMTP_USER: z.string().optional().describe('SMTP user name.'),
  PDX_SMTP_PASSWORD: z.string().optional().describe('SMTP password.'),
  PDX_SMTP_FROM: z.string().default('pdx@localhost').describe('Sender address of alert e-mail.'),
  PDX_PUBLIC_URL: z
    .string()
    .url()
    .optional()
    .describe(
      'Public address of pdx: links in e-mails (alerts, society-user verification) and webhooks, and the @id of catalog.jsonld and /open/catalog.jsonld (unset: relative ids; never the Host header).',
    ),
  PDX_METRICS_TOKEN: z
    .string()
    .min(16, 'at least 16 characters')
    .optional()
    .describe('Bearer token for /metrics (Authorization: Bearer …). Unset: /metrics answers only direct callers on the loopback interface.'),
  PDX_OPEN_ANONYMOUS_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .default(60)
    .describe('Open data: reads (preview, download, open API) per minute from one address without an open-API key.'),
  PDX_OPEN_KEY_PER_MINUTE: z.coerce.number().int().min(1).default(600).describe('Open data: reads per minute with one open-API key of a society user.'),
  PDX_OPEN_REGISTRATIONS_PER_HOUR: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .describe('Open data: registrations, sign-in attempts and reset requests of society users per hour from one address.'),
  PDX_PASSWORD_COST: z.coerce
    .number()
    .int()
    .min(10)
    .max(20)
    .default(15)
    .describe('Work factor of new password hashes: scrypt N = 2^cost, r = 8 (15: 32 MiB per hash). Stored hashes keep their own; below 15 only for test runs.'),
  PDX_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(1440).default(30).describe('Console sessions end after this many idle minutes.'),
  PDX_OIDC_ISSUER: z
    .string()
    .url()
    .optional()
    .describe(
      "Issuer of the province's OpenID Connect provider (统一身份认证), e.g. https://sso.example.gov.cn/realms/staff. With PDX_OIDC_CLIENT_ID, PDX_OIDC_CLIENT_SECRET and PDX_PUBLIC_URL the console offers 统一身份认证登录; register PDX_PUBLIC_URL/api/v1/auth/sso/callback as redirect URI and PDX_PUBLIC_URL/ as post-logout redirect URI. HTTPS (plain HTTP only on this machine).",
    ),
  PDX_OIDC_CLIENT_ID: z.string().min(1).optional().describe('Client id of pdx at the OpenID Connect provider.'),
  PDX_OIDC_CLIENT_SECRET: z.string().min(1).optional().describe('Client secret of pdx at the OpenID Connect provider (client_secret_post).'),
  PDX_OIDC_SCOPE: z
    .string()
    .min(1)
    .default('openid profile')
    .describe('Scopes pdx asks the provider for; include the ones that release the organisation and group claims.'),
  PDX_OIDC_CLAIMS: z
    .string()
    .optional()
    .describe(
      'How claims map to a pdx account, JSON: {"orgClaim":"uscc","orgBy":"uscc|org_code|name","rolesClaim":"groups","roles":{"group":["data_officer"|"consumer"]},"defaultRoles":[],"autoApprove":false|true|["group"],"usernameClaim":"preferred_username","nameClaim":"name"} (all optional; these are the defaults). sysadmin, secadmin and auditor are refused: 三员 stay local.',
    ),
  PDX_ADMIN_PASSWORD: z.string().optional().describe('First start only: password of the sysadmin account (default: generated, printed once).'),
  PDX_SECADMIN_PASSWORD: z.string().optional().describe('First start only: password of the secadmin account (default: generated, printed once).'),
  PDX_AUDITOR_PASSWORD: z.string().optional().describe('First start only: password of the auditor account (default: generated, printed once).'),
});

export type Config = z.infer<typeof configSchema> & {
  /** Absolute form of PDX_DATA_DIR. */
  dataDir: string;
};

/** Thrown when the environment does not satisfy the schema; the message names each bad variable. */
export class ConfigError extends Error {}

/** Reads and validates the PDX_* variables; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const parsed = configSchema
    .refine((c) => !c.PDX_TLS_CERT === !c.PDX_TLS_KEY, { path: ['PDX_TLS_KEY'], message: 'PDX_TLS_CERT and PDX_TLS_KEY go together' })
    .refine((c) => !c.PDX_TLS_CLIENT_CA || c.PDX_TLS_CERT, {
      path: ['PDX_TLS_CLIENT_CA'],
      message: 'client certificates need TLS: set PDX_TLS_CERT and PDX_TLS_KEY',
    })
    .superRefine((c, ctx) => {
      const issue = (name: string, message: string) => ctx.addIssue({ code: 'custom', path: [name], message });
      if (c.PDX_DEMO_IDP && c.PDX_OIDC_ISSUER) issue('PDX_DEMO_IDP', 'the demo identity provider replaces PDX_OIDC_ISSUER: set one of them');
      if (c.PDX_OIDC_ISSUER) {
        for (const name of ['PDX_OIDC_CLIENT_ID', 'PDX_OIDC_CLIENT_SECRET', 'PDX_PUBLIC_URL'] as const) {
          if (!c[name]) issue(name, `sign-on through PDX_OIDC_ISSUER needs ${name}`);
        }
        const issuer = new URL(c.PDX_OIDC_ISSUER);
        if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname))) {
          issue('PDX_OIDC_ISSUER', 'the provider must be reached over HTTPS (plain HTTP only on this machine)');
        }
      }
      try {
        parseClaimMapping(c.PDX_OIDC_CLAIMS);
      } catch (error) {
        issue('PDX_OIDC_CLAIMS', (error as Error).message);
      }
    })
    .safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      const description = configSchema.shape[name as keyof typeof configSchema.shape]?.description ?? '';
      // Never echo a secret back into a terminal or log.
      const shown = /PASSWORD|KEY|SECRET|TOKEN/.test(name) ? '(hidden)' : JSON.stringify(picked[name] ?? '');
      return `  ${name}=${shown}: ${issue.message}. ${description}`;
    });
    throw new ConfigError(`Invalid configuration / 配置无效:\n${lines.join('\n')}`);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.PDX_DATA_DIR) };
}

/** Rows of the configuration table: variable, default and description. */
export function describeConfig(): { name: string; default: string; description: string }[] {
  return Object.entries(configSchema.shape).map(([name, schema]) => {
    const result = schema.safeParse(undefined);
    const def = result.success && result.data !== undefined ? String(result.data) : '';
    return { name, default: def, description: schema.description ?? '' };
  });
}

/** The XLSX bounds of the configuration (PDX_XLSX_*). */
export function xlsxLimitsOf(config: Config): XlsxLimits {
  return {
    sharedStringsBytes: config.PDX_XLSX_MAX_SHARED_STRINGS_BYTES,
    sharedStrings: config.PDX_XLSX_MAX_SHARED_STRINGS,
    sheetBytes: config.PDX_XLSX_MAX_UNZIPPED_BYTES,
  };
}
