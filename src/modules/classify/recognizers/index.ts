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
  /** Shortest and longest value the check can return anything but NO for. */
  lengths: [number, number];
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
  { id: 'cn_resident_id', type: 'cn_resident_id', strength: 'checksum', penalizeFailed: true, check: checkResidentId, starts: ['digit'], lengths: [15, 18] },
  { id: 'cn_uscc', type: 'cn_uscc', strength: 'checksum', penalizeFailed: true, check: checkUscc, starts: ['digit', 'upper', 'lower'], lengths: [18, 18] },
  {
    id: 'cn_org_code',
    type: 'cn_org_code',
    strength: 'checksum',
    penalizeFailed: true,
    check: checkOrgCode,
    starts: ['digit', 'upper', 'lower'],
    lengths: [9, 10],
  },
  { id: 'cn_mobile', type: 'cn_mobile', strength: 'pattern', penalizeFailed: true, check: checkMobile, starts: ['digit', 'plus'], lengths: [11, 19] },
  { id: 'cn_landline', type: 'cn_landline', strength: 'pattern', penalizeFailed: true, check: checkLandline, starts: ['digit', 'paren'], lengths: [10, 24] },
  { id: 'bank_card', type: 'bank_card', strength: 'checksum', penalizeFailed: true, check: checkBankCard, starts: ['digit'], lengths: [16, 23] },
  { id: 'bank_account', type: 'bank_card', strength: 'weak', penalizeFailed: false, check: checkAccountNumber, starts: ['digit'], lengths: [8, 36] },
  {
    id: 'email',
    type: 'email',
    strength: 'pattern',
    penalizeFailed: true,
    check: checkEmail,
    starts: [...ALPHANUM, 'other', 'plus', 'minus'],
    lengths: [3, 254],
  },
  { id: 'passport', type: 'passport', strength: 'weak', penalizeFailed: false, check: checkPassport, starts: ALPHANUM, lengths: [9, 9] },
  { id: 'hk_macau_permit', type: 'hk_macau_permit', strength: 'weak', penalizeFailed: false, check: checkHkMacauPermit, starts: ['upper'], lengths: [9, 11] },
  { id: 'tw_permit', type: 'tw_permit', strength: 'weak', penalizeFailed: false, check: checkTwPermit, starts: ['digit'], lengths: [8, 8] },
  { id: 'cn_plate', type: 'cn_plate', strength: 'pattern', penalizeFailed: true, check: checkPlate, starts: ['han'], lengths: [7, 9] },
  { id: 'ipv4', type: 'ipv4', strength: 'pattern', penalizeFailed: true, check: checkIpv4, starts: ['digit'], lengths: [7, 15] },
  { id: 'ipv6', type: 'ipv6', strength: 'pattern', penalizeFailed: true, check: checkIpv6, starts: [...ALPHANUM, 'colon'], lengths: [2, 45] },
  { id: 'mac', type: 'mac', strength: 'pattern', penalizeFailed: true, check: checkMac, starts: ALPHANUM, lengths: [14, 17] },
  { id: 'gps_pair', type: 'gps', strength: 'pattern', penalizeFailed: true, check: checkGpsPair, starts: ['digit', 'minus', 'paren'], lengths: [13, 48] },
  { id: 'gps_coordinate', type: 'gps', strength: 'weak', penalizeFailed: true, check: checkCoordinate, starts: ['digit', 'minus'], lengths: [4, 20] },
  { id: 'date_of_birth', type: 'date_of_birth', strength: 'weak', penalizeFailed: true, check: checkDateOfBirth, starts: ['digit'], lengths: [8, 30] },
  { id: 'person_name', type: 'person_name', strength: 'pattern', penalizeFailed: true, check: checkPersonName, starts: ['han'], lengths: [2, 4] },
  { id: 'address', type: 'address', strength: 'pattern', penalizeFailed: false, check: checkAddress, starts: ['han'], lengths: [6, 120] },
];

const STARTS: Start[] = ['digit', 'upper', 'lower', 'han', 'plus', 'paren', 'minus', 'colon', 'other'];
const START_INDEX = Object.fromEntries(STARTS.map((s, i) => [s, i])) as Record<Start, number>;
/** Lengths are bucketed up to this; longer values share the last bucket. */
const MAX_LENGTH_BUCKET = 64;

/** For each first-character class and value length, the indexes of the recognizers worth running. */
const DISPATCH: readonly (readonly number[])[] = (() => {
  const out: number[][] = [];
  for (const s of STARTS) {
    for (let length = 0; length <= MAX_LENGTH_BUCKET; length++) {
      out.push(RECOGNIZERS.flatMap((r, i) => (r.starts.includes(s) && r.lengths[0] <= length && r.lengths[1] >= length ? [i] : [])));
    }
  }
  return out;
})();

/** The recognizers worth running on a value (by its first character and length). */
export function candidatesFor(value: string): readonly number[] {
  const start = START_INDEX[startOf(value.charCodeAt(0))];
  return DISPATCH[start * (MAX_LENGTH_BUCKET + 1) + Math.min(value.length, MAX_LENGTH_BUCKET)]!;
}
