/** Value-level validation for ingestion: is this one value a valid identifier of the type? */
import { checkAddress } from './recognizers/address.ts';
import { checkBankCard } from './recognizers/bank-card.ts';
import { checkDateOfBirth } from './recognizers/date-of-birth.ts';
import { checkEmail } from './recognizers/email.ts';
import { checkOrgCode, checkUscc } from './recognizers/enterprise.ts';
import { checkCoordinate, checkGpsPair } from './recognizers/location.ts';
import { checkIpv4, checkIpv6, checkMac } from './recognizers/network.ts';
import { checkPersonName } from './recognizers/person-name.ts';
import { checkLandline, checkMobile } from './recognizers/phone.ts';
import { checkPlate } from './recognizers/plate.ts';
import { checkResidentId } from './recognizers/resident-id.ts';
import { checkHkMacauPermit, checkPassport, checkTwPermit } from './recognizers/travel-documents.ts';
import { MATCH, type TypeId, type Verdict } from './types.ts';

const CHECKS: Record<TypeId, (v: string) => Verdict> = {
  cn_resident_id: checkResidentId,
  cn_uscc: checkUscc,
  cn_org_code: checkOrgCode,
  cn_mobile: checkMobile,
  cn_landline: checkLandline,
  bank_card: checkBankCard,
  email: checkEmail,
  passport: checkPassport,
  hk_macau_permit: checkHkMacauPermit,
  tw_permit: checkTwPermit,
  cn_plate: checkPlate,
  ipv4: checkIpv4,
  ipv6: checkIpv6,
  mac: checkMac,
  gps: (v) => (checkGpsPair(v) === MATCH ? MATCH : checkCoordinate(v)),
  date_of_birth: checkDateOfBirth,
  person_name: checkPersonName,
  address: checkAddress,
};

/**
 * True when `value` (trimmed) is a valid `type` value: checksums, dates (≤ today), province codes and
 * ranges included. Context-dependent types (passport, permits, birth dates) are checked by pattern and
 * date only: the caller's column says which type it expects. bank_card means a Luhn-valid card number.
 */
export function isValidIdentifier(type: TypeId, value: string): boolean {
  const v = value.trim();
  return v.length > 0 && CHECKS[type](v) === MATCH;
}
