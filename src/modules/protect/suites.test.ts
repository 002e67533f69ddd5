import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CiphertextError } from './errors.ts';
import {
  decodeCiphertext,
  decryptBytes,
  deriveSuiteKeys,
  encodeCiphertext,
  encryptBytes,
  readHeader,
  sm3,
  suiteHash,
  SUITE_IDS,
  textPrefix,
  type SuiteId,
} from './suites.ts';

const hex = (b: Buffer) => b.toString('hex');

function sm4Ecb(key: Buffer, block: Buffer): Buffer {
  const cipher = createCipheriv('sm4-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

describe('GM/T test vectors', () => {
  it('SM3 (GB/T 32905-2016, appendix A)', () => {
    expect(hex(sm3('abc'))).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    expect(hex(sm3('abcd'.repeat(16)))).toBe('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
    expect(hex(suiteHash('gm', 'abc'))).toBe(hex(sm3('abc')));
    expect(hex(suiteHash('aes', 'abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('SM4 (GB/T 32907-2016, appendix A): one block, and 1,000,000 rounds', () => {
    const key = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
    expect(hex(sm4Ecb(key, key))).toBe('681edf34d206965e86b3e94f536e4246');
    const cipher = createCipheriv('sm4-ecb', key, null);
    cipher.setAutoPadding(false);
    let block = key;
    for (let i = 0; i < 1_000_000; i++) block = cipher.update(block);
    expect(hex(block)).toBe('595298c7c6fd271f0402f804c33d3f66');
  });

  it('SM4-CTR is SM4 in counter mode: keystream blocks are SM4(IV), SM4(IV+1)', () => {
    const key = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
    const iv = Buffer.from('000102030405060708090a0b0c0d0eff', 'hex');
    const ctr = createCipheriv('sm4-ctr', key, iv);
    const stream = Buffer.concat([ctr.update(Buffer.alloc(32)), ctr.final()]);
    const next = Buffer.from('000102030405060708090a0b0c0d0f00', 'hex'); // the counter carries into the next byte
    expect(hex(stream)).toBe(hex(Buffer.concat([sm4Ecb(key, iv), sm4Ecb(key, next)])));
  });
});

const dataKey = Buffer.alloc(32, 7);

describe.each(SUITE_IDS)('suite %s', (suite: SuiteId) => {
  const keys = deriveSuiteKeys(suite, dataKey);
  const keysFor = () => keys;

  it('round-trips any text, including the empty string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 1, max: 0xffff }), (text, version) => {
        const ct = encodeCiphertext(encryptBytes(keys, version, Buffer.from(text)));
        expect(readHeader(decodeCiphertext(ct))).toEqual({ suite, version });
        expect(ct.startsWith(textPrefix(suite, version))).toBe(true);
        expect(decryptBytes(keysFor, decodeCiphertext(ct)).toString()).toBe(text);
      }),
    );
  });

  it('never repeats a ciphertext for the same value', () => {
    const seen = new Set(Array.from({ length: 2000 }, () => encodeCiphertext(encryptBytes(keys, 1, Buffer.from('210102198706151234')))));
    expect(seen.size).toBe(2000);
  });

  it('turns every single flipped bit of a ciphertext into an error', () => {
    const ct = encryptBytes(keys, 3, Buffer.from('张三'));
    for (let bit = 0; bit < ct.length * 8; bit++) {
      const bad = Buffer.from(ct);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => decryptBytes(keysFor, bad), `bit ${bit}`).toThrow(CiphertextError);
    }
  });

  it('rejects truncated and extended ciphertexts', () => {
    const ct = encryptBytes(keys, 1, Buffer.from('abc'));
    for (let n = 0; n < ct.length; n++) expect(() => decryptBytes(keysFor, ct.subarray(0, n)), `length ${n}`).toThrow(CiphertextError);
    expect(() => decryptBytes(keysFor, Buffer.concat([ct, Buffer.from([0])]))).toThrow(CiphertextError);
  });

  it('rejects every changed character of the text form', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.';
    const text = encodeCiphertext(encryptBytes(keys, 1, Buffer.from('13812345678')));
    for (let i = 0; i < text.length; i++) {
      for (const c of alphabet) {
        if (c === text[i]) continue;
        const bad = text.slice(0, i) + c + text.slice(i + 1);
        expect(() => decryptBytes(keysFor, decodeCiphertext(bad)), `${i}:${c}`).toThrow(CiphertextError);
      }
    }
    expect(() => decodeCiphertext(`${text} `)).toThrow(CiphertextError);
  });

  it('rejects another key and other associated data', () => {
    const ct = encryptBytes(keys, 1, Buffer.from('abc'), Buffer.from('dataset-a'));
    expect(decryptBytes(keysFor, ct, Buffer.from('dataset-a')).toString()).toBe('abc');
    expect(() => decryptBytes(keysFor, ct, Buffer.from('dataset-b'))).toThrow(CiphertextError);
    expect(() => decryptBytes(keysFor, ct)).toThrow(CiphertextError);
    const other = deriveSuiteKeys(suite, Buffer.alloc(32, 8));
    expect(() => decryptBytes(() => other, ct, Buffer.from('dataset-a'))).toThrow(CiphertextError);
  });
});

describe('suites together', () => {
  it('derive separate keys and refuse a ciphertext of the other suite', () => {
    const aes = deriveSuiteKeys('aes', dataKey);
    const gm = deriveSuiteKeys('gm', dataKey);
    expect(gm.encKey).toHaveLength(16);
    expect(gm.macKey).toHaveLength(32);
    expect(hex(gm.macKey!)).not.toContain(hex(gm.encKey));
    const ct = encryptBytes(gm, 1, Buffer.from('x'));
    expect(() => decryptBytes(() => aes, ct)).toThrow(CiphertextError);
  });
});
