import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../../test/helpers/db.ts';
import { MasterKeyConfigError, MasterKeyMismatchError } from './errors.ts';
import { createProtectModule } from './protect.module.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-protect-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeEachBackend('protection module start-up', ({ use }) => {
  it('generates a key in embedded mode, then refuses a different key for the same database', async () => {
    const { db } = use();
    const dataDir = path.join(dir, String(Math.random()).slice(2));
    const first = await createProtectModule({ db, config: { dataDir, PDX_CRYPTO: 'gm' } });
    expect(first.masterKey.source).toBe('generated');
    expect(first.warning).toContain(path.join(dataDir, 'master.key'));
    expect(first.keyring.suite).toBe('gm');
    const again = await createProtectModule({ db, config: { dataDir } });
    expect(again.warning).toBeUndefined();
    expect(again.keyring.suite).toBe('aes');
    await expect(createProtectModule({ db, config: { dataDir, PDX_MASTER_KEY: randomBytes(32).toString('base64') } })).rejects.toThrow(MasterKeyMismatchError);
  });

  it('requires a key when a database server is configured', async () => {
    const { db } = use();
    await expect(createProtectModule({ db, config: { dataDir: dir, PDX_DATABASE_URL: 'postgres://x/y' } })).rejects.toThrow(MasterKeyConfigError);
    await expect(createProtectModule({ db, config: { dataDir: dir, PDX_CRYPTO: 'des' } })).rejects.toThrow(/unknown crypto suite/);
  });
});
