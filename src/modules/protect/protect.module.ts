/**
 * One call that wires protection: resolve the master key from the configuration, check it against
 * the database (refusing the wrong one before anything is served) and open the keyring, the service
 * every module that encrypts, seals or pseudonymises gets. Protection has no routes (keys are managed
 * with `pdx keys`). In main.ts:
 *
 *   const protect = await createProtectModule({ db, config });
 *   … audit, identity, ingest, sharing … get `protect.keyring` (as narrow Pick<> deps);
 *   once the job queue and the catalogue exist: const rotation = protect.rotation({ jobs: jobs.service, events, catalog })
 *
 * The keyring comes first (the audit log and identity seal with it, and the job queue needs identity),
 * so the re-encryption job's handler is created by `rotation(…)` when the queue it runs on is built.
 */
import type { Db } from '../../db/index.ts';
import { loadMasterKey, openKeyring, type Keyring, type LoadedMasterKey } from './keyring.ts';
import { createRotation } from './rotation.ts';
import { parseSuite } from './suites.ts';

/** The configuration the module reads (PDX_MASTER_KEY, PDX_MASTER_KEY_FILE, PDX_CRYPTO, data dir, mode). */
export interface ProtectConfig {
  PDX_MASTER_KEY?: string;
  PDX_MASTER_KEY_FILE?: string;
  PDX_CRYPTO?: string;
  PDX_DATABASE_URL?: string;
  dataDir: string;
}

export interface ProtectModule {
  keyring: Keyring;
  /** Where the master key came from (no key material). */
  masterKey: Pick<LoadedMasterKey, 'source' | 'path'>;
  /** To print or log at start-up: a generated key to back up, or a key file readable by others. */
  warning?: string;
  /** The background re-encryption of datasets to their current key version (`pdx keys rotate`), on the job queue. */
  rotation(deps: Omit<Parameters<typeof createRotation>[0], 'db' | 'keyring'>): ReturnType<typeof createRotation>;
}

/** Opens the keyring for a pdx process; throws MasterKeyConfigError or MasterKeyMismatchError. */
export async function createProtectModule(deps: { db: Db; config: ProtectConfig }): Promise<ProtectModule> {
  const { config } = deps;
  const suite = parseSuite(config.PDX_CRYPTO); // before anything is generated on disk
  const loaded = loadMasterKey({
    ...(config.PDX_MASTER_KEY !== undefined ? { masterKey: config.PDX_MASTER_KEY } : {}),
    ...(config.PDX_MASTER_KEY_FILE !== undefined ? { masterKeyFile: config.PDX_MASTER_KEY_FILE } : {}),
    dataDir: config.dataDir,
    embedded: !config.PDX_DATABASE_URL,
  });
  const keyring = await openKeyring(deps.db, { masterKey: loaded.key, suite });
  return {
    keyring,
    masterKey: { source: loaded.source, ...(loaded.path ? { path: loaded.path } : {}) },
    ...(loaded.warning ? { warning: loaded.warning } : {}),
    rotation: (rest) => createRotation({ db: deps.db, keyring, ...rest }),
  };
}
