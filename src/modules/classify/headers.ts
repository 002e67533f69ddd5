/**
 * Column-header hints in Chinese and English. A positive hint raises a type's confidence (and is required
 * for weak types: passport, permits, birth dates, single coordinates, corporate accounts); a negative hint
 * (订单号 for a phone-shaped column, 单位名称 for a name-shaped one) lowers it.
 */
import type { TypeId } from './types.ts';

interface HintRule {
  zh?: string[];
  /** Matched against the header as `_token_token_` (lower case, camelCase split). */
  en?: RegExp;
}

const POSITIVE: Partial<Record<TypeId, HintRule>> = {
  cn_resident_id: {
    zh: ['身份证', '证件号', '证件编号', '公民身份', '居民身份', '身份号码', '证照号码'],
    en: /_(id_?card|id_?no|id_?num|id_?number|identity(_no|_number|_card)?|citizen_?id|national_?id|sfz|sfzh|sfzhm|zjhm)_/,
  },
  cn_uscc: { zh: ['统一社会信用代码', '信用代码', '社会信用'], en: /_(uscc|credit_?code|social_?credit(_code)?|tyshxydm)_/ },
  cn_org_code: { zh: ['组织机构代码', '机构代码'], en: /_(org(anization)?_?code|zzjgdm)_/ },
  cn_mobile: {
    zh: ['手机', '移动电话', '联系电话', '电话', '联系方式'],
    en: /_(mobile|phone|cell|cellphone|tel|sjh|sjhm|lxdh|msisdn)_/,
  },
  cn_landline: {
    zh: ['固定电话', '固话', '座机', '办公电话', '电话', '联系方式', '传真'],
    en: /_(tel|telephone|phone|landline|fax|lxdh)_/,
  },
  bank_card: {
    zh: ['银行卡', '卡号', '账号', '帐号', '账户', '帐户', '开户'],
    en: /_(bank_?card|card_?(no|num|number)|account(_no|_num|_number)?|acct(_no)?|iban|yhkh|yhzh)_/,
  },
  email: { zh: ['邮箱', '电子邮件', '邮件'], en: /_(e_?mail|mail|mailbox|dzyx)_/ },
  // Generic document-number headers (证件号码, zjhm, document_no) hold passports and permits as often as IDs.
  passport: {
    zh: ['护照', '证件号', '证照号'],
    en: /_(passport(_no|_number)?|hzhm|hzh|zjhm|zjh|document_?(no|num|number)|doc_?(no|num)|cert(ificate)?_?(no|num|number)|credential_?(no|number)|travel_?doc(ument)?)_/,
  },
  hk_macau_permit: {
    zh: ['港澳', '回乡证', '通行证', '证件号', '证照号'],
    en: /_(hk|macau|macao|hkmo|permit|zjhm|zjh|document_?(no|num|number)|doc_?(no|num)|cert(ificate)?_?(no|num|number)|credential_?(no|number)|travel_?doc(ument)?)_/,
  },
  tw_permit: { zh: ['台胞', '台湾居民', '台湾'], en: /_(tw|taiwan|tbz|mtp)_/ },
  cn_plate: { zh: ['车牌', '号牌', '牌照', '车号'], en: /_(plate(_no|_num|_number)?|license_?plate|car_?no|vehicle_?no|hphm|cph)_/ },
  ipv4: { en: /_(ip|ipv4|ip_?addr(ess)?|client_?ip|src_?ip|dst_?ip|remote_?ip|source_?ip|host_?ip)_/ },
  ipv6: { en: /_(ip|ipv6|ip_?addr(ess)?|client_?ip|src_?ip|dst_?ip|remote_?ip|source_?ip|host_?ip)_/ },
  mac: { zh: ['物理地址', '硬件地址'], en: /_(mac|mac_?addr(ess)?)_/ },
  gps: {
    zh: ['经度', '纬度', '经纬度', '坐标', '定位', '位置'],
    en: /_(lat|lng|lon|long|latitude|longitude|gps|coord|coords|coordinate|coordinates|location|geo|jd|wd)_/,
  },
  date_of_birth: { zh: ['出生', '生日', '诞辰'], en: /_(birth|birthday|birthdate|birth_?date|date_?of_?birth|dob|bday|csrq)_/ },
  person_name: {
    zh: [
      '姓名',
      '名字',
      '联系人',
      '法人',
      '法定代表人',
      '申请人',
      '负责人',
      '经办人',
      '户主',
      '患者',
      '持卡人',
      '收件人',
      '寄件人',
      '监护人',
      '当事人',
      '家长',
      '驾驶人',
      '车主',
      '客户名',
      '员工名',
    ],
    en: /_(name|full_?name|real_?name|person_?name|contact|contact_?name|applicant|holder|legal_?rep(resentative)?|owner|xm)_/,
  },
  address: {
    zh: ['地址', '住址', '住所', '户籍地', '居住地', '所在地', '通讯地址', '家庭住址', '详细地址', '户籍'],
    en: /_(address|addr|domicile|residence|dz|zz|jzd)_/,
  },
};

