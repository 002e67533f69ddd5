/**
 * Field encryption, blind indexes, pseudonyms and masking, each against the best straightforward
 * direct implementation of the SAME operation outside pdx, in the same process:
 *
 * - encrypt / decrypt: pdx's FieldCipher vs a plain node:crypto loop producing the same text
 *   ciphertexts (suite byte, key version, nonce, body, tag; base64url) with the same nonce handling as
 *   src/modules/protect/suites.ts — nonces taken from a 4 KiB pool refilled with randomFillSync, the
 *   output buffer allocated once at its final size, the header authenticated (GCM AAD for aes, the
 *   HMAC-SM3 input for gm). The bench checks that each side decrypts the other's ciphertexts.
 * - blind index and pseudonym: pdx vs a createHmac loop with the same derived key, normalisation and
 *   encoding; outputs checked equal.
 * - masking and generalisation: pdx's masking library vs direct per-type code (slices, a surname rule
 *   that masks two-character names, a division prefix for addresses); outputs checked equal on every
 *   value, so the baseline is a correct one for this data.
 *
 * Warm-up, then PDX_BENCH_ROUNDS alternating rounds (each side runs its batch for ≥ PDX_BENCH_BATCH_MS a round);
 * medians, the median ratio and its spread.
 *
 * Knobs: PDX_BENCH_CRYPTO_ROWS rows of generated values (default 10,000; 4 values a row are
 * encrypted), PDX_BENCH_ROUNDS (lib.ts).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { migrate } from '../src/db/index.ts';
import { openPglite } from '../src/db/pglite.ts';
import { blindIndexerOf } from '../src/modules/protect/blind-index.ts';
import { openKeyring } from '../src/modules/protect/keyring.ts';
import { mask } from '../src/lib/mask.ts';
import { applyOperator, createRowMasker } from '../src/modules/protect/masking.ts';
import { pseudonymizerOf } from '../src/modules/protect/pseudonym.ts';
import { SUITE_IDS, type SuiteId, type SuiteKeys } from '../src/modules/protect/suites.ts';
import { alternate, numberKnob, rate, report, section } from './lib.ts';

const N = numberKnob('PDX_BENCH_CRYPTO_ROWS', 10_000, 100);

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

// ---------------------------------------------------------------------------------------------
// Baselines: the same operations written directly against node:crypto

const TAG = 16;

/** The straightforward encrypt/decrypt pair of the same ciphertext format, with a nonce pool. */
function directCipher(suite: SuiteId, keys: SuiteKeys, version: number) {
  const aes = suite === 'aes';
  const nonceLength = aes ? 12 : 16;
  const headerLength = 3 + nonceLength;
  const pool = Buffer.alloc(4096);
  let offset = pool.length;
  const zeroAadLength = Buffer.alloc(4);
  const mac = (authenticated: Buffer) => createHmac('sm3', keys.macKey!).update(zeroAadLength).update(authenticated).digest();
  return {
    encrypt(value: string): string {
      const plain = Buffer.from(value, 'utf8');
      const out = Buffer.allocUnsafe(headerLength + plain.length + TAG);
      out[0] = aes ? 1 : 2;
      out.writeUInt16BE(version, 1);
      if (offset + nonceLength > pool.length) {
        randomFillSync(pool);
        offset = 0;
      }
      pool.copy(out, 3, offset, offset + nonceLength);
      offset += nonceLength;
      const nonce = out.subarray(3, headerLength);
      if (aes) {
        const c = createCipheriv('aes-256-gcm', keys.encKey, nonce);
        c.setAAD(out.subarray(0, headerLength));
        const at = headerLength + c.update(plain).copy(out, headerLength);
        c.final();
        c.getAuthTag().copy(out, at);
      } else {
        const c = createCipheriv('sm4-ctr', keys.encKey, nonce);
        const at = headerLength + c.update(plain).copy(out, headerLength);
        c.final();
        mac(out.subarray(0, at)).copy(out, at, 0, TAG);
      }
      return out.toString('base64url');
    },
    decrypt(text: string): string {
      const ct = Buffer.from(text, 'base64url');
      const end = ct.length - TAG;
      const nonce = ct.subarray(3, headerLength);
      if (aes) {
        const d = createDecipheriv('aes-256-gcm', keys.encKey, nonce);
        d.setAAD(ct.subarray(0, headerLength));
        d.setAuthTag(ct.subarray(end));
        const plain = d.update(ct.subarray(headerLength, end));
        d.final();
        return plain.toString('utf8');
      }
      if (!timingSafeEqual(mac(ct.subarray(0, end)).subarray(0, TAG), ct.subarray(end))) throw new Error('bad tag');
      const d = createDecipheriv('sm4-ctr', keys.encKey, nonce);
      const plain = d.update(ct.subarray(headerLength, end));
      d.final();
      return plain.toString('utf8');
    },
  };
}

