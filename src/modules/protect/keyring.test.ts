import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../../test/helpers/db.ts';
import { one } from '../../db/index.ts';
import { blindIndexer } from './blind-index.ts';
import { CiphertextError, MasterKeyConfigError, MasterKeyMismatchError, UnknownKeyVersionError } from './errors.ts';
import { Keyring, listKeyVersions, loadMasterKey, newDataKeyVersion, openKeyring, PLATFORM_SCOPE, rotateMaster, verifyMasterKey } from './keyring.ts';
import { pseudonymizer } from './pseudonym.ts';

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-keys-'));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('master key loading', () => {
  it('generates a key into the data directory with mode 0600 in embedded mode, and warns to back it up', () => {
    const dataDir = path.join(tmpDir(), 'data');
    const first = loadMasterKey({ dataDir, embedded: true });
    const file = path.join(dataDir, 'master.key');
    expect(first.source).toBe('generated');
    expect(first.key).toHaveLength(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(first.warning).toContain(file);
    expect(first.warning).toMatch(/back it up/i);
    expect(first.warning).toContain('备份');
    const again = loadMasterKey({ dataDir, embedded: true });
    expect(again.source).toBe('data-dir');
    expect(again.key.equals(first.key)).toBe(true);
    expect(again.warning).toBeUndefined();
  });

  it('refuses to run a server deployment without a master key', () => {
    const dataDir = tmpDir();
    expect(() => loadMasterKey({ dataDir, embedded: false })).toThrow(MasterKeyConfigError);
    expect(() => loadMasterKey({ dataDir, embedded: false })).toThrow(/PDX_MASTER_KEY/);
    expect(fs.existsSync(path.join(dataDir, 'master.key'))).toBe(false);
  });

  it('reads PDX_MASTER_KEY and refuses anything but 32 bytes of base64', () => {
    const key = randomBytes(32);
    expect(loadMasterKey({ masterKey: key.toString('base64'), dataDir: '/nonexistent', embedded: false }).key.equals(key)).toBe(true);
    for (const bad of ['', 'not base64!', randomBytes(16).toString('base64'), randomBytes(33).toString('base64')]) {
      expect(() => loadMasterKey({ masterKey: bad, dataDir: '/nonexistent', embedded: true }), bad).toThrow(MasterKeyConfigError);
    }
  });

  it('reads PDX_MASTER_KEY_FILE as base64 text or raw bytes and warns about loose permissions', () => {
    const dir = tmpDir();
    const key = randomBytes(32);
    const text = path.join(dir, 'text.key');
    fs.writeFileSync(text, `${key.toString('base64')}\n`, { mode: 0o600 });
    const raw = path.join(dir, 'raw.key');
    fs.writeFileSync(raw, key, { mode: 0o644 });
    fs.chmodSync(raw, 0o644);
    const fromText = loadMasterKey({ masterKeyFile: text, dataDir: dir, embedded: false });
    expect(fromText.key.equals(key)).toBe(true);
    expect(fromText.warning).toBeUndefined();
    const fromRaw = loadMasterKey({ masterKeyFile: raw, dataDir: dir, embedded: false });
    expect(fromRaw.key.equals(key)).toBe(true);
    expect(fromRaw.warning).toContain('chmod 600');
    expect(() => loadMasterKey({ masterKeyFile: path.join(dir, 'missing'), dataDir: dir, embedded: true })).toThrow(MasterKeyConfigError);
    expect(() => loadMasterKey({ masterKey: key.toString('base64'), masterKeyFile: text, dataDir: dir, embedded: true })).toThrow(MasterKeyConfigError);
  });
});

