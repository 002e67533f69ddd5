import { describe, expect, it } from 'vitest';
import { isValidIdentifier } from '../validate.ts';
import { FAILED, MATCH, NO } from '../types.ts';
import { checkAddress } from './address.ts';
import { checkAccountNumber, checkBankCard, hasKnownBin, luhnValid } from './bank-card.ts';
import { checkDateOfBirth } from './date-of-birth.ts';
import { checkEmail } from './email.ts';
import { checkOrgCode, checkUscc, orgCodeCheckChar, usccCheckChar } from './enterprise.ts';
import { checkCoordinate, checkGpsPair } from './location.ts';
import { checkIpv4, checkIpv6, checkMac } from './network.ts';
import { checkPersonName } from './person-name.ts';
import { checkLandline, checkMobile } from './phone.ts';
import { checkPlate } from './plate.ts';
import { checkResidentId, isProvinceCode, residentIdCheckChar } from './resident-id.ts';
import { checkHkMacauPermit, checkPassport, checkTwPermit } from './travel-documents.ts';

describe('cn_resident_id (GB 11643)', () => {
  it('accepts the known valid sample and computes its check character', () => {
    expect(checkResidentId('11010519491231002X')).toBe(MATCH);
    expect(checkResidentId('11010519491231002x')).toBe(MATCH);
    expect(residentIdCheckChar('11010519491231002')).toBe('X');
  });
  it('fails a wrong check character, an impossible date, a future date and a non-province code', () => {
    expect(checkResidentId('110105194912310021')).toBe(FAILED);
    const withDate = (date: string) => {
      const first17 = `110105${date}002`;
      return first17 + residentIdCheckChar(first17);
    };
    expect(checkResidentId(withDate('19870512'))).toBe(MATCH);
    expect(checkResidentId(withDate('19870230'))).toBe(FAILED); // Feb 30
    expect(checkResidentId(withDate('19001301'))).toBe(FAILED); // month 13
    expect(checkResidentId(withDate('18991231'))).toBe(FAILED); // before 1900
    expect(checkResidentId(withDate(`${new Date().getFullYear() + 1}0101`))).toBe(FAILED); // future
    expect(checkResidentId(withDate('20000229'))).toBe(MATCH); // leap year
    expect(checkResidentId(withDate('19000229'))).toBe(FAILED); // 1900 is not a leap year
    const noProvince = '20010519491231002';
    expect(checkResidentId(noProvince + residentIdCheckChar(noProvince))).toBe(FAILED);
  });
  it('knows the province codes', () => {
    for (const code of [11, 15, 21, 23, 31, 37, 41, 46, 50, 54, 61, 65, 71, 81, 82]) expect(isProvinceCode(code)).toBe(true);
    for (const code of [10, 16, 20, 24, 30, 38, 40, 47, 55, 60, 66, 70, 72, 80, 83, 91]) expect(isProvinceCode(code)).toBe(false);
  });
  it('accepts the legacy 15-digit form with a 19yy date and no check character', () => {
    expect(checkResidentId('110105491231002')).toBe(MATCH);
    expect(checkResidentId('110105490230002')).toBe(FAILED);
    expect(checkResidentId('200105491231002')).toBe(FAILED);
  });
  it('ignores other shapes', () => {
    expect(checkResidentId('1101051949123100')).toBe(NO);
    expect(checkResidentId('11010519491231002Y')).toBe(NO);
  });
});

describe('cn_uscc (GB 32100) and cn_org_code (GB 11714)', () => {
  it('accepts the known valid samples', () => {
    expect(checkUscc('91350100M000100Y43')).toBe(MATCH);
    expect(usccCheckChar('91350100M000100Y4')).toBe('3');
    expect(checkOrgCode('M000100Y-4')).toBe(MATCH);
    expect(checkOrgCode('M000100Y4')).toBe(MATCH);
    expect(orgCodeCheckChar('M000100Y')).toBe('4');
  });
  it('fails wrong check characters', () => {
    expect(checkUscc('91350100M000100Y44')).toBe(FAILED);
    expect(checkOrgCode('M000100Y-5')).toBe(FAILED);
  });
  it('maps check value 31 to 0 (USCC) and 10 to X, 11 to 0 (org code)', () => {
    // find bodies that produce those check values to pin the mapping
    let sawUsccZero = false;
    for (let i = 0; i < 2000 && !sawUsccZero; i++) {
      const body = `91350100${String(i).padStart(8, '0')}4`;
      if (usccCheckChar(body) === '0') sawUsccZero = checkUscc(`${body}0`) === MATCH;
    }
    expect(sawUsccZero).toBe(true);
    const checks = new Set<string>();
    for (let i = 0; i < 200; i++) checks.add(orgCodeCheckChar(String(10000000 + i))!);
    expect(checks.has('X')).toBe(true);
    expect(checks.has('0')).toBe(true);
    expect(checks.has('10')).toBe(false);
  });
  it('rejects characters outside the code sets', () => {
    expect(checkUscc('91350100M000100I43')).toBe(NO); // I is not in the USCC set
    expect(checkOrgCode('M000100y-4')).toBe(MATCH); // lower case is the same code
    expect(checkOrgCode('M00010#Y-4')).toBe(NO);
  });
});

