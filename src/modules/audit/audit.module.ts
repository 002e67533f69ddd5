/**
 * One call that wires the audit module: the shared signing key (sealed by the keyring, which
 * implements Sealer), the log, and its routes. main.ts passes the log as the EventSink of every
 * other module.
 */
import type { Db } from '../../db/index.ts';
import { auditRoutes } from './audit.routes.ts';
import { createAuditLog, type AuditLog, type AuditLogDeps } from './audit.service.ts';
import { createSigner, type Sealer } from './signer.ts';

export async function createAuditModule(deps: { db: Db; sealer: Sealer } & Omit<AuditLogDeps, 'db' | 'signer'>): Promise<{
  audit: AuditLog;
  routes: ReturnType<typeof auditRoutes>;
}> {
  const { sealer, ...rest } = deps;
  // Called as methods, so a Keyring instance can be passed as the sealer.
  const signer = await createSigner({ db: deps.db, seal: (plain) => sealer.seal(plain), unseal: (sealed) => sealer.unseal(sealed) });
  const audit = createAuditLog({ ...rest, signer });
  return { audit, routes: auditRoutes({ audit }) };
}