describeEachBackend('keyring', ({ use }) => {
  const master = randomBytes(32);

  it('records the key check on first open and refuses a different master key with a clear message', async () => {
    const { db } = use();
    const keyring = await openKeyring(db, { masterKey: master, suite: 'aes' });
    await verifyMasterKey(db, keyring);
    const wrong = openKeyring(db, { masterKey: randomBytes(32), suite: 'aes' });
    await expect(wrong).rejects.toThrow(MasterKeyMismatchError);
    await expect(openKeyring(db, { masterKey: randomBytes(32), suite: 'gm' })).rejects.toThrow(/master key does not match this database/i);
    const error = await openKeyring(db, { masterKey: randomBytes(32), suite: 'aes' }).catch((e: unknown) => e);
    expect((error as MasterKeyMismatchError).text.zh).toContain('主密钥与此数据库不匹配');
  });

  it('encrypts fields with both suites and stores data keys only wrapped', async () => {
    const { db } = use();
    for (const suite of ['aes', 'gm'] as const) {
      const keyring = await openKeyring(db, { masterKey: master, suite });
      const datasetId = randomUUID();
      const cipher = await keyring.fieldCipher(datasetId);
      expect(cipher).toMatchObject({ datasetId, version: 1, suite });
      const values = ['21010219870615123X', '', '辽宁省沈阳市和平区三好街88号', 'a'.repeat(5000)];
      const encrypted = values.map(cipher.encrypt);
      for (const ct of encrypted) expect(ct.startsWith(cipher.currentPrefix)).toBe(true);
      expect(encrypted.map(cipher.decrypt)).toEqual(values);
      // A fresh keyring (nothing cached) unwraps the stored key and reads the same values.
      const fresh = await (await openKeyring(db, { masterKey: master, suite: 'aes' })).fieldCipher(datasetId);
      expect(encrypted.map(fresh.decrypt)).toEqual(values);
      const row = await one<{ suite: string; wrapped_key: Buffer; state: string }>(
        db,
        'SELECT suite, wrapped_key, state FROM data_keys WHERE dataset_id = $1',
        [datasetId],
      );
      expect(row).toMatchObject({ suite, state: 'active' });
      // suite+version (3) + nonce + 32-byte key + tag (16): a wrapped key, never the bare 32 bytes.
      expect(row.wrapped_key).toHaveLength(3 + (suite === 'aes' ? 12 : 16) + 32 + 16);
    }
  });

  it('agrees on one first key when many callers start a dataset at once', async () => {
    const { db } = use();
    const datasetId = randomUUID();
    const keyrings = await Promise.all([1, 2, 3].map(() => openKeyring(db, { masterKey: master, suite: 'aes' })));
    const ciphers = await Promise.all(keyrings.flatMap((k) => [k.fieldCipher(datasetId), k.fieldCipher(datasetId)]));
    const ct = ciphers[0]!.encrypt('x');
    for (const c of ciphers) expect(c.decrypt(ct)).toBe('x');
    expect((await listKeyVersions(db)).filter((k) => k.dataset_id === datasetId)).toHaveLength(1);
  });

  it('rotates a data key: old values stay readable and re-encrypt to the new version', async () => {
    const { db } = use();
    const keyring = await openKeyring(db, { masterKey: master, suite: 'aes' });
    const datasetId = randomUUID();
    const v1 = await keyring.fieldCipher(datasetId);
    const oldValues = ['13812345678', '13900001111'].map(v1.encrypt);
    // The platform's suite changed to gm since: the new version moves the dataset to SM4.
    const gmKeyring = await openKeyring(db, { masterKey: master, suite: 'gm' });
    expect(await newDataKeyVersion(db, gmKeyring, datasetId)).toBe(2);
    const v2 = await keyring.fieldCipher(datasetId);
    expect(v2).toMatchObject({ version: 2, suite: 'gm' });
    expect(oldValues.map(v2.decrypt)).toEqual(['13812345678', '13900001111']);
    const moved = oldValues.map((ct) => v2.reencrypt(ct));
    expect(moved.every((ct) => ct !== null && ct.startsWith(v2.currentPrefix))).toBe(true);
    expect(moved.map((ct) => v2.versionOf(ct!))).toEqual([2, 2]);
    expect(moved.map((ct) => v2.decrypt(ct!))).toEqual(['13812345678', '13900001111']);
    expect(v2.reencrypt(moved[0]!)).toBeNull();
    // A cipher taken before the rotation does not know version 2: a typed error, not garbage.
    expect(() => v1.decrypt(moved[0]!)).toThrow(UnknownKeyVersionError);
    const versions = (await listKeyVersions(db)).filter((k) => k.dataset_id === datasetId);
    expect(versions.map((k) => [k.version, k.state, k.suite])).toEqual([
      [1, 'retired', 'aes'],
      [2, 'active', 'gm'],
    ]);
    expect(await newDataKeyVersion(db, keyring, datasetId)).toBe(3);
  });

  it('detects a tampered field value', async () => {
    const { db } = use();
    const keyring = await openKeyring(db, { masterKey: master, suite: 'gm' });
    const cipher = await keyring.fieldCipher(randomUUID());
    const ct = cipher.encrypt('张三');
    const flipped = ct.slice(0, 10) + (ct[10] === 'A' ? 'B' : 'A') + ct.slice(11);
    expect(() => cipher.decrypt(flipped)).toThrow(CiphertextError);
    expect(() => cipher.reencrypt(flipped)).toThrow(CiphertextError);
    // Another dataset's key cannot open it either.
    const other = await keyring.fieldCipher(randomUUID());
    expect(() => other.decrypt(ct)).toThrow(CiphertextError);
  });

  it('seals platform secrets under the platform scope', async () => {
    const { db } = use();
    const keyring = await openKeyring(db, { masterKey: master, suite: 'aes' });
    const sealed = keyring.seal(Buffer.from('ed25519 private key'));
    expect(keyring.unseal(sealed).toString()).toBe('ed25519 private key');
    sealed[sealed.length - 1]! ^= 1;
    expect(() => keyring.unseal(sealed)).toThrow(CiphertextError);
    expect((await listKeyVersions(db)).some((k) => k.dataset_id === PLATFORM_SCOPE)).toBe(true);
  });

  it('indexes encrypted identifiers so equality lookups work without decrypting', async () => {
    const { db } = use();
    const keyring = await openKeyring(db, { masterKey: master, suite: 'aes' });
    const datasetId = randomUUID();
    const cipher = await keyring.fieldCipher(datasetId);
    const bi = await blindIndexer(keyring, datasetId);
    await db.query('CREATE TABLE bi_people (id int, id_card text, id_card_bi text)');
    const ids = ['21010219870615123X', '11010519491231002X', '110105194912310021'];
    for (const [i, id] of ids.entries()) {
      await db.query('INSERT INTO bi_people VALUES ($1, $2, $3)', [i, cipher.encrypt(id), bi.index(id, 'cn_resident_id')]);
    }
    // Lower-case x, spaces and full-width digits normalise to the stored form.
    const probe = ' １１０１０５１９４９１２３１００２x ';
    const found = await db.query<{ id: number; id_card: string }>('SELECT id, id_card FROM bi_people WHERE id_card_bi = ANY($1)', [
      bi.terms(probe, 'cn_resident_id'),
    ]);
    expect(found.map((r) => r.id)).toEqual([1]);
    expect(cipher.decrypt(found[0]!.id_card)).toBe('11010519491231002X');
    expect(bi.index('210102198706151234', 'cn_resident_id')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // Per dataset: another dataset indexes the same value differently.
    const other = await blindIndexer(keyring, randomUUID());
    expect(other.index(ids[0]!, 'cn_resident_id')).not.toBe(bi.index(ids[0]!, 'cn_resident_id'));
    // During a rotation a lookup matches rows indexed under either version.
    await newDataKeyVersion(db, keyring, datasetId);
    const rotated = await blindIndexer(keyring, datasetId);
    expect(rotated.terms(ids[0]!, 'cn_resident_id')).toContain(bi.index(ids[0]!, 'cn_resident_id'));
    expect(rotated.index(ids[0]!, 'cn_resident_id')).not.toBe(bi.index(ids[0]!, 'cn_resident_id'));
  });

  it('pseudonymises stably for one consumer and unlinkably between two', async () => {
    const { db } = use();
    const keyring = await openKeyring(db, { masterKey: master, suite: 'gm' });
    const datasetId = randomUUID();
    const orgA = randomUUID();
    const a = await pseudonymizer(keyring, datasetId, orgA);
    const a2 = await pseudonymizer(await openKeyring(db, { masterKey: master, suite: 'aes' }), datasetId, orgA);
    const b = await pseudonymizer(keyring, datasetId, randomUUID());
    const token = a('13812345678', 'cn_mobile');
    expect(token).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(a2('+86 138-1234-5678', 'cn_mobile')).toBe(token);
    expect(b('13812345678', 'cn_mobile')).not.toBe(token);
    expect(a('13812345679', 'cn_mobile')).not.toBe(token);
  });
});

describeEachBackend('master key rotation', ({ use }) => {
  let currentMaster = randomBytes(32);

  async function wrappedKeys(db: ReturnType<typeof use>['db']) {
    return db.query<{ dataset_id: string; version: number; wrapped_key: Buffer }>(
      'SELECT dataset_id, version, wrapped_key FROM data_keys ORDER BY dataset_id, version',
    );
  }

  it('re-wraps every data key in one transaction; afterwards only the new key opens the database', async () => {
    const { db } = use();
    const oldMaster = currentMaster;
    const oldKeyring = await openKeyring(db, { masterKey: oldMaster, suite: 'aes' });
    const datasets = [randomUUID(), randomUUID()];
    const ciphers = await Promise.all(datasets.map((d) => oldKeyring.fieldCipher(d)));
    const values = ciphers.map((c, i) => c.encrypt(`value ${i}`));
    await newDataKeyVersion(db, oldKeyring, datasets[0]!);
    const sealed = oldKeyring.seal(Buffer.from('secret'));
    const before = await wrappedKeys(db);

    const newMaster = randomBytes(32);
    const { keyring, rewrapped } = await rotateMaster(db, oldKeyring, newMaster);
    currentMaster = newMaster;
    expect(rewrapped).toBe(4); // two datasets, one with two versions, and the platform scope
    const after = await wrappedKeys(db);
    expect(after.map((r) => [r.dataset_id, r.version])).toEqual(before.map((r) => [r.dataset_id, r.version]));
    after.forEach((r, i) => expect(r.wrapped_key.equals(before[i]!.wrapped_key)).toBe(false));
    await expect(openKeyring(db, { masterKey: oldMaster, suite: 'aes' })).rejects.toThrow(MasterKeyMismatchError);
    const reopened = await openKeyring(db, { masterKey: newMaster, suite: 'aes' });
    for (const [i, d] of datasets.entries()) expect((await reopened.fieldCipher(d)).decrypt(values[i]!)).toBe(`value ${i}`);
    expect(reopened.unseal(sealed).toString()).toBe('secret');
    expect(keyring.unseal(sealed).toString()).toBe('secret');
    // A process still holding the old key (started before the rotation) can read but no longer wrap new keys.
    await expect(oldKeyring.fieldCipher(randomUUID())).rejects.toThrow(MasterKeyMismatchError);
    await expect(newDataKeyVersion(db, oldKeyring, datasets[1]!)).rejects.toThrow(MasterKeyMismatchError);
    expect(ciphers[1]!.decrypt(values[1]!)).toBe('value 1');
  });

  it('changes nothing when the old key is wrong', async () => {
    const { db } = use();
    const before = await wrappedKeys(db);
    await expect(rotateMaster(db, new Keyring(db, randomBytes(32), 'aes'), randomBytes(32))).rejects.toThrow(MasterKeyMismatchError);
    expect(await wrappedKeys(db)).toEqual(before);
    await openKeyring(db, { masterKey: currentMaster, suite: 'aes' });
  });

  it('rolls back every re-wrap when one data key cannot be unwrapped', async () => {
    const { db } = use();
    const keyring = await openKeyring(db, { masterKey: currentMaster, suite: 'aes' });
    const last = 'ffffffff-ffff-4fff-bfff-ffffffffffff'; // sorts after every other dataset: re-wrapped last
    await keyring.fieldCipher(last);
    const [row] = await db.query<{ wrapped_key: Buffer }>('SELECT wrapped_key FROM data_keys WHERE dataset_id = $1', [last]);
    const damaged = Buffer.from(row!.wrapped_key);
    damaged[damaged.length - 1]! ^= 1;
    await db.query('UPDATE data_keys SET wrapped_key = $2 WHERE dataset_id = $1', [last, damaged]);
    const before = await wrappedKeys(db);
    expect(before.length).toBeGreaterThan(2);

    await expect(rotateMaster(db, keyring, randomBytes(32))).rejects.toThrow(CiphertextError);
    expect(await wrappedKeys(db)).toEqual(before);
    await openKeyring(db, { masterKey: currentMaster, suite: 'aes' });
  });
});