describe('phones', () => {
  it('accepts mobiles with the standard pattern and the 3-4-4 grouping', () => {
    for (const v of ['13812345678', '+8613812345678', '+86 13812345678', '008613812345678', '19912345678', '138-1234-5678']) {
      expect(checkMobile(v), v).toBe(MATCH);
    }
  });
  it('fails 11-digit numbers with no mobile network (order numbers)', () => {
    expect(checkMobile('12012345678')).toBe(FAILED);
    expect(checkMobile('10012345678')).toBe(FAILED);
    expect(checkMobile('20240101123')).toBe(NO);
    expect(checkMobile('1381234567')).toBe(NO);
  });
  it('accepts landlines with a real area-code length and local number', () => {
    for (const v of ['024-23456789', '02423456789', '010-62345678', '0755-2345678', '0411-84567890', '(024)23456789', '024-23456789-123']) {
      expect(checkLandline(v), v).toBe(MATCH);
    }
    expect(checkLandline('010-12345678')).toBe(FAILED); // local numbers never start with 1
    expect(checkLandline('0241-2345678')).toBe(FAILED); // 02x area codes have three digits
    expect(checkLandline('13812345678')).toBe(NO);
  });
});

describe('bank_card', () => {
  it('checks Luhn over 16-19 digits', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(checkBankCard('6222021234567890128')).toBe(luhnValid('6222021234567890128') ? MATCH : FAILED);
    expect(checkBankCard('4111111111111111')).toBe(MATCH);
    expect(checkBankCard('4111 1111 1111 1111')).toBe(MATCH);
    expect(checkBankCard('4111111111111112')).toBe(FAILED);
    expect(checkBankCard('411111111111111')).toBe(NO);
  });
  it('knows domestic BINs, and account numbers only as a shape', () => {
    expect(hasKnownBin('6222021234567890')).toBe(true);
    expect(hasKnownBin('1234567890123456')).toBe(false);
    expect(checkAccountNumber('1234 5678 9012 3456 789')).toBe(MATCH);
    expect(checkAccountNumber('1234567')).toBe(NO);
  });
});

describe('email, passport, permits', () => {
  it('email', () => {
    expect(checkEmail('zhang.san@example.cn')).toBe(MATCH);
    expect(checkEmail('a+b@mail.example.com')).toBe(MATCH);
    expect(checkEmail('zhang@@example.cn')).toBe(FAILED);
    expect(checkEmail('zhang@example')).toBe(FAILED);
    expect(checkEmail('.zhang@example.cn')).toBe(FAILED);
    expect(checkEmail('zhang.example.cn')).toBe(NO);
  });
  it('passport and permits follow the patterns of standards.md', () => {
    expect(checkPassport('E12345678')).toBe(MATCH);
    expect(checkPassport('EA1234567')).toBe(MATCH);
    expect(checkPassport('141234567')).toBe(MATCH);
    expect(checkPassport('A12345678')).toBe(NO);
    expect(checkHkMacauPermit('H12345678')).toBe(MATCH);
    expect(checkHkMacauPermit('CA1234567')).toBe(MATCH);
    expect(checkHkMacauPermit('CI1234567')).toBe(NO);
    expect(checkTwPermit('12345678')).toBe(MATCH);
    expect(checkTwPermit('1234567')).toBe(NO);
  });
});

describe('cn_plate (GA 36)', () => {
  it('accepts ordinary and new-energy plates', () => {
    for (const v of ['辽A12345', '京AD12345', '粤BFA1234', '京A12345D', '沪A1234挂', '辽A·12345']) expect(checkPlate(v), v).toBe(MATCH);
  });
  it('fails wrong letters and lengths', () => {
    expect(checkPlate('辽I12345')).toBe(FAILED); // I is never used
    expect(checkPlate('京AX12345')).toBe(FAILED); // 8 chars without D/F
    expect(checkPlate('A123456')).toBe(NO);
  });
});

