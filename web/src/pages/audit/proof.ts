/**
 * Checks an inclusion proof in the browser with WebCrypto, the same steps as the verifier script of
 * docs/audit-proofs.md §6: the record matches its hash, the audit path leads from it to the signed
 * root (RFC 9162 §2.1.3.2), and the head's Ed25519 signature holds under the platform's public key.
 * SM3 is not in WebCrypto: under the 国密 suite the hash steps are reported as not checked here.
 */
import type { AuditRecord, InclusionProof, PublicKey, SignedHead } from '../../api/audit.ts';

/** `ok`: checked and holds; `bad`: checked and fails; `unchecked`: this browser cannot check it. */
export type Check = 'ok' | 'bad' | 'unchecked';

export interface ProofCheck {
  recordHash: Check;
  inclusion: Check;
  signature: Check;
}

/** RFC 8785-style canonical JSON, as pdx hashes it (keys sorted at every depth, no whitespace). */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const object = value as Record<string, unknown>;
  return `{${Object.keys(object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(object[k])}`)
    .join(',')}}`;
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array<ArrayBuffer>> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const node = (l: Uint8Array, r: Uint8Array) => sha256(Uint8Array.of(1), l, r);

/** hash_n = H(hash_{n-1} || UTF-8(canonical(record without prevHash and hash))). */
export async function recordHashOf(record: AuditRecord): Promise<string> {
  const { prevHash, hash: _hash, ...body } = record;
  return toHex(await sha256(fromHex(prevHash), new TextEncoder().encode(canonical(body))));
}

/** RFC 9162 §2.1.3.2: does the audit path lead from the leaf to the root of a tree of `size`? */
async function inclusionHolds(leaf: Uint8Array, index: number, size: number, path: Uint8Array[], root: Uint8Array): Promise<boolean> {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await node(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/** Ed25519 over canonical({type, treeSize, rootHash, timestamp, hashAlg}); the key must be the one whose DER hashes to keyId. */
async function signatureHolds(head: SignedHead, key: PublicKey): Promise<Check> {
  const der = fromBase64(key.publicKeyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''));
  if (toHex(await sha256(der)) !== key.keyId || head.keyId !== key.keyId) return 'bad';
  let publicKey: CryptoKey;
  try {
    publicKey = await crypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return 'unchecked'; // a browser without Ed25519 in WebCrypto
  }
  const message = canonical({
    type: 'pdx-audit-tree-head/v1',
    treeSize: head.treeSize,
    rootHash: head.rootHash,
    timestamp: head.timestamp,
    hashAlg: head.hashAlg,
  });
  const ok = await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, fromBase64(head.signature), new TextEncoder().encode(message));
  return ok ? 'ok' : 'bad';
}

/** Runs every check the browser can; never throws. */
export async function checkProof(proof: InclusionProof, key: PublicKey | undefined): Promise<ProofCheck> {
  if (typeof crypto === 'undefined' || !crypto.subtle) return { recordHash: 'unchecked', inclusion: 'unchecked', signature: 'unchecked' };
  let signature: Check = 'unchecked';
  if (key) signature = await signatureHolds(proof.head, key).catch((): Check => 'bad');
  if (proof.head.hashAlg !== 'sha256') return { recordHash: 'unchecked', inclusion: 'unchecked', signature };
  const recordHash = await recordHashOf(proof.record);
  const hashOk = recordHash === proof.record.hash && recordHash === proof.recordHash;
  const leaf = await sha256(Uint8Array.of(0), fromHex(recordHash));
  const included = await inclusionHolds(leaf, proof.leafIndex, proof.head.treeSize, proof.auditPath.map(fromHex), fromHex(proof.head.rootHash));
  return { recordHash: hashOk ? 'ok' : 'bad', inclusion: included && proof.treeSize === proof.head.treeSize ? 'ok' : 'bad', signature };
}
