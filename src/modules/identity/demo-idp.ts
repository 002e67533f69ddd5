/**
 * 演示身份认证 — the bundled DEMO identity provider (PDX_DEMO_IDP=true), so 统一身份认证登录 works on a
 * laptop without the province's provider. It is the certified `oidc-provider` package run in this
 * process on its own local port, with a fresh signing key per start, one client (pdx) and a few demo
 * people of organisations already on the platform (the demo world's). Its sign-in page lists them:
 * no password is asked. Never a substitute for a real provider: it is labelled as a demo on its page,
 * on pdx's sign-in page and in the start output.
 */
import http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import { loadOidcProvider } from '../../heavy.ts';
import type { Db } from '../../db/index.ts';
import type { ClaimMapping } from './claims.ts';
import type { OidcOptions } from './oidc.ts';
import { signonRepo } from './signon.repo.ts';

/** The provider's port when free (else any free port). */
const PREFERRED_PORT = 18719;
const CLIENT_ID = 'pdx-demo';

/** Groups at the demo provider and the pdx roles they map to. */
const DEMO_MAPPING: ClaimMapping = {
  orgClaim: 'uscc',
  orgBy: 'uscc',
  rolesClaim: 'groups',
  roles: { shuju: ['data_officer'], yingyong: ['consumer'] },
  defaultRoles: [],
  // Officers come in at once; a consumer's first sign-in waits for the sysadmin (shows that step too).
  autoApprove: ['shuju'],
  usernameClaim: 'preferred_username',
  nameClaim: 'name',
};

/** Demo people, given out to the platform's organisations in turn. */
const NAMES = [
  { sub: 'zhangwei', name: '张伟', group: 'shuju', role: '数据管理员' },
  { sub: 'liqiang', name: '李强', group: 'yingyong', role: '数据使用人' },
  { sub: 'wangfang', name: '王芳', group: 'shuju', role: '数据管理员' },
  { sub: 'liuyang', name: '刘洋', group: 'yingyong', role: '数据使用人' },
] as const;

export interface DemoPerson {
  sub: string;
  name: string;
  org: string;
  role: string;
  claims: Record<string, unknown>;
}

export interface DemoIdp {
  issuer: string;
  /** What pdx's OpenID Connect client is configured with (`oidc.configure`). */
  options: OidcOptions;
  people: DemoPerson[];
  stop(): Promise<void>;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;max-width:560px;margin:40px auto;color:#222}.demo{background:#fff1b8;border:1px solid #faad14;padding:8px 12px;border-radius:4px}
button{display:block;width:100%;margin:8px 0;padding:10px;font-size:15px;text-align:left;cursor:pointer}</style></head>
<body><p class="demo"><b>演示身份认证 DEMO</b> — 非正式身份认证平台,仅供演示 / a demo identity provider, not the province's</p>${body}</body></html>`;
}

/** The people of the demo: up to four, one per organisation with a 统一社会信用代码 (authority excluded). */
async function demoPeople(db: Db): Promise<DemoPerson[]> {
  const orgs = await signonRepo(db).demoOrgs(NAMES.length);
  return orgs.map((org, i) => {
    const who = NAMES[i]!;
    return {
      sub: who.sub,
      name: who.name,
      org: org.name,
      role: who.role,
      claims: { preferred_username: who.sub, name: who.name, uscc: org.uscc, groups: [who.group] },
    };
  });
}

async function listen(server: http.Server, host: string): Promise<number> {
  for (const port of [PREFERRED_PORT, 0]) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return (server.address() as AddressInfo).port;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE' || port === 0) throw error;
    }
  }
  throw new Error('unreachable');
}

/** Starts the demo provider on 127.0.0.1; pdx at `publicUrl` is its one client. */
export async function startDemoIdp(deps: { db: Db; publicUrl: string }): Promise<DemoIdp> {
  const people = await demoPeople(deps.db);
  const bySub = new Map(people.map((p) => [p.sub, p]));
  const publicUrl = deps.publicUrl.replace(/\/+$/, '');
  const clientSecret = randomBytes(24).toString('base64url');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const server = http.createServer();
  const port = await listen(server, '127.0.0.1');
  const issuer = `http://127.0.0.1:${port}`;

  const Provider = await loadOidcProvider();
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: clientSecret,
        redirect_uris: [`${publicUrl}/api/v1/auth/sso/callback`],
        post_logout_redirect_uris: [`${publicUrl}/`],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [{ ...(privateKey.export({ format: 'jwk' }) as object), kid: `demo-${Date.now()}`, use: 'sig', alg: 'RS256' }] } as never,
    claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'uscc', 'groups'] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    findAccount: ((_ctx, sub) => {
      const person = bySub.get(sub);
      return person ? { accountId: sub, claims: () => ({ sub, ...person.claims }) } : undefined;
    }) as FindAccount,
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // pdx is the demo's own client: consent is implied (no consent page).
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  });
  const callback = provider.callback();

  /** The sign-in page: the demo people as buttons; choosing one signs in as that person. */
  async function interaction(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { uid } = await provider.interactionDetails(req, res);
    if (req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += (chunk as Buffer).toString('utf8');
      const sub = new URLSearchParams(body).get('login') ?? '';
      if (!bySub.has(sub)) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        return void res.end('unknown demo person / 无此演示用户');
      }
      return provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
    }
    const buttons = people
      .map(
        (p) =>
          `<button name="login" value="${escape(p.sub)}">${escape(p.name)}(${escape(p.org)} · ${escape(p.role)})<br><small>${escape(p.sub)}</small></button>`,
      )
      .join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(
      page(
        '演示身份认证 DEMO',
        `<h2>选择演示用户登录 / Sign in as a demo person</h2><form method="post" action="/interaction/${escape(uid)}">${buttons || '<p>平台上尚无带统一社会信用代码的单位 / no organisation with a 统一社会信用代码 yet</p>'}</form>`,
      ),
    );
  }

  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`sign-in request expired or unknown / 登录请求已失效: ${(error as Error).message}`);
      });
      return;
    }
    void callback(req, res);
  });

  return {
    issuer,
    people,
    options: { issuer, clientId: CLIENT_ID, clientSecret, publicUrl, mapping: DEMO_MAPPING, scope: 'openid profile', demo: true },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
