/** The audit log's signing key sealed by the master keyring (audit and protection together). */
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { createAuditModule } from '../src/modules/audit/audit.module.ts';
import { openKeyring } from '../src/modules/protect/keyring.ts';
import { describeEachBackend } from './helpers/db.ts';

describeEachBackend('audit signing key under the master keyring', ({ use }) => {
  it('works with the master keyring as the sealer', async () => {
    const { db } = use();
    const keyring = await openKeyring(db, { masterKey: randomBytes(32), suite: 'gm' });
    const first = await createAuditModule({ db, hash: 'sm3', sealer: keyring, checkpointEvery: { seconds: 0 } });
    await first.audit.record({ action: 'auth.login', result: 'success' });
    await first.audit.checkpoint();
    const again = await createAuditModule({ db, hash: 'sm3', sealer: keyring, checkpointEvery: { seconds: 0 } });
    expect(again.audit.publicKey().keyId).toBe(first.audit.publicKey().keyId);
    expect(await again.audit.verify()).toEqual({ ok: true, checked: 1, checkpoints: 1 });
    const [row] = await db.query<{ sealed_private_key: Buffer }>('SELECT sealed_private_key FROM audit_signing_keys');
    // Sealed, not a plain PKCS#8 DER key (which starts with 0x30).
    expect(row!.sealed_private_key[0]).not.toBe(0x30);
    await first.audit.close();
    await again.audit.close();
  });
});
