/**
 * The Ed25519 key that signs tree heads. Its private half is stored sealed (by the master keyring)
 * in audit_signing_keys so every pdx process on one database signs with the same key, and the
 * public half is published at GET /api/v1/audit/public-key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import { currentSigningKey, insertSigningKey, lockKeys } from './audit.repo.ts';

/** What the audit log needs to sign heads. */
export interface Signer {
  publicKeyPem: string;
  sign(data: Buffer): Buffer;
}

/** Seals and unseals secrets at rest (the master keyring provides these). */
export interface Sealer {
  seal(plain: Buffer): Buffer;
  unseal(sealed: Buffer): Buffer;
}

/** Key id: hex SHA-256 of the DER SubjectPublicKeyInfo, independent of the chain's hash suite. */
export function keyIdOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

/** Checks an Ed25519 signature. */
export function verifySignature(publicKeyPem: string, data: Buffer, signature: Buffer): boolean {
  try {
    return verify(null, data, createPublicKey(publicKeyPem), signature);
  } catch {
    return false;
  }
}

function signerFromPkcs8(pkcs8: Buffer): Signer {
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('audit signing key is not Ed25519');
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { publicKeyPem, sign: (data) => sign(null, data, privateKey) };
}

function newPkcs8(): Buffer {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'der' });
}

/** A signer with a fresh key that lives only in memory (tests, benchmarks). */
export function generateSigner(): Signer {
  return signerFromPkcs8(newPkcs8());
}

/**
 * Loads the shared signing key, generating and storing it (sealed) on first use. Runs under an
 * advisory lock so processes starting together agree on one key.
 */
export async function createSigner(deps: { db: Db } & Sealer): Promise<Signer & { keyId: string }> {
  const pkcs8 = await deps.db.transaction(async (tx) => {
    await lockKeys(tx);
    const stored = await currentSigningKey(tx);
    if (stored) return deps.unseal(stored.sealedPrivateKey);
    const fresh = newPkcs8();
    const { publicKeyPem } = signerFromPkcs8(fresh);
    await insertSigningKey(tx, { keyId: keyIdOf(publicKeyPem), publicKeyPem, sealedPrivateKey: deps.seal(fresh) });
    return fresh;
  });
  const signer = signerFromPkcs8(pkcs8);
  return { ...signer, keyId: keyIdOf(signer.publicKeyPem) };
}
