import { createHash, randomInt } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

/** RFC 6238 as authenticator apps use it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
/** Codes of the step before and after the current one are accepted (clock drift of a phone). */
const TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;
/** How authenticator apps name the account: "pdx (公共数据共享交换平台): sysadmin". */
const ISSUER = 'pdx 公共数据共享交换平台';

/** A new shared secret (160 bits, base32), as RFC 4226 recommends. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The otpauth:// URI an authenticator app scans. */
export function otpauthUri(secret: string, account: string): string {
  return generateURI({ issuer: ISSUER, label: account, secret, period: TOTP_PERIOD_SECONDS });
}

/** The URI as a QR code image (data: URL, which the console's CSP admits as an image). */
export function qrDataUrl(uri: string): Promise<string> {
  return QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1, width: 200 });
}

/** A six-digit code (anything else offered as a second factor is tried as a recovery code). */
export const isTotpCode = (code: string): boolean => /^\d{6}$/.test(code.trim());

/**
 * Checks a code at `now` against the secret. A code whose time step is not after the last accepted one
 * is a replay (RFC 6238 §5.2: a code is accepted once), even when it is right.
 */
export async function checkTotp(
  secret: string,
  code: string,
  now: Date,
  lastStep: number | null,
): Promise<{ ok: true; step: number } | { ok: false; reason: 'wrong_code' | 'replayed' }> {
  if (!isTotpCode(code)) return { ok: false, reason: 'wrong_code' };
  const result = await verify({
    secret,
    token: code.trim(),
    epoch: Math.floor(now.getTime() / 1000),
    epochTolerance: TOLERANCE_SECONDS,
    period: TOTP_PERIOD_SECONDS,
  });
  // The TOTP strategy's result carries the matched time step (the HOTP one of the same union does not).
  if (!result.valid || !('timeStep' in result)) return { ok: false, reason: 'wrong_code' };
  if (lastStep !== null && result.timeStep <= lastStep) return { ok: false, reason: 'replayed' };
  return { ok: true, step: result.timeStep };
}

// Crockford-like alphabet without look-alikes (no I, L, O, U); 16 characters carry 80 bits.
const RECOVERY_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const RECOVERY_CODE_COUNT = 10;

/** Ten single-use recovery codes, `XXXX-XXXX-XXXX-XXXX`, shown once at enrolment. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const chars = Array.from({ length: 16 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]!);
    return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
  });
}

/**
 * What is stored of a recovery code: SHA-256 of its normalised form (case, dashes and spaces do not
 * matter). 80 random bits need no slow hash, only no plaintext at rest.
 */
export function recoveryCodeHash(code: string): string {
  return createHash('sha256').update(code.toUpperCase().replace(/[\s-]/g, '')).digest('hex');
}
