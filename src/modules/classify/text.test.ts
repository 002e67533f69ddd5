import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateText } from '../../../test/corpus/texts.ts';
import { createRedactor, redactText } from './redact.ts';
import { scanText, TextScanner } from './text.ts';

const types = (text: string) => scanText(text).map((f) => f.type);

describe('free-text scanning', () => {
  it('finds identifiers in context with code-point offsets and masked values only', () => {
    const text = '😀申请人王小明，身份证号11010519491231002X，手机13812345678。';
    const findings = scanText(text);
    expect(findings.map((f) => f.type)).toEqual(['person_name', 'cn_resident_id', 'cn_mobile']);
    const chars = Array.from(text);
    const id = findings[1]!;
    expect(chars.slice(id.start, id.end).join('')).toBe('11010519491231002X');
    expect(id.masked).toBe('110***********002X');
    expect(JSON.stringify(findings)).not.toContain('13812345678');
  });

  it('needs context for weak types', () => {
    expect(types('护照号码：E12345678。')).toEqual(['passport']);
    expect(types('编号E12345678。')).toEqual([]);
    expect(types('台胞证号码：12345678')).toEqual(['tw_permit']);
    expect(types('数量12345678')).toEqual([]);
    expect(types('出生日期：1987-05-12')).toEqual(['date_of_birth']);
    expect(types('登记日期：1987-05-12')).toEqual([]);
    expect(types('出生日期：1987-02-30')).toEqual([]);
  });

  it('does not take near misses', () => {
    expect(types('订单号202401011234567890，流水号12012345678。')).toEqual([]);
    expect(types('证件号110105194912310021校验位错误')).toEqual([]);
    expect(types('王府井大街附近很热闹，太原路正在施工。')).toEqual([]);
    expect(types('王氏集团有限公司成立于2010年。')).toEqual([]);
    expect(types('电话13812345678')).toEqual(['cn_mobile']);
    expect(types('号码913812345678')).toEqual([]); // no digit boundary
  });

  it('finds addresses, plates, network identifiers and coordinates', () => {
    expect(types('住址：辽宁省沈阳市和平区南京北街12号3单元502室。')).toEqual(['address']);
    expect(types('车牌辽A12345，京AD12345')).toEqual(['cn_plate', 'cn_plate']);
    expect(types('IP 192.168.1.10，IPv6 2001:db8::1，MAC 00:1A:2B:3C:4D:5E')).toEqual(['ipv4', 'ipv6', 'mac']);
    expect(types('坐标39.904200,116.407400')).toEqual(['gps']);
    expect(types('联系欧阳娜娜女士')).toEqual(['person_name']);
  });

  it('gives the same findings whatever the chunking (window boundaries)', () => {
    const { text } = generateText(11, 1500); // > 64K characters
    const whole = scanText(text);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 8 }), (cuts) => {
        const scanner = new TextScanner();
        const out = [];
        let at = 0;
        for (const size of cuts) {
          out.push(...scanner.push(text.slice(at, at + size)));
          at += size;
        }
        out.push(...scanner.push(text.slice(at)), ...scanner.end());
        expect(out).toEqual(whole);
      }),
      { numRuns: 15 },
    );
  });

  const found = (text: string) => scanText(text).map((f) => `${f.type}:${Array.from(text).slice(f.start, f.end).join('')}`);

  it('finds names without a label word, and no name inside another word', () => {
    expect(found('此事由秦明辉负责跟进。')).toEqual(['person_name:秦明辉']);
    expect(found('村民冯秀云反映小区供暖不达标。')).toEqual(['person_name:冯秀云']);
    expect(found('李建国、张秀英等3人到市信访局上访。')).toEqual(['person_name:李建国', 'person_name:张秀英']);
    expect(found('与邻居欧阳娜娜因停车位问题发生纠纷。')).toEqual(['person_name:欧阳娜娜']);
    expect(found('信访人王伟称其工资被拖欠。')).toEqual(['person_name:王伟']);
    // adversarial: a surname character inside ordinary words, titles, places, organisations
    for (const text of [
      '户主原身份证号已注销，需持户口簿办理变更。',
      '各单位要高度重视，落实常态化排查，周边环境金额较大的问题于是上报。',
      '安全隐患已整改，程序上由承办单位负责，林业部门黄色预警期间暂停作业。',
      '王经理和张主任到场处理，李师傅负责维修，司机师傅反映的问题已解决。',
      '李宁公司和华为公司的门店，张自忠路、王府井大街的改造方案，黄山市的考察报告。',
      '王某某、张某称已收到材料。',
    ]) {
      expect(found(text), text).toEqual([]);
    }
  });

  it('reads numbers written with spaces, dashes, dots or brackets', () => {
    expect(found('手机199 3619 0080，+86 176 4475 7198，199.3619.0081，138-1234-5678。')).toEqual([
      'cn_mobile:199 3619 0080',
      'cn_mobile:+86 176 4475 7198',
      'cn_mobile:199.3619.0081',
      'cn_mobile:138-1234-5678',
    ]);
    expect(found('座机(024)39431591，（0421）2345678，024 3943 1591，0421-8095768转588，（0421）-2818888转6，(024)-2345678。')).toEqual([
      'cn_landline:(024)39431591',
      'cn_landline:（0421）2345678',
      'cn_landline:024 3943 1591',
      'cn_landline:0421-8095768转588',
      'cn_landline:（0421）-2818888转6',
      'cn_landline:(024)-2345678',
    ]);
    // A landline without its dash needs a phone word near it, whatever its length (4-digit area code + 7 digits = 11)
    expect(found('回访电话：04514572908，座机02355780754，传真0421-2818888。')).toEqual([
      'cn_landline:04514572908',
      'cn_landline:02355780754',
      'cn_landline:0421-2818888',
    ]);
    expect(found('编号04514572908，批次02355780754。')).toEqual([]);
    expect(found('收款卡号6259 6519 9430 2402 203。')).toEqual(['bank_card:6259 6519 9430 2402 203']);
    expect(found('身份证号110105 19491231 002X。')).toEqual(['cn_resident_id:110105 19491231 002X']);
    // fields of a record line run together by spaces are still told apart
    expect(found('张晓梅 女 110105 19491231 002X 138 1234 5678')).toEqual([
      'person_name:张晓梅',
      'cn_resident_id:110105 19491231 002X',
      'cn_mobile:138 1234 5678',
    ]);
    // near misses: amounts, a serial number, a date, an invalid card
    expect(found('共计 1 380 000 元，编号 2023 0615 0001，日期 2023.06.15，卡号6259 6519 9430 2402 204。')).toEqual([]);
  });

  it('takes context before or after a value', () => {
    expect(found('信访人张三，男，1995年6月23日出生，汉族。')).toEqual(['person_name:张三', 'date_of_birth:1995年6月23日']);
    expect(found('当事人生于1962.3.8，现住址不详。')).toEqual(['date_of_birth:1962.3.8']);
    expect(found('被告已于2023年6月23日履行，2023年6月23日生效。')).toEqual([]);
    expect(found('持往来港澳通行证C12345678赴港，回乡证号码H1234567890，另有E12345678号护照。')).toEqual([
      'hk_macau_permit:C12345678',
      'hk_macau_permit:H1234567890',
      'passport:E12345678',
    ]);
    expect(found('档案编号E12345678，批次C12345678。')).toEqual([]);
    expect(found('车牌辽J·18777、京A 12345和粤BD12345。')).toEqual(['cn_plate:辽J·18777', 'cn_plate:京A 12345', 'cn_plate:粤BD12345']);
  });

  it('ends an address where its parts end', () => {
    expect(found('家住朝阳市双塔区燕都路3号附近的小区门口。')).toEqual(['address:朝阳市双塔区燕都路3号']);
    expect(found('现住辽宁省沈阳市和平区中山路12号3栋2单元502室，')).toEqual(['address:辽宁省沈阳市和平区中山路12号3栋2单元502室']);
    expect(found('户籍地朝阳县红旗村三组。')).toEqual(['address:朝阳县红旗村三组']);
  });

  it('redacts every span (masked or typed placeholders), whatever the chunking', () => {
    const text = '信访人秦明辉，1995年6月23日出生，身份证号11010519491231002X，手机199 3619 0080，住朝阳市双塔区燕都路3号。';
    expect(redactText(text, 'placeholder')).toBe('信访人〔姓名〕，〔出生日期〕出生，身份证号〔身份证号〕，手机〔手机号〕，住〔地址〕。');
    expect(redactText(text)).toBe('信访人秦**，1995年**月**日出生，身份证号110***********002X，手机199 **** 0080，住朝阳市双塔区****。');
    const { text: long } = generateText(12, 1500);
    const whole = redactText(long);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 6 }), (cuts) => {
        const redactor = createRedactor('masked');
        let out = '';
        let at = 0;
        for (const size of cuts) {
          out += redactor.push(long.slice(at, at + size));
          at += size;
        }
        out += redactor.push(long.slice(at)) + redactor.end();
        expect(out).toBe(whole);
      }),
      { numRuns: 8 },
    );
  });
});
