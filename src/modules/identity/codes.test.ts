import { describe, expect, it } from 'vitest';
import { isValidRegionCode, isValidUscc, makeUscc, orgCodeCheckChar } from './codes.ts';

describe('organisation codes', () => {
  it('accepts the published USCC sample and refuses a wrong check character', () => {
    expect(isValidUscc('91350100M000100Y43')).toBe(true);
    expect(isValidUscc('91350100M000100Y44')).toBe(false);
    expect(isValidUscc('91350100M000100O43')).toBe(false);
  });
  it('computes the GB 11714 check of M000100Y as 4', () => {
    expect(orgCodeCheckChar('M000100Y')).toBe('4');
  });
  it('builds valid codes', () => {
    expect(makeUscc('9', '1', '350100', 'M000100Y')).toBe('91350100M000100Y43');
    expect(isValidUscc(makeUscc('1', '1', '210000', 'MB0000001'.slice(0, 8)))).toBe(true);
  });
  it('checks region codes against real provinces', () => {
    expect(isValidRegionCode('211300')).toBe(true);
    expect(isValidRegionCode('991300')).toBe(false);
    expect(isValidRegionCode('21130')).toBe(false);
  });
});
