/**
 * Errors of the protection module. Each is an AppError with a stable code and a zh/en message, so
 * the one HTTP handler and the CLI print them the same way. None ever carries key material.
 */
import { AppError } from '../../errors.ts';

/** A ciphertext failed authentication or is malformed: tampered, truncated or under another key. */
export class CiphertextError extends AppError {
  constructor(reason: string) {
    super(500, 'ciphertext_invalid', { zh: `密文无效或已被篡改（${reason}）`, en: `Ciphertext is invalid or was tampered with (${reason})` });
  }
}

/** The configured master key is not the one this database's data keys are wrapped with. */
export class MasterKeyMismatchError extends AppError {
  constructor() {
    super(500, 'master_key_mismatch', {
      zh: '主密钥与此数据库不匹配：请检查 PDX_MASTER_KEY / PDX_MASTER_KEY_FILE 是否为该数据库所用的主密钥',
      en: 'Master key does not match this database: check that PDX_MASTER_KEY / PDX_MASTER_KEY_FILE is the key this database was set up with',
    });
  }
}

/** No usable master key was configured, or the configured one is malformed. */
export class MasterKeyConfigError extends AppError {
  constructor(zh: string, en: string) {
    super(500, 'master_key_invalid', { zh, en });
  }
}

/** A ciphertext names a key version this dataset does not have. */
export class UnknownKeyVersionError extends AppError {
  constructor(version: number) {
    super(500, 'key_version_unknown', { zh: `数据密钥版本 ${version} 不存在`, en: `Data key version ${version} does not exist` }, { version });
  }
}
