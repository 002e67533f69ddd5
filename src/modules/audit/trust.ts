/**
 * What the audit log trusts that does not live in the database (issue 23): the pinned public key of
 * the signing key, and this host's witness of the log (the last record and the last signed head it
 * saw committed). A database superuser can rewrite every audit table; without these they could
 * also replace the key or cut the log back to an earlier, self-consistent state unnoticed.
 *
 * - The pin comes from PDX_AUDIT_PUBLIC_KEY, else from `audit-public-key.pem` next to the master key
 *   (the directory of PDX_MASTER_KEY_FILE, else PDX_DATA_DIR). It is written there on the first start
 *   that finds none, and printed.
 * - The witness is `audit-witness.json` in PDX_DATA_DIR, rewritten after committed batches (at most
 *   one write in flight) and after every head this process signs.
 */
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../errors.ts';
import type { SignedHead } from './audit.service.ts';

export const PIN_FILE = 'audit-public-key.pem';
export const WITNESS_FILE = 'audit-witness.json';

/** Raised when the key in the database is not the pinned one, or is missing while the log has records. */
export class AuditTrustError extends AppError {
  constructor(code: 'audit_key_mismatch' | 'audit_key_missing' | 'audit_key_unpinned_database', zh: string, en: string) {
    super(503, code, { zh, en });
  }
}

/** The last record and head this host saw committed. */
export interface Witness {
  format: 'pdx-audit-witness/v1';
  seq: number;
  hash: string;
  time: string;
  head: SignedHead | null;
}

export interface AuditTrust {
  /** The pinned public key (PEM), if any. */
  pinnedKey(): string | undefined;
  /** Where the pin came from, for messages. */
  readonly pinWhere: string;
  /** Stores the pin file (first start); false when the pin comes from the configuration or the file exists. */
  pin(publicKeyPem: string): boolean;
  /** Removes the pin file and the witness (`pdx demo --reset` erases the database they describe). */
  forget(): void;
  readWitness(): Witness | undefined;
  /** Queues a write of the witness; the last queued state wins. */
  writeWitness(witness: Witness): void;
  /** Resolves once queued writes are on disk. */
  flush(): Promise<void>;
}

/** Parses a public key given as PEM text or as the base64 of its DER SubjectPublicKeyInfo. */
export function parsePublicKey(text: string, where: string): string {
  const trimmed = text.trim();
  try {
    const key = trimmed.startsWith('-----BEGIN')
      ? createPublicKey(trimmed)
      : createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not Ed25519');
    return key.export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    throw new AuditTrustError(
      'audit_key_mismatch',
      `${where} 不是有效的 Ed25519 公钥（PEM 或 DER 的 Base64）`,
      `${where} is not a valid Ed25519 public key (PEM, or base64 of the DER SubjectPublicKeyInfo)`,
    );
  }
}

/** One line an operator can paste into PDX_AUDIT_PUBLIC_KEY. */
export function publicKeyLine(publicKeyPem: string): string {
  return createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' }).toString('base64');
}

export interface TrustOptions {
  /** PDX_AUDIT_PUBLIC_KEY. */
  publicKey?: string;
  /** Directory of the pin file (next to the master key). */
  pinDir: string;
  /** Directory of the witness (PDX_DATA_DIR). */
  dataDir: string;
}

export function createAuditTrust(options: TrustOptions): AuditTrust {
  const pinFile = path.join(options.pinDir, PIN_FILE);
  const witnessFile = path.join(options.dataDir, WITNESS_FILE);
  const configured = options.publicKey ? parsePublicKey(options.publicKey, 'PDX_AUDIT_PUBLIC_KEY') : undefined;
  let queued: Witness | undefined;
  let writing: Promise<void> | undefined;
  /** The witness's directory is made before the first write and again only when a write finds it gone. */
  let dirMade = false;

  async function drain(): Promise<void> {
    while (queued) {
      const w = queued;
      queued = undefined;
      const tmp = `${witnessFile}.${process.pid}.tmp`;
      const text = `${JSON.stringify(w)}\n`;
      try {
        if (!dirMade) await fs.promises.mkdir(path.dirname(witnessFile), { recursive: true });
        dirMade = true;
        await fs.promises.writeFile(tmp, text, { mode: 0o600 }).catch(async (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
          await fs.promises.mkdir(path.dirname(witnessFile), { recursive: true });
          await fs.promises.writeFile(tmp, text, { mode: 0o600 });
        });
        await fs.promises.rename(tmp, witnessFile);
      } catch (error) {
        console.error('[audit] cannot write the witness', witnessFile, error);
      }
    }
  }

  return {
    pinWhere: configured ? 'PDX_AUDIT_PUBLIC_KEY' : pinFile,
    pinnedKey() {
      if (configured) return configured;
      if (!fs.existsSync(pinFile)) return undefined;
      return parsePublicKey(fs.readFileSync(pinFile, 'utf8'), pinFile);
    },
    pin(publicKeyPem) {
      if (configured || fs.existsSync(pinFile)) return false;
      try {
        fs.mkdirSync(path.dirname(pinFile), { recursive: true });
        fs.writeFileSync(pinFile, publicKeyPem, { mode: 0o644, flag: 'wx' });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      }
    },
    forget() {
      if (!configured) fs.rmSync(pinFile, { force: true });
      fs.rmSync(witnessFile, { force: true });
    },
    readWitness() {
      if (!fs.existsSync(witnessFile)) return undefined;
      const w = JSON.parse(fs.readFileSync(witnessFile, 'utf8')) as Witness;
      return w.format === 'pdx-audit-witness/v1' && Number.isSafeInteger(w.seq) ? w : undefined;
    },
    writeWitness(witness) {
      queued = witness;
      writing ??= drain().finally(() => (writing = undefined));
    },
    async flush() {
      while (writing) await writing;
    },
  };
}
