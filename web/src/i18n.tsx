import { formatNumber } from './numbers.ts';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import * as admin from './locales/admin.ts';
import * as audit from './locales/audit.ts';
import * as catalog from './locales/catalog.ts';
import * as classify from './locales/classify.ts';
import * as duties from './locales/duties.ts';
import * as dutiesSettings from './locales/duties-settings.ts';
import * as exchange from './locales/exchange.ts';
import * as gateway from './locales/gateway.ts';
import * as open from './locales/open.ts';
import * as secops from './locales/secops.ts';
import * as secopsSettings from './locales/secops-settings.ts';
import * as sharing from './locales/sharing.ts';
import * as shell from './locales/shell.ts';
import * as signon from './locales/signon.ts';
import * as telemetry from './locales/telemetry.ts';

/** Console languages: Chinese first, English available. */
export type Lang = 'zh' | 'en';

/**
 * The messages, one file per area under web/src/locales/<area>.ts, each exporting `zh` (as const: the
 * keys and placeholders come from it) and `en` (every key of zh). A new area adds its file here.
 */
const zh = {
  ...shell.zh,
  ...admin.zh,
  ...catalog.zh,
  ...classify.zh,
  ...sharing.zh,
  ...audit.zh,
  ...secops.zh,
  ...secopsSettings.zh,
  ...telemetry.zh,
  ...open.zh,
  ...duties.zh,
  ...dutiesSettings.zh,
  ...signon.zh,
  ...exchange.zh,
  ...gateway.zh,
};
const en: Record<MessageKey, string> = {
  ...shell.en,
  ...admin.en,
  ...catalog.en,
  ...classify.en,
  ...sharing.en,
  ...audit.en,
  ...secops.en,
  ...secopsSettings.en,
  ...telemetry.en,
  ...open.en,
  ...duties.en,
  ...dutiesSettings.en,
  ...signon.en,
  ...exchange.en,
  ...gateway.en,
};

export type MessageKey = keyof typeof zh;

const dictionaries: Record<Lang, Record<MessageKey, string>> = { zh, en };

/** The placeholder names of a message text: 'a {x} b {y}' → 'x' | 'y'. */
type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;
/**
 * The values argument of t() for a key: none when its message has no placeholder. A key computed at
 * run time (a union) accepts the arguments of any of its members.
 */
export type Values<K extends MessageKey> = K extends MessageKey
  ? [Placeholders<(typeof zh)[K]>] extends [never]
    ? []
    : [values: Record<Placeholders<(typeof zh)[K]>, string | number>]
  : never;

/** A message with its placeholders filled; unknown ones are left as they are. */
function fill(text: string, values: Record<string, string | number> | undefined): string {
  if (!values) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

export interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  /**
   * The message in the console language; a message with placeholders (`{n}`) needs their values,
   * checked at compile time against the Chinese text: `t('cat.total', { n: 3 })`.
   */
  t<K extends MessageKey>(key: K, ...values: Values<K>): string;
  /**
   * The label of a code the server answers as plain text (an update cycle, a rule, a detected type):
   * the message `<prefix>.<code>` when the console has one, else the code itself. For codes the
   * schema types as an enum, prefer t(`prefix.${code}`): the compiler then checks every label exists.
   */
  label(prefix: string, code: string | number): string;
  /** A timestamp, one format in both languages: 2026-12-04 14:51:20, China time (chinaTime). */
  time(value: string | Date): string;
  /** A day, in the same format: 2026-12-04, China time. */
  date(value: string | Date): string;
  /** Between a label and its value: '：' in Chinese, ': ' in English. */
  colon: string;
  /** Between the items of a list: '、' in Chinese, ', ' in English. */
  sep: string;
  /** Between clauses (label: value pairs in a row): '；' in Chinese, '; ' in English. */
  semicolon: string;
  /** Text in brackets after a name: '（…）' in Chinese, ' (…)' in English. */
  paren(text: string | number): string;
  /** A count with the console language's digit grouping (zh-CN / en-US), not the browser's locale. */
  num(value: number): string;
}

const CHINA_OFFSET_MS = 8 * 3600_000;

/**
 * A timestamp as the console shows every one: `YYYY-MM-DD HH:mm:ss` in China time (UTC+8, no daylight
 * saving), the platform's clock — the server's sentences ("在 03:00 这一小时"), the duties clocks and
 * grant end dates use it too, so a page never shows one moment in two zones or two formats.
 */
export function chinaTime(value: string | Date | number): string {
  return new Date(new Date(value).getTime() + CHINA_OFFSET_MS).toISOString().replace('T', ' ').slice(0, 19);
}

/** The China day of a moment, `YYYY-MM-DD`. */
export function chinaDate(value: string | Date | number): string {
  return chinaTime(value).slice(0, 10);
}

/**
 * Date pickers name months and weekdays in the console language: antd's picker formats through
 * dayjs, whose Chinese locale is loaded above; the global locale follows the language switch too.
 */
function setPickerLocale(lang: Lang): void {
  dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');
}

const I18nContext = createContext<I18n | null>(null);

function initialLang(): Lang {
  return localStorage.getItem('pdx.lang') === 'en' ? 'en' : 'zh';
}

/** Current language for the API client, which lives outside React. */
export function currentLang(): Lang {
  return initialLang();
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  setPickerLocale(lang);
  const value = useMemo<I18n>(
    () => ({
      lang,
      setLang(next) {
        localStorage.setItem('pdx.lang', next);
        document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
        setLangState(next);
      },
      t: (key, ...[values]) => fill(dictionaries[lang][key], values),
      label: (prefix, code) => {
        const key = `${prefix}.${code}`;
        return key in dictionaries[lang] ? dictionaries[lang][key as MessageKey] : String(code);
      },
      time: chinaTime,
      date: chinaDate,
      colon: lang === 'zh' ? '：' : ': ',
      sep: lang === 'zh' ? '、' : ', ',
      semicolon: lang === 'zh' ? '；' : '; ',
      paren: (text) => (lang === 'zh' ? `（${text}）` : ` (${text})`),
      num: (n) => formatNumber(n, lang),
    }),
    [lang],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
