import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from './config.ts';

describe('configuration', () => {
  it('has defaults for a laptop', () => {
    const config = loadConfig({});
    expect(config.PDX_PORT).toBe(8080);
    expect(config.PDX_DATABASE_URL).toBeUndefined();
    expect(config.dataDir.endsWith('/data')).toBe(true);
  });

  it('names every bad variable and what it expects', () => {
    expect(() => loadConfig({ PDX_PORT: 'eighty', PDX_DATABASE_URL: 'mysql://x' })).toThrow(ConfigError);
    try {
      loadConfig({ PDX_PORT: 'eighty', PDX_DATABASE_URL: 'mysql://x' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('PDX_PORT="eighty"');
      expect(message).toContain('PDX_DATABASE_URL="mysql://x"');
      expect(message).toContain('postgres://');
    }
  });

  it('requires TLS certificate and key together, and TLS for client certificates', () => {
    expect(() => loadConfig({ PDX_TLS_CERT: '/x.crt' })).toThrow(/PDX_TLS_KEY/);
    expect(() => loadConfig({ PDX_TLS_CLIENT_CA: '/ca.crt' })).toThrow(/PDX_TLS_CLIENT_CA/);
  });

  it('refuses the demo identity provider together with a real one', () => {
    expect(() =>
      loadConfig({
        PDX_DEMO_IDP: 'true',
        PDX_OIDC_ISSUER: 'https://sso.example.gov.cn',
        PDX_OIDC_CLIENT_ID: 'pdx',
        PDX_OIDC_CLIENT_SECRET: 's',
        PDX_PUBLIC_URL: 'https://pdx.example.gov.cn',
      }),
    ).toThrow(/PDX_DEMO_IDP/);
  });

  it('never echoes a secret value in its message', () => {
    expect(() => loadConfig({ PDX_CRYPTO: 'rot13', PDX_MASTER_KEY: 'c2VjcmV0' })).toThrow(/PDX_CRYPTO/);
  });

  it('documents every variable', () => {
    for (const row of describeConfig()) expect(row.description.length).toBeGreaterThan(10);
  });

  it('stops the process with the message when a value is bad', async () => {
    const run = promisify(execFile);
    const failure = await run('node', ['bin/pdx.js', 'start'], { env: { ...process.env, PDX_PORT: '99999' } }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('PDX_PORT="99999"');
  });
});
