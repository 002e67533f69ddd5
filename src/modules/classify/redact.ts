/**
 * Redaction of free text (the `redacted` grant mode, `pdx scan --redact`): every span the free-text
 * scanner finds (names, IDs, phones, addresses … of standards.md §1) is replaced by its masked form
 * (王* , 138****5678) or by a typed placeholder (〔姓名〕, 〔手机号〕). This is the one redactor of every
 * read path: the records API, exports, the gateway and push deliveries compile their views in
 * share/policy.ts, which hands `redactorOf(style)` to protect's `redacted` column operator.
 */
import { mask } from '../../lib/mask.ts';
import { redactString, TextRedactor, type Replacement } from './text.ts';
import type { TypeId } from './types.ts';

export const REDACT_STYLES = ['masked', 'placeholder'] as const;
/** masked: each span in its masked form; placeholder: each span replaced by its type in brackets. */
export type RedactStyle = (typeof REDACT_STYLES)[number];

/** The placeholder of each type (Chinese, as the documents are). */
export const PLACEHOLDERS: Readonly<Record<TypeId, string>> = {
  cn_resident_id: '〔身份证号〕',
  cn_uscc: '〔统一社会信用代码〕',
  cn_org_code: '〔组织机构代码〕',
  cn_mobile: '〔手机号〕',
  cn_landline: '〔电话〕',
  bank_card: '〔银行卡号〕',
  email: '〔电子邮箱〕',
  passport: '〔护照号〕',
  hk_macau_permit: '〔港澳通行证号〕',
  tw_permit: '〔台胞证号〕',
  cn_plate: '〔车牌号〕',
  ipv4: '〔IP地址〕',
  ipv6: '〔IP地址〕',
  mac: '〔MAC地址〕',
  gps: '〔位置〕',
  date_of_birth: '〔出生日期〕',
  person_name: '〔姓名〕',
  address: '〔地址〕',
};

const maskedForm: Replacement = (type, value) => mask(type, value);
const placeholder: Replacement = (type) => PLACEHOLDERS[type];

export function replacementOf(style: RedactStyle): Replacement {
  return style === 'placeholder' ? placeholder : maskedForm;
}

/** Redacts one text value: every detected span replaced per `style`. */
export function redactText(text: string, style: RedactStyle = 'masked'): string {
  return redactString(text, replacementOf(style));
}

/** The text redactor of one style, as the `redacted` column operator takes it (protect/masking.ts). */
export function redactorOf(style: RedactStyle = 'masked'): (text: string) => string {
  const replacement = replacementOf(style);
  return (text) => redactString(text, replacement);
}

/** A streaming redactor for files: push chunks, get redacted text back, then end(). */
export function createRedactor(style: RedactStyle = 'masked'): TextRedactor {
  return new TextRedactor(replacementOf(style));
}
