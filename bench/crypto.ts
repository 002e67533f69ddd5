/**
 * Field encryption and masking throughput. pdx's FieldCipher (self-describing text ciphertexts) for
 * both suites against a raw node:crypto loop over the same values in the same run (cipher + tag
 * only, no header or text encoding), blind indexes and pseudonyms against a raw HMAC loop, and the
 * masking conventions against a naive slice-and-star mask of the same values.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { migrate } from '../src/db/index.ts';
import { openPglite } from '../src/db/pglite.ts';
import { blindIndexerOf } from '../src/modules/protect/blind-index.ts';
import { openKeyring } from '../src/modules/protect/keyring.ts';
import { applyOperator, createRowMasker, mask } from '../src/modules/protect/masking.ts';
import { pseudonymizerOf } from '../src/modules/protect/pseudonym.ts';
import { SUITE_IDS, type SuiteId } from '../src/modules/protect/suites.ts';
import { alternate, report, section } from './lib.ts';

const N = 10_000;
const ROUNDS = 5;

/** Deterministic pseudo-random values shaped like a population register. */
function makeRows(n: number) {
  let seed = 42;
  const rnd = (k: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % k;
  };
  const digits = (k: number) => Array.from({ length: k }, () => rnd(10)).join('');
  const han = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华';
  return Array.from({ length: n }, () => ({
    id_card: `2101${digits(13)}${rnd(11) === 10 ? 'X' : rnd(10)}`,
    mobile: `13${digits(9)}`,
    name: `${'张王李赵欧阳'[rnd(5)]}${han[rnd(han.length)]}${rnd(2) ? han[rnd(han.length)] : ''}`,
    address: `辽宁省沈阳市和平区三好街${rnd(200)}号${rnd(30)}栋${rnd(6)}单元${rnd(30)}0${rnd(4)}室`,
    birth: `19${digits(2)}-0${1 + rnd(9)}-1${rnd(9)}`,
  }));
}

function rawEncrypt(suite: SuiteId, key: Buffer, macKey: Buffer, value: string): Buffer {
  const plain = Buffer.from(value);
  if (suite === 'aes') {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([iv, body, c.getAuthTag()]);
  }
  const iv = randomBytes(16);
  const c = createCipheriv('sm4-ctr', key.subarray(0, 16), iv);
  const body = Buffer.concat([iv, c.update(plain), c.final()]);
  return Buffer.concat([body, createHmac('sm3', macKey).update(body).digest().subarray(0, 16)]);
}

function rawDecrypt(suite: SuiteId, key: Buffer, macKey: Buffer, ct: Buffer): string {
  if (suite === 'aes') {
    const d = createDecipheriv('aes-256-gcm', key, ct.subarray(0, 12));
    d.setAuthTag(ct.subarray(ct.length - 16));
    return Buffer.concat([d.update(ct.subarray(12, ct.length - 16)), d.final()]).toString();
  }
  const body = ct.subarray(0, ct.length - 16);
  const tag = createHmac('sm3', macKey).update(body).digest().subarray(0, 16);
  if (!tag.equals(ct.subarray(ct.length - 16))) throw new Error('bad tag');
  const d = createDecipheriv('sm4-ctr', key.subarray(0, 16), ct.subarray(0, 16));
  return Buffer.concat([d.update(ct.subarray(16, ct.length - 16)), d.final()]).toString();
}