/** A resident ID as blind indexes and pseudonyms normalise it: no separators, upper case. */
const normalizeId = (v: string) =>
  v
    .trim()
    .replace(/[\s\-:.]/g, '')
    .toUpperCase();
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function directPseudonym(digest: string, key: Buffer) {
  return (v: string) => {
    const bytes = createHmac(digest, key).update(normalizeId(v)).digest();
    let out = '';
    let acc = 0;
    let bits = 0;
    for (let i = 0; i < 10; i++) {
      acc = ((acc << 8) | bytes[i]!) & 0xfff;
      bits += 8;
      while (bits >= 5) {
        bits -= 5;
        out += CROCKFORD[(acc >> bits) & 31];
      }
    }
    return `${out.slice(0, 4)}-${out.slice(4, 8)}-${out.slice(8, 12)}-${out.slice(12, 16)}`;
  };
}

const stars = (n: number) => '*'.repeat(n);
const keepEnds = (v: string, head: number, tail: number) => v.slice(0, head) + stars(v.length - head - tail) + v.slice(v.length - tail);
const COMPOUND = new Set(['欧阳', '司马', '上官', '诸葛', '东方', '皇甫', '尉迟', '公孙', '慕容', '长孙', '宇文', '司徒', '夏侯', '轩辕', '令狐', '端木']);
const DIRECT_MASKS = {
  cn_resident_id: (v: string) => keepEnds(v, 3, 4),
  cn_mobile: (v: string) => keepEnds(v, 3, 4),
  // The surname stays (two characters for a compound surname), every other character is starred: 张* 李**.
  person_name: (v: string) => {
    const surname = v.length > 2 && COMPOUND.has(v.slice(0, 2)) ? 2 : 1;
    return v.slice(0, surname) + stars(v.length - surname);
  },
  // Province, city and district/county kept, the rest starred.
  address: (v: string) => `${/^(?:[^省市]{2,7}省)?(?:[^省市区县]{2,7}市)?(?:[^省市区县]{1,7}[区县])?/.exec(v)![0]}****`,
  date_of_birth: (v: string) => `${v.slice(0, 4)}-**-**`,
};

/** Throws unless the baseline's outputs equal pdx's on every value: a baseline must do the same work, correctly. */
function sameOutputs(what: string, pdx: unknown[], baseline: unknown[]): void {
  const i = pdx.findIndex((v, k) => !isDeepStrictEqual(v, baseline[k]));
  if (i >= 0) throw new Error(`${what}: the baseline answers ${JSON.stringify(baseline[i])} where pdx answers ${JSON.stringify(pdx[i])}`);
}

