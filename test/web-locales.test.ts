/**
 * The console names every monitoring setting: each field of each detector in the server's settings
 * has a label in Chinese and English, and each detector a name and a line saying what it watches
 * (web/src/locales/secops-settings.ts; the form is web/src/pages/secops/SettingsTab.tsx).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DUTIES_SETTINGS } from '../src/modules/duties/duties.settings.ts';
import { DEFAULT_SETTINGS } from '../src/modules/secops/secops.settings.ts';
import { REJECT_REASONS } from '../src/modules/telemetry/payloads.ts';
import * as dutiesSettings from '../web/src/locales/duties-settings.ts';
import * as exchange from '../web/src/locales/exchange.ts';
import * as secops from '../web/src/locales/secops.ts';
import * as labels from '../web/src/locales/secops-settings.ts';
import { formatNumber } from '../web/src/numbers.ts';
import { factValue } from '../web/src/pages/secops/facts.ts';
import * as telemetry from '../web/src/locales/telemetry.ts';

describe('monitoring settings labels', () => {
  const detectors = Object.entries(DEFAULT_SETTINGS.detectors);
  it.each(['zh', 'en'] as const)('label every detector and every field in %s', (lang) => {
    const dict: Record<string, string> = { ...secops[lang], ...telemetry[lang], ...exchange[lang], ...labels[lang] };
    const missing: string[] = [];
    for (const [d, fields] of detectors) {
      for (const key of [`secops.det.${d}`, `sset.det.${d}`]) if (!dict[key]) missing.push(key);
      for (const f of Object.keys(fields)) if (f !== 'enabled' && !dict[`sset.f.${d}.${f}`]) missing.push(`sset.f.${d}.${f}`);
    }
    expect(missing).toEqual([]);
    expect(detectors.length).toBeGreaterThan(10);
  });
});

describe('duties settings labels', () => {
  // The form of 时限与日历 (web/src/pages/duties/settings) labels each limit of the server's settings as dset.f.<path>.
  it.each(['zh', 'en'] as const)('label every time limit in %s', (lang) => {
    const dict: Record<string, string> = dutiesSettings[lang];
    const { securityByType, ...limits } = DEFAULT_DUTIES_SETTINGS.limits;
    const paths = [...Object.keys(limits), ...Object.keys(securityByType).map((k) => `securityByType.${k}`)];
    expect(paths.filter((p) => !dict[`dset.f.${p}`])).toEqual([]);
    expect(paths.length).toBeGreaterThan(8);
  });
});

describe('telemetry rejection reasons', () => {
  it.each(['zh', 'en'] as const)('names every reason a payload can be refused for in %s', (lang) => {
    const dict: Record<string, string> = telemetry[lang];
    expect(REJECT_REASONS.filter((r) => !dict[`tel.reject.${r}`])).toEqual([]);
  });
});

describe('Chinese console text', () => {
  // Full-width punctuation in Chinese sentences (，：；（）), as officials write them; ASCII stays
  // where the text is code (a filter, a URL, a time such as 09:37).
  it('uses full-width punctuation next to Chinese characters', async () => {
    const files = fs.readdirSync(path.resolve('web/src/locales')).filter((f) => f.endsWith('.ts'));
    const ascii = /[\u4e00-\u9fff][,;()]|[,;(][\u4e00-\u9fff]|[\u4e00-\u9fff]:/u;
    // Brackets and semicolons in a Chinese sentence are full-width around Latin words too: 内嵌 PostgreSQL（PGlite）.
    const asciiAnywhere = /[();]/;
    const found: string[] = [];
    for (const file of files) {
      const { zh } = (await import(/* @vite-ignore */ pathToFileURL(path.resolve('web/src/locales', file)).href)) as { zh?: Record<string, string> };
      for (const [key, text] of Object.entries(zh ?? {})) {
        if (ascii.test(text) || (/[\u4e00-\u9fff]/u.test(text) && asciiAnywhere.test(text))) found.push(`${file} ${key}: ${text}`);
      }
    }
    expect(found).toEqual([]);
    expect(files.length).toBeGreaterThan(10);
  });
});

describe('English console text', () => {
  /**
   * The few English messages that keep Chinese: the language switch, examples of data values, and the
   * name of the province's sign-on system. Any other Chinese in an English message is untranslated.
   */
  const KEEPS_CHINESE = new Set([
    'lang.switch',
    'access.columnHint',
    'duties.rf.kind.name',
    'share.redact.masked',
    'share.redact.placeholder',
    'secops.demo.confirm',
    'so.sso.button',
    'so.users.sso',
  ]);
  it('has no Chinese in English messages but examples and names', async () => {
    const files = fs.readdirSync(path.resolve('web/src/locales')).filter((f) => f.endsWith('.ts'));
    const found: string[] = [];
    const kept: string[] = [];
    for (const file of files) {
      const { en } = (await import(/* @vite-ignore */ pathToFileURL(path.resolve('web/src/locales', file)).href)) as { en?: Record<string, string> };
      for (const [key, text] of Object.entries(en ?? {})) {
        if (!/[\u4e00-\u9fff]/u.test(text)) continue;
        (KEEPS_CHINESE.has(key) ? kept : found).push(`${file} ${key}: ${text}`);
      }
    }
    expect(found).toEqual([]);
    // The list names only messages that still need it.
    expect(kept.length).toBe(KEEPS_CHINESE.size);
  });
});

describe('counts in the console', () => {
  // Stat cards, the audit drawer and classify counts go through one formatter in the console's
  // language, not toLocaleString() with the browser's locale (issue 22, point 3).
  it.each(['zh', 'en'] as const)('group a large count with separators in %s', (lang) => {
    expect(formatNumber(1234567, lang)).toBe('1,234,567');
    expect(formatNumber(12.5, lang)).toBe('12.5');
  });
});

describe('lists and brackets in the console', () => {
  // 、（）：；， come from the console language (i18n sep, paren, colon, semicolon), never from the code:
  // an English page once listed an alert's columns as 姓名、身份证号 (issue 22). Comments and the
  // character classes of input parsers ([,，、]) may name them.
  it('has no Chinese punctuation written into console code outside the message files', () => {
    const files = (fs.readdirSync(path.resolve('web/src'), { recursive: true }) as string[])
      .filter((f) => /\.tsx?$/.test(f) && !f.startsWith('locales') && f !== 'i18n.tsx' && f !== path.join('api', 'schema.d.ts'))
      .map((f) => path.join('web/src', f));
    const found: string[] = [];
    for (const file of files) {
      fs.readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
          if (/[、（）：；，]/u.test(line.replace(/\[[^\]]*\]/g, ''))) found.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
    expect(files.length).toBeGreaterThan(50);
  });

  it.each([
    ['zh', '、'],
    ['en', ', '],
  ] as const)('lists what a detector saw with the separator of %s', (lang, sep) => {
    const i18n = { t: (key: keyof typeof secops.en) => secops[lang][key], time: String, num: (n: number) => formatNumber(n, lang), sep };
    expect(factValue('columns', [{ name: '姓名' }, { name: '身份证号' }], i18n)).toBe(`姓名${sep}身份证号`);
    expect(factValue('accounts', ['mz-officer', 'ga-officer'], i18n)).toBe(`mz-officer${sep}ga-officer`);
    expect(factValue('rows', 12000, i18n)).toBe('12,000');
    expect(factValue('night', true, i18n)).toBe(secops[lang]['secops.yes']);
  });
});