export default async function run(): Promise<void> {
  const rows = makeRows(N);
  const values = rows.flatMap((r) => [r.id_card, r.mobile, r.name, r.address]);
  const bytes = values.reduce((sum, v) => sum + Buffer.byteLength(v), 0);
  const size = `${values.length.toLocaleString('en-US')} values, avg ${(bytes / values.length).toFixed(1)} B (IDs, mobiles, names, addresses)`;
  const perSecond = (r: { value: number; baseline: number }) => ({ value: r.value * values.length, baseline: r.baseline * values.length });

  const db = await openPglite();
  await migrate(db);
  const master = randomBytes(32);
  const rawKey = randomBytes(32);
  const rawMac = randomBytes(32);

  for (const suite of SUITE_IDS) {
    section(`field encryption, suite ${suite}`);
    const keyring = await openKeyring(db, { masterKey: master, suite });
    const datasetId = suite === 'aes' ? '11111111-1111-4111-8111-111111111111' : '22222222-2222-4222-8222-222222222222';
    const cipher = await keyring.fieldCipher(datasetId);
    let encrypted: string[] = [];
    let rawEncrypted: Buffer[] = [];
    const enc = await alternate(
      ROUNDS,
      3,
      () => {
        encrypted = values.map(cipher.encrypt);
      },
      () => {
        rawEncrypted = values.map((v) => rawEncrypt(suite, rawKey, rawMac, v));
      },
    );
    report({ name: `encrypt (${suite}, FieldCipher)`, size, unit: 'values/s', ...perSecond(enc), baselineName: 'raw crypto', higherIsBetter: true });
    const dec = await alternate(
      ROUNDS,
      3,
      () => encrypted.map(cipher.decrypt),
      () => rawEncrypted.map((c) => rawDecrypt(suite, rawKey, rawMac, c)),
    );
    report({ name: `decrypt (${suite}, FieldCipher)`, size, unit: 'values/s', ...perSecond(dec), baselineName: 'raw crypto', higherIsBetter: true });
    const avgCt = encrypted.reduce((s, c) => s + c.length, 0) / encrypted.length;
    console.log(`  ciphertext text form: avg ${avgCt.toFixed(1)} chars for avg ${(bytes / values.length).toFixed(1)} plaintext bytes`);

    const keys = await keyring.datasetKeys(datasetId);
    const bi = blindIndexerOf(keys);
    const digest = suite === 'aes' ? 'sha256' : 'sm3';
    const ids = rows.map((r) => r.id_card);
    const biRun = await alternate(
      ROUNDS,
      3,
      () => ids.map((v) => bi.index(v, 'cn_resident_id')),
      () => ids.map((v) => createHmac(digest, rawMac).update(v).digest('base64url')),
    );
    const idSize = `${ids.length.toLocaleString('en-US')} resident IDs`;
    report({ name: `blind index (${suite})`, size: idSize, unit: 'values/s', value: biRun.value * ids.length, baseline: biRun.baseline * ids.length, baselineName: 'raw HMAC', higherIsBetter: true });
    const ps = pseudonymizerOf(keys, 'consumer-org');
    const psRun = await alternate(
      ROUNDS,
      3,
      () => ids.map((v) => ps(v, 'cn_resident_id')),
      () => ids.map((v) => createHmac(digest, rawMac).update(v).digest('base64url')),
    );
    report({ name: `pseudonym (${suite})`, size: idSize, unit: 'values/s', value: psRun.value * ids.length, baseline: psRun.baseline * ids.length, baselineName: 'raw HMAC', higherIsBetter: true });
  }
  await db.close();

  section('masking');
  const naive = (v: string) => v.slice(0, 3) + '*'.repeat(Math.max(0, v.length - 7)) + v.slice(-4);
  const rowSize = `${N.toLocaleString('en-US')} values`;
  for (const [type, column] of [
    ['cn_resident_id', 'id_card'],
    ['cn_mobile', 'mobile'],
    ['person_name', 'name'],
    ['address', 'address'],
    ['date_of_birth', 'birth'],
  ] as const) {
    const column_ = rows.map((r) => r[column]);
    const m = await alternate(ROUNDS, 5, () => column_.map((v) => mask(type, v)), () => column_.map(naive));
    report({ name: `mask ${type}`, size: rowSize, unit: 'values/s', value: m.value * N, baseline: m.baseline * N, baselineName: 'naive slice mask', higherIsBetter: true });
  }
  const generalized = await alternate(ROUNDS, 5, () => rows.map((r) => applyOperator('generalized', r.birth, { type: 'date_of_birth' })), () => rows.map((r) => r.birth.slice(0, 4)));
  report({ name: 'generalized date_of_birth', size: rowSize, unit: 'values/s', value: generalized.value * N, baseline: generalized.baseline * N, baselineName: 'naive slice', higherIsBetter: true });
  const masker = createRowMasker([
    { name: 'id_card', type: 'cn_resident_id', operator: 'masked' },
    { name: 'mobile', type: 'cn_mobile', operator: 'masked' },
    { name: 'name', type: 'person_name', operator: 'masked' },
    { name: 'address', type: 'address', operator: 'hidden' },
    { name: 'birth', type: 'date_of_birth', operator: 'generalized' },
  ]);
  const rowRun = await alternate(
    ROUNDS,
    5,
    () => rows.map(masker.apply),
    () => rows.map((r) => ({ id_card: naive(r.id_card), mobile: naive(r.mobile), name: naive(r.name), birth: r.birth.slice(0, 4) })),
  );
  report({ name: 'row masker (5 columns)', size: `${N.toLocaleString('en-US')} rows × 5 columns`, unit: 'rows/s', value: rowRun.value * N, baseline: rowRun.baseline * N, baselineName: 'naive per-column slices', higherIsBetter: true });
}
