/**
 * The recognizer registry: one entry per way of recognising a value. Several entries may report the
 * same type (bank_card: Luhn-valid cards, and corporate account numbers under an account header; gps:
 * pairs in one value, and single coordinates under 经度/纬度 headers).
 */
import type { Strength, TypeId, Verdict } from '../types.ts';
import { checkAddress } from './address.ts';
import { checkAccountNumber, checkBankCard } from './bank-card.ts';
import { checkDateOfBirth } from './date-of-birth.ts';
import { checkEmail } from './email.ts';
import { checkOrgCode, checkUscc } from './enterprise.ts';
import { checkCoordinate, checkGpsPair } from './location.ts';
import { checkIpv4, checkIpv6, checkMac } from './network.ts';
import { checkPersonName } from './person-name.ts';
import { checkLandline, checkMobile } from './phone.ts';
import { checkPlate } from './plate.ts';
import { checkResidentId } from './resident-id.ts';
import { checkHkMacauPermit, checkPassport, checkTwPermit } from './travel-documents.ts';

export interface Recognizer {
  /** Unique id of this way of recognising (e.g. 'bank_account'). */
  id: string;
  /** The type it reports. */
  type: TypeId;
  strength: Strength;
  /** Whether values that have the shape but fail validation count against the type (see engine.ts). */
  penalizeFailed: boolean;
  /** Checks one trimmed, non-empty value. */
  check(value: string): Verdict;
  /** Which first characters can start a matching value; the engine skips the check for the others. */
  starts: Start[];
}

/** Classes of a value's first character, for a cheap dispatch before any check runs. */
export type Start = 'digit' | 'upper' | 'lower' | 'han' | 'plus' | 'paren' | 'minus' | 'colon' | 'other';

export function startOf(code: number): Start {
  if (code >= 48 && code <= 57) return 'digit';
  if (code >= 65 && code <= 90) return 'upper';
  if (code >= 97 && code <= 122) return 'lower';
  if (code >= 0x4e00 && code <= 0x9fff) return 'han';
  if (code === 43) return 'plus';
  if (code === 40) return 'paren';
  if (code === 45) return 'minus';
  if (code === 58) return 'colon';
  return 'other';
}

const ALPHANUM: Start[] = ['digit', 'upper', 'lower'];

export const RECOGNIZERS: readonly Recognizer[] = [
  { id: 'cn_resident_id', type: 'cn_resident_id', strength: 'checksum', penalizeFailed: true, check: checkResidentId, starts: ['digit'] },
  { id: 'cn_uscc', type: 'cn_uscc', strength: 'checksum', penalizeFailed: true, check: checkUscc, starts: ['digit', 'upper', 'lower'] },
  { id: 'cn_org_code', type: 'cn_org_code', strength: 'checksum', penalizeFailed: true, check: checkOrgCode, starts: ['digit', 'upper', 'lower'] },
  { id: 'cn_mobile', type: 'cn_mobile', strength: 'pattern', penalizeFailed: true, check: checkMobile, starts: ['digit', 'plus'] },
  { id: 'cn_landline', type: 'cn_landline', strength: 'pattern', penalizeFailed: true, check: checkLandline, starts: ['digit', 'paren'] },
  { id: 'bank_card', type: 'bank_card', strength: 'checksum', penalizeFailed: true, check: checkBankCard, starts: ['digit'] },
  { id: 'bank_account', type: 'bank_card', strength: 'weak', penalizeFailed: false, check: checkAccountNumber, starts: ['digit'] },
  { id: 'email', type: 'email', strength: 'pattern', penalizeFailed: true, check: checkEmail, starts: [...ALPHANUM, 'other', 'plus', 'minus'] },
  { id: 'passport', type: 'passport', strength: 'weak', penalizeFailed: false, check: checkPassport, starts: ALPHANUM },
  { id: 'hk_macau_permit', type: 'hk_macau_permit', strength: 'weak', penalizeFailed: false, check: checkHkMacauPermit, starts: ['upper'] },
  { id: 'tw_permit', type: 'tw_permit', strength: 'weak', penalizeFailed: false, check: checkTwPermit, starts: ['digit'] },
  { id: 'cn_plate', type: 'cn_plate', strength: 'pattern', penalizeFailed: true, check: checkPlate, starts: ['han'] },
  { id: 'ipv4', type: 'ipv4', strength: 'pattern', penalizeFailed: true, check: checkIpv4, starts: ['digit'] },
  { id: 'ipv6', type: 'ipv6', strength: 'pattern', penalizeFailed: true, check: checkIpv6, starts: [...ALPHANUM, 'colon'] },
  { id: 'mac', type: 'mac', strength: 'pattern', penalizeFailed: true, check: checkMac, starts: ALPHANUM },
  { id: 'gps_pair', type: 'gps', strength: 'pattern', penalizeFailed: true, check: checkGpsPair, starts: ['digit', 'minus', 'paren'] },
  { id: 'gps_coordinate', type: 'gps', strength: 'weak', penalizeFailed: true, check: checkCoordinate, starts: ['digit', 'minus'] },
  { id: 'date_of_birth', type: 'date_of_birth', strength: 'weak', penalizeFailed: true, check: checkDateOfBirth, starts: ['digit'] },
  { id: 'person_name', type: 'person_name', strength: 'pattern', penalizeFailed: true, check: checkPersonName, starts: ['han'] },
  { id: 'address', type: 'address', strength: 'pattern', penalizeFailed: false, check: checkAddress, starts: ['han'] },
];

/** For each first-character class, the indexes of the recognizers worth running. */
export const RECOGNIZERS_BY_START: Readonly<Record<Start, readonly number[]>> = (() => {
  const starts: Start[] = ['digit', 'upper', 'lower', 'han', 'plus', 'paren', 'minus', 'colon', 'other'];
  const out = {} as Record<Start, number[]>;
  for (const s of starts) out[s] = RECOGNIZERS.flatMap((r, i) => (r.starts.includes(s) ? [i] : []));
  return out;
})();
