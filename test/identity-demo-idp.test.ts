/**
 * The bundled demo identity provider (PDX_DEMO_IDP, issue 21): started for a platform with an
 * organisation, it offers that organisation's demo people on its own (labelled) page, and choosing one
 * signs into pdx through the same OpenID Connect flow as a real provider.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from './helpers/db.ts';
import { ADMIN_PASSWORDS, startTestApp, type TestApp } from './helpers/api.ts';
import { makeUscc } from '../src/modules/identity/codes.ts';
import { startDemoIdp, type DemoIdp } from '../src/modules/identity/demo-idp.ts';

const PDX = 'http://pdx.test';

describeEachBackend('identity: the demo identity provider', ({ use }) => {
  let t: TestApp;
  let idp: DemoIdp;

  beforeAll(async () => {
    t = await startTestApp(use().db, { PDX_PUBLIC_URL: PDX });
    const admin = await t.login('sysadmin', ADMIN_PASSWORDS.sysadmin);
    const org = await admin.call('POST', '/api/v1/orgs', {
      name: '朝阳市民政局',
      type: 'department',
      level: 'city',
      regionCode: '211300',
      uscc: makeUscc('1', '1', '211300', 'MB2C0001'),
    });
    expect(org.statusCode, org.body).toBe(201);
    idp = await startDemoIdp({ db: t.db, publicUrl: PDX });
    t.services.oidc.configure(idp.options);
  });
  afterAll(async () => {
    await idp?.stop();
    await t?.close();
  });

  it('signs a demo person in through it: labelled page, code flow back to pdx, a session in the person’s organisation', async () => {
    expect(idp.people[0]).toMatchObject({ sub: 'zhangwei', org: '朝阳市民政局', role: '数据管理员' });
    expect((await t.anonymous.call('GET', '/api/v1/auth/options')).json()).toEqual({ sso: { enabled: true, demo: true } });

    const start = await t.anonymous.call('GET', '/api/v1/auth/sso/start');
    expect(String(start.headers.location)).toMatch(new RegExp(`^${idp.issuer}/auth\\?`));
    const ssoCookie = start.cookies.find((c) => c.name === 'pdx_sso')!.value;

    // The browser at the provider: follows redirects, keeps its cookies, picks 张伟 on the sign-in page.
    const jar = new Map<string, string>();
    const go = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(url, {
        ...init,
        redirect: 'manual',
        headers: { ...(init.headers as Record<string, string>), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const at = pair!.indexOf('=');
        jar.set(pair!.slice(0, at), pair!.slice(at + 1));
      }
      return res;
    };
    let res = await go(String(start.headers.location));
    const interaction = new URL(res.headers.get('location')!, idp.issuer).href;
    res = await go(interaction);
    const html = await res.text();
    expect(html).toContain('演示身份认证 DEMO');
    expect(html).toContain('张伟(朝阳市民政局 · 数据管理员)');
    res = await go(interaction, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'login=zhangwei' });
    let location = new URL(res.headers.get('location')!, idp.issuer).href;
    for (let hops = 0; !location.startsWith(PDX) && hops < 5; hops++) {
      res = await go(location);
      location = new URL(res.headers.get('location')!, idp.issuer).href;
    }
    expect(location.startsWith(`${PDX}/api/v1/auth/sso/callback?`), location).toBe(true);

    const back = new URL(location);
    const callback = await t.anonymous.call('GET', `${back.pathname}${back.search}`, undefined, { cookie: `pdx_sso=${ssoCookie}` });
    expect(callback.headers.location).toBe('/');
    const session = callback.cookies.find((c) => c.name === 'pdx_session')!.value;
    const me = await t.anonymous.call('GET', '/api/v1/auth/me', undefined, { cookie: `pdx_session=${session}` });
    expect(me.json()).toMatchObject({ username: 'zhangwei', roles: ['data_officer'], orgName: '朝阳市民政局' });
    expect(t.events.some((e) => e.action === 'auth.login' && e.result === 'success' && e.details?.method === 'oidc' && e.actor?.username === 'zhangwei')).toBe(
      true,
    );
  });
});
