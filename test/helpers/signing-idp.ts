/**
 * A small OpenID Connect provider for tests that need it to misbehave on purpose (the certified
 * `oidc-provider` package signs only correct tokens): discovery, an authorization endpoint that
 * answers at once for the person the test names, a token endpoint that checks the code (once),
 * PKCE and the client secret, and a JWKS it can rotate. Each ID token can be tampered with: signed
 * by a key it does not publish, expired, for another audience or issuer, with another nonce.
 */
import http from 'node:http';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

function newKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' } };
}

const b64u = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/** How the next ID token goes wrong (nothing: a correct token). */
export interface Tamper {
  /** Signed by a key the provider does not publish, under the kid of the published one (a forgery)… */
  forge?: boolean;
  /** …or under a kid the provider does not publish. */
  unknownKey?: boolean;
  /** Changes to the claims after they are made (exp, aud, iss, nonce…). */
  claims?: (claims: Record<string, unknown>) => void;
}

export interface SigningIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who signs in at the next authorization request, with what claims. */
  person: { sub: string; claims: Record<string, unknown> };
  /** What goes wrong with ID tokens until reset (undefined: nothing). */
  tamper: Tamper | undefined;
  /** Publishes a new signing key and signs with it from now on (the old one is withdrawn). */
  rotate(): string;
  /** The kid tokens are signed with now. */
  kid(): string;
  close(): Promise<void>;
}

export async function startSigningIdp(): Promise<SigningIdp> {
  let key = newKey('k1');
  const outsider = newKey('rogue');
  let keys = 1;
  const codes = new Map<string, { nonce: string; challenge: string; redirectUri: string; sub: string; claims: Record<string, unknown>; used: boolean }>();
  const clientSecret = randomBytes(24).toString('base64url');

  const idp: SigningIdp = {
    issuer: '',
    clientId: 'pdx',
    clientSecret,
    person: { sub: 'nobody', claims: {} },
    tamper: undefined,
    rotate() {
      keys += 1;
      key = newKey(`k${keys}`);
      return key.kid;
    },
    kid: () => key.kid,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };

  function idToken(grant: { nonce: string; sub: string; claims: Record<string, unknown> }): string {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: idp.issuer,
      sub: grant.sub,
      aud: idp.clientId,
      iat: now,
      exp: now + 300,
      nonce: grant.nonce,
      ...grant.claims,
    };
    idp.tamper?.claims?.(claims);
    const signer = idp.tamper?.forge || idp.tamper?.unknownKey ? outsider : key;
    const header = { alg: 'RS256', typ: 'JWT', kid: idp.tamper?.unknownKey ? outsider.kid : key.kid };
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
    return `${input}.${b64u(sign('sha256', Buffer.from(input), signer.privateKey))}`;
  }

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', idp.issuer);
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer: idp.issuer,
        authorization_endpoint: `${idp.issuer}/authorize`,
        token_endpoint: `${idp.issuer}/token`,
        jwks_uri: `${idp.issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      });
    }
    if (url.pathname === '/jwks') return json(res, 200, { keys: [key.publicJwk] });
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      const code = randomBytes(16).toString('base64url');
      codes.set(code, {
        nonce: q.get('nonce') ?? '',
        challenge: q.get('code_challenge') ?? '',
        redirectUri: q.get('redirect_uri') ?? '',
        sub: idp.person.sub,
        claims: idp.person.claims,
        used: false,
      });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        const [id, secret] = basic
          ? Buffer.from(basic, 'base64').toString('utf8').split(':').map(decodeURIComponent)
          : [form.get('client_id'), form.get('client_secret')];
        if (id !== idp.clientId || secret !== clientSecret) return json(res, 401, { error: 'invalid_client' });
        const grant = codes.get(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        if (
          !grant ||
          grant.used ||
          grant.redirectUri !== form.get('redirect_uri') ||
          b64u(createHash('sha256').update(verifier).digest()) !== grant.challenge
        ) {
          return json(res, 400, {
            error: 'invalid_grant',
            error_description: grant?.used ? 'code already used' : 'code, redirect URI or verifier do not match',
          });
        }
        grant.used = true;
        return json(res, 200, { access_token: randomBytes(16).toString('base64url'), token_type: 'Bearer', expires_in: 300, id_token: idToken(grant) });
      });
      return;
    }
    json(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  idp.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return idp;
}