/** Headers that contradict a type even when a positive word is present (company_name is not a person). */
const NEGATIVE: Partial<Record<TypeId, HintRule>> = {
  person_name: {
    zh: [
      '单位',
      '企业',
      '公司',
      '机构',
      '名称',
      '地址',
      '街道',
      '路名',
      '城市',
      '省份',
      '区县',
      '商品',
      '产品',
      '项目',
      '部门',
      '民族',
      '职业',
      '学历',
      '用户名',
      '账户名',
      '文件',
    ],
    en: /_(company|corp|org|organization|organisation|enterprise|dept|department|product|item|city|province|street|road|address|title|file|table|host|user|username|account|brand|shop|store|bank)_/,
  },
  address: {
    zh: ['IP地址', 'ip地址', '邮箱地址', '邮件地址', '物理地址', 'MAC地址', 'mac地址', '网址', '网络地址'],
    en: /_(ip|mac|email|mail|url|web|ipv4|ipv6)_/,
  },
  cn_resident_id: { zh: ['订单', '流水'] },
};

/** Words of counters and business keys: a phone- or ID-shaped column under them is not personal data. */
const GENERIC_NEGATIVE: HintRule = {
  zh: ['订单', '单号', '流水', '序号', '交易号', '编号', '批次', '金额', '数量', '工单', '票号', '发票', '合同号', '快递'],
  en: /_(order|order_?no|serial|seq|sequence|txn|trade_?no|transaction|batch|invoice|amount|qty|count|ticket|tracking)_/,
};

function normalizeEnglish(header: string): string {
  const split = header.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return `_${split
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .join('_')}_`;
}

function hits(rule: HintRule | undefined, header: string, english: string): boolean {
  if (!rule) return false;
  if (rule.zh?.some((word) => header.includes(word))) return true;
  return rule.en !== undefined && rule.en.test(english);
}

/** +1 (the header names the type), −1 (it contradicts it) or 0, per type. */
export type HeaderHints = Partial<Record<TypeId, 1 | -1>>;

export function headerHints(header: string): HeaderHints {
  const h = header.trim();
  const english = normalizeEnglish(h);
  const generic = hits(GENERIC_NEGATIVE, h, english);
  const out: HeaderHints = {};
  for (const type of Object.keys(POSITIVE) as TypeId[]) {
    if (hits(NEGATIVE[type], h, english)) out[type] = -1;
    else if (hits(POSITIVE[type], h, english)) out[type] = 1;
    else if (generic) out[type] = -1;
  }
  return out;
}

/** 账号/账户/开户/account: corporate account numbers (not Luhn) count as bank_card only under such a header. */
export function isAccountHeader(header: string): boolean {
  return /账号|帐号|账户|帐户|开户/.test(header) || /_(account|acct|yhzh)(_|$)/.test(normalizeEnglish(header));
}