export default async function run(): Promise<void> {
  const rows = makeRows(N);
  const values = rows.flatMap((r) => [r.id_card, r.mobile, r.name, r.address]);
  const bytes = values.reduce((sum, v) => sum + Buffer.byteLength(v), 0);
  const size = `${values.length.toLocaleString('en-US')} values, avg ${(bytes / values.length).toFixed(1)} B (IDs, mobiles, names, addresses)`;
  const db = await openPglite();
  await migrate(db);
  const master = randomBytes(32);

  for (const suite of SUITE_IDS) {
    section(`field encryption, suite ${suite}`);
    const keyring = await openKeyring(db, { masterKey: master, suite });
    const datasetId = suite === 'aes' ? '11111111-1111-4111-8111-111111111111' : '22222222-2222-4222-8222-222222222222';
    const cipher = await keyring.fieldCipher(datasetId);
    const keys = await keyring.datasetKeys(datasetId);
    const direct = directCipher(suite, keys.current.keys, keys.current.version);
    let encrypted = values.map(cipher.encrypt);
    let directEncrypted = values.map(direct.encrypt);
    sameOutputs(`decrypt (${suite}) of the baseline's ciphertexts by pdx`, values, directEncrypted.map(cipher.decrypt));
    sameOutputs(`decrypt (${suite}) of pdx's ciphertexts by the baseline`, values, encrypted.map(direct.decrypt));
    const baselineName = 'node:crypto loop';
    const enc = await alternate({
      pdx: () => rate(values.length, () => (encrypted = values.map(cipher.encrypt))),
      baseline: () => rate(values.length, () => (directEncrypted = values.map(direct.encrypt))),
    });
    report({ name: `encrypt (${suite}, FieldCipher)`, size, unit: 'values/s', ...enc, baselineName });
    const dec = await alternate({
      pdx: () => rate(values.length, () => encrypted.map(cipher.decrypt)),
      baseline: () => rate(values.length, () => directEncrypted.map(direct.decrypt)),
    });
    report({ name: `decrypt (${suite}, FieldCipher)`, size, unit: 'values/s', ...dec, baselineName });
    const avgCt = encrypted.reduce((s, c) => s + c.length, 0) / encrypted.length;
    console.log(`  ciphertext text form: avg ${avgCt.toFixed(1)} chars for avg ${(bytes / values.length).toFixed(1)} plaintext bytes`);

    const digest = suite === 'aes' ? 'sha256' : 'sm3';
    const ids = rows.map((r) => r.id_card);
    const idSize = `${ids.length.toLocaleString('en-US')} resident IDs`;
    const bi = blindIndexerOf(keys);
    const biKey = keys.current.derive('blind-index');
    const directIndex = (v: string) => createHmac(digest, biKey).update(normalizeId(v)).digest().subarray(0, 16).toString('base64url');
    sameOutputs(
      `blind index (${suite})`,
      ids.map((v) => bi.index(v, 'cn_resident_id')),
      ids.map(directIndex),
    );
    const biRun = await alternate({
      pdx: () => rate(ids.length, () => ids.map((v) => bi.index(v, 'cn_resident_id'))),
      baseline: () => rate(ids.length, () => ids.map(directIndex)),
    });
    report({ name: `blind index (${suite})`, size: idSize, unit: 'values/s', ...biRun, baselineName: 'createHmac loop' });
    const ps = pseudonymizerOf(keys, 'consumer-org');
    const directPs = directPseudonym(digest, keys.current.derive('pseudonym:consumer-org'));
    sameOutputs(
      `pseudonym (${suite})`,
      ids.map((v) => ps(v, 'cn_resident_id')),
      ids.map(directPs),
    );
    const psRun = await alternate({
      pdx: () => rate(ids.length, () => ids.map((v) => ps(v, 'cn_resident_id'))),
      baseline: () => rate(ids.length, () => ids.map(directPs)),
    });
    report({ name: `pseudonym (${suite})`, size: idSize, unit: 'values/s', ...psRun, baselineName: 'createHmac loop' });
  }
  await db.close();

  section('masking (baseline: direct per-type code, outputs equal to pdx on every value)');
  const rowSize = `${N.toLocaleString('en-US')} values`;
  for (const [type, column] of [
    ['cn_resident_id', 'id_card'],
    ['cn_mobile', 'mobile'],
    ['person_name', 'name'],
    ['address', 'address'],
    ['date_of_birth', 'birth'],
  ] as const) {
    const column_ = rows.map((r) => r[column]);
    const direct = DIRECT_MASKS[type];
    sameOutputs(
      `mask ${type}`,
      column_.map((v) => mask(type, v)),
      column_.map(direct),
    );
    const m = await alternate({ pdx: () => rate(N, () => column_.map((v) => mask(type, v))), baseline: () => rate(N, () => column_.map(direct)) });
    report({ name: `mask ${type}`, size: rowSize, unit: 'values/s', ...m, baselineName: 'direct mask' });
  }
  const year = (v: string) => v.slice(0, 4);
  sameOutputs(
    'generalized date_of_birth',
    rows.map((r) => applyOperator('generalized', r.birth, { type: 'date_of_birth' })),
    rows.map((r) => year(r.birth)),
  );
  const generalized = await alternate({
    pdx: () => rate(N, () => rows.map((r) => applyOperator('generalized', r.birth, { type: 'date_of_birth' }))),
    baseline: () => rate(N, () => rows.map((r) => year(r.birth))),
  });
  report({ name: 'generalized date_of_birth', size: rowSize, unit: 'values/s', ...generalized, baselineName: 'year slice' });
  const masker = createRowMasker([
    { name: 'id_card', type: 'cn_resident_id', operator: 'masked' },
    { name: 'mobile', type: 'cn_mobile', operator: 'masked' },
    { name: 'name', type: 'person_name', operator: 'masked' },
    { name: 'address', type: 'address', operator: 'hidden' },
    { name: 'birth', type: 'date_of_birth', operator: 'generalized' },
  ]);
  const directRow = (r: (typeof rows)[number]) => ({
    id_card: DIRECT_MASKS.cn_resident_id(r.id_card),
    mobile: DIRECT_MASKS.cn_mobile(r.mobile),
    name: DIRECT_MASKS.person_name(r.name),
    birth: year(r.birth),
  });
  sameOutputs('row masker', rows.map(masker.apply), rows.map(directRow));
  const rowRun = await alternate({ pdx: () => rate(N, () => rows.map(masker.apply)), baseline: () => rate(N, () => rows.map(directRow)) });
  report({
    name: 'row masker (5 columns, 1 hidden)',
    size: `${N.toLocaleString('en-US')} rows × 5 columns`,
    unit: 'rows/s',
    ...rowRun,
    baselineName: 'direct per-column code',
  });
}
