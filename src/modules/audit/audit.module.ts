/**
 * One call that wires the audit module: the shared signing key (sealed by the keyring, which
 * implements Sealer; checked against the pinned public key), the log, and its routes. main.ts passes
 * the log as the EventSink of every other module.
 */
import type { Db } from '../../db/index.ts';
import { AuditTrustError, type AuditTrust } from './trust.ts';
import { auditRoutes } from './audit.routes.ts';
import { createAuditLog, type AuditLog, type AuditLogDeps } from './audit.service.ts';
import { currentSigningKey } from './audit.repo.ts';
import { createSigner, type Sealer } from './signer.ts';

export async function createAuditModule(
  deps: { db: Db; sealer: Sealer; trust?: AuditTrust } & Omit<AuditLogDeps, 'db' | 'signer' | 'trustedKeyPem' | 'keyStored'>,
): Promise<{
  audit: AuditLog;
  routes: ReturnType<typeof auditRoutes>;
  /** To print at start-up: the key was just pinned (first start). */
  notice?: string;
}> {
  const { sealer, ...rest } = deps;
  // Called as methods, so a Keyring instance can be passed as the sealer.
  const signer = await createSigner({
    db: deps.db,
    ...(deps.trust ? { trust: deps.trust } : {}),
    seal: (plain) => sealer.seal(plain),
    unseal: (sealed) => sealer.unseal(sealed),
  });
  const audit = createAuditLog({ ...rest, signer, keyStored: true });
  return { audit, routes: auditRoutes({ audit }), ...(signer.notice ? { notice: signer.notice } : {}) };
}

/**
 * A log that only verifies (`pdx audit verify`): no master key, no signing key, nothing minted. It
 * trusts `publicKeyPem` if given, else the pin; with neither, the key stored in the database, which
 * the report then says.
 */
export async function openAuditForVerify(deps: {
  db: Db;
  hash: AuditLogDeps['hash'];
  trust?: AuditTrust;
  publicKeyPem?: string;
}): Promise<{ audit: AuditLog; trustedFrom: string }> {
  let trusted = deps.publicKeyPem;
  let trustedFrom = '--public-key';
  if (!trusted && deps.trust) {
    trusted = deps.trust.pinnedKey();
    trustedFrom = deps.trust.pinWhere;
  }
  if (!trusted) {
    const stored = await currentSigningKey(deps.db);
    if (!stored)
      throw new AuditTrustError(
        'audit_key_missing',
        '没有固定的审计公钥，数据库中也没有签名密钥',
        'No pinned audit public key, and no signing key in the database',
      );
    trusted = stored.publicKeyPem;
    trustedFrom = 'the database (not pinned: a database superuser could have replaced it)';
  }
  const audit = createAuditLog({
    db: deps.db,
    hash: deps.hash,
    trustedKeyPem: trusted,
    keyStored: true,
    checkpointEvery: { seconds: 0 },
    ...(deps.trust ? { trust: deps.trust } : {}),
  });
  return { audit, trustedFrom };
}