describe('network identifiers', () => {
  it('strict ranges', () => {
    expect(checkIpv4('192.168.1.1')).toBe(MATCH);
    expect(checkIpv4('256.1.1.1')).toBe(FAILED);
    expect(checkIpv4('01.2.3.4')).toBe(FAILED);
    expect(checkIpv4('1.2.3')).toBe(NO);
    expect(checkIpv6('2001:db8::1')).toBe(MATCH);
    expect(checkIpv6('::1')).toBe(MATCH);
    expect(checkIpv6('2001:db8:::1')).toBe(FAILED);
    expect(checkIpv6('12:30:00')).toBe(FAILED);
    expect(checkMac('00:1A:2B:3C:4D:5E')).toBe(MATCH);
    expect(checkMac('00-1a-2b-3c-4d-5e')).toBe(MATCH);
    expect(checkMac('00:1A:2B:3C:4D:5G')).toBe(FAILED);
    expect(checkMac('00:1A-2B:3C:4D:5E')).toBe(NO);
  });
});

describe('gps and date_of_birth', () => {
  it('coordinates', () => {
    expect(checkGpsPair('39.904200,116.407400')).toBe(MATCH);
    expect(checkGpsPair('116.4074, 39.9042')).toBe(MATCH);
    expect(checkGpsPair('95.1234,195.1234')).toBe(FAILED);
    expect(checkGpsPair('12,34')).toBe(NO);
    expect(checkCoordinate('116.407400')).toBe(MATCH);
    expect(checkCoordinate('190.55')).toBe(FAILED);
  });
  it('dates of birth are real past dates', () => {
    for (const v of ['1987-05-12', '1987/5/12', '1987.05.12', '19870512', '1987年5月12日', '1987-05-12 00:00:00']) {
      expect(checkDateOfBirth(v), v).toBe(MATCH);
    }
    expect(checkDateOfBirth('1987-02-30')).toBe(FAILED);
    expect(checkDateOfBirth('2099-01-01')).toBe(FAILED);
    expect(checkDateOfBirth('1899-12-31')).toBe(FAILED);
    expect(checkDateOfBirth('hello')).toBe(NO);
  });
});

describe('person_name and address', () => {
  it('names need a known surname; compound surnames count', () => {
    for (const v of ['王小明', '张三', '欧阳娜娜', '司马光', '诸葛亮', '上官婉儿']) expect(checkPersonName(v), v).toBe(MATCH);
    expect(checkPersonName('啊小明')).toBe(FAILED); // no surname
    expect(checkPersonName('王府井大街')).toBe(NO); // 5 chars, a street
    expect(checkPersonName('沈阳市')).toBe(NO); // a place
    expect(checkPersonName('黄山')).toBe(NO); // a place name, though 黄 is a surname
    expect(checkPersonName('李宁公司')).toBe(NO); // a company
    expect(checkPersonName('王氏集团有限公司')).toBe(NO);
    expect(checkPersonName('Wang')).toBe(NO);
  });
  it('addresses need a division name followed by street tokens', () => {
    expect(checkAddress('辽宁省沈阳市和平区南京北街12号')).toBe(MATCH);
    expect(checkAddress('沈阳市和平区南京北街12号3单元502室')).toBe(MATCH);
    expect(checkAddress('北京市东城区王府井大街1号')).toBe(MATCH);
    expect(checkAddress('王府井大街1号')).toBe(FAILED); // street without division
    expect(checkAddress('太原路12号')).toBe(FAILED); // 太原 alone names the street, not the place
    expect(checkAddress('辽宁省沈阳市')).toBe(NO);
  });
});

describe('isValidIdentifier', () => {
  it('validates one value of a type', () => {
    expect(isValidIdentifier('cn_resident_id', ' 11010519491231002X ')).toBe(true);
    expect(isValidIdentifier('cn_resident_id', '110105194912310021')).toBe(false);
    expect(isValidIdentifier('cn_uscc', '91350100M000100Y43')).toBe(true);
    expect(isValidIdentifier('cn_org_code', 'M000100Y-4')).toBe(true);
    expect(isValidIdentifier('bank_card', '4111111111111111')).toBe(true);
    expect(isValidIdentifier('gps', '39.9042,116.4074')).toBe(true);
    expect(isValidIdentifier('email', '')).toBe(false);
  });
});
