/**
 * The Ed25519 key that signs tree heads. Its private half is stored sealed (by the master keyring)
 * in audit_signing_keys so every pdx process on one database signs with the same key, and the
 * public half is published at GET /api/v1/audit/public-key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import { currentSigningKey, insertSigningKey, lockKeys, maxSeq } from './audit.repo.ts';
import { AuditTrustError, publicKeyLine, type AuditTrust } from './trust.ts';

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
 * Loads the shared signing key, generating and storing it (sealed) only for an empty log: a log that
 * has records never gets a new key (the database refuses it too), so deleting the key row cannot be
 * used to re-sign a rewritten log. Runs under an advisory lock so processes starting together agree
 * on one key. With `trust`, the key must be the pinned one; the first start that finds no pin writes
 * it and returns a notice to print.
 */
export async function createSigner(deps: { db: Db; trust?: AuditTrust } & Sealer): Promise<Signer & { keyId: string; notice?: string }> {
  const pinned = deps.trust?.pinnedKey();
  const pkcs8 = await deps.db.transaction(async (tx) => {
    await lockKeys(tx);
    const stored = await currentSigningKey(tx);
    if (stored) return deps.unseal(stored.sealedPrivateKey);
    const size = await maxSeq(tx);
    if (size > 0) {
      throw new AuditTrustError(
        'audit_key_missing',
        `审计签名密钥不在数据库中，而审计日志已有 ${size} 条记录：pdx 不会为已有记录的日志生成新密钥。请从备份恢复 audit_signing_keys 中的密钥记录${pinned ? `（固定公钥 ${keyIdOf(pinned).slice(0, 16)}…）` : ''}`,
        `The audit signing key is missing from the database while the log holds ${size} records: pdx never makes a new key for a log that has records. Restore the row of audit_signing_keys from a backup${pinned ? ` (pinned key ${keyIdOf(pinned).slice(0, 16)}…)` : ''}`,
      );
    }
    if (pinned) {
      throw new AuditTrustError(
        'audit_key_mismatch',
        `${deps.trust!.pinWhere} 固定了审计签名公钥，但该数据库中没有签名密钥。若这是新数据库，请删除该文件或取消设置 PDX_AUDIT_PUBLIC_KEY`,
        `${deps.trust!.pinWhere} pins an audit signing key but this database has none. If this is a new database, remove that file or unset PDX_AUDIT_PUBLIC_KEY`,
      );
    }
    const fresh = newPkcs8();
    const { publicKeyPem } = signerFromPkcs8(fresh);
    await insertSigningKey(tx, { keyId: keyIdOf(publicKeyPem), publicKeyPem, sealedPrivateKey: deps.seal(fresh) });
    return fresh;
  });
  const signer = signerFromPkcs8(pkcs8);
  const keyId = keyIdOf(signer.publicKeyPem);
  if (pinned && keyIdOf(pinned) !== keyId) {
    throw new AuditTrustError(
      'audit_key_mismatch',
      `数据库中的审计签名密钥（${keyId.slice(0, 16)}…）与 ${deps.trust!.pinWhere} 固定的公钥（${keyIdOf(pinned).slice(0, 16)}…）不一致：密钥记录可能被替换，拒绝启动`,
      `The audit signing key in the database (${keyId.slice(0, 16)}…) is not the one pinned in ${deps.trust!.pinWhere} (${keyIdOf(pinned).slice(0, 16)}…): the key row may have been replaced; refusing to start`,
    );
  }
  let notice: string | undefined;
  if (!pinned && deps.trust?.pin(signer.publicKeyPem)) {
    notice =
      `审计签名公钥已固定在 ${deps.trust.pinWhere}（密钥编号 ${keyId}）。请另存一份，并在其他服务器上设置 PDX_AUDIT_PUBLIC_KEY=${publicKeyLine(signer.publicKeyPem)}` +
      ` / The audit signing public key is pinned in ${deps.trust.pinWhere} (key id ${keyId}). Keep a copy elsewhere, and on other servers set PDX_AUDIT_PUBLIC_KEY=${publicKeyLine(signer.publicKeyPem)}`;
  }
  return { ...signer, keyId, ...(notice ? { notice } : {}) };
}
