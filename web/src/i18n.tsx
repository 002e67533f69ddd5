import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';

/** Console languages: Chinese first, English available. */
export type Lang = 'zh' | 'en';

const zh = {
  'app.title': '公共数据共享交换平台',
  'app.short': 'pdx',
  'nav.overview': '总览',
  'nav.catalog': '数据目录',
  'nav.ingest': '数据汇聚',
  'nav.classify': '分类分级',
  'nav.sharing': '数据共享',
  'nav.open': '数据开放',
  'nav.audit': '审计日志',
  'nav.secops': '安全运营',
  'nav.admin': '系统管理',
  'lang.switch': 'English',
  'overview.welcome': '欢迎使用公共数据共享交换平台',
  'overview.intro': '汇聚各部门公共数据,在批准的授权下跨地区、跨部门、跨层级共享,依法开放,并以分类分级、加密存储、脱敏使用、全程留痕和安全运营保护全部数据。',
  'overview.status': '平台状态',
  'overview.version': '版本',
  'overview.database': '数据库',
  'overview.health': '运行状况',
  'overview.healthy': '正常',
  'overview.unhealthy': '不可用',
  'db.pglite': '内嵌 PostgreSQL(PGlite)',
  'db.postgres': 'PostgreSQL 服务器',
  'soon.title': '即将上线',
  'soon.body': '该功能正在建设中。',
  'notfound': '页面不存在',
} as const;

export type MessageKey = keyof typeof zh;

const en: Record<MessageKey, string> = {
  'app.title': 'Public Data Exchange',
  'app.short': 'pdx',
  'nav.overview': 'Overview',
  'nav.catalog': 'Catalogue',
  'nav.ingest': 'Aggregation',
  'nav.classify': 'Classification',
  'nav.sharing': 'Sharing',
  'nav.open': 'Open data',
  'nav.audit': 'Audit log',
  'nav.secops': 'Security operations',
  'nav.admin': 'Administration',
  'lang.switch': '中文',
  'overview.welcome': 'Welcome to the Public Data Exchange',
  'overview.intro':
    'Aggregates public data from every department, shares it across regions, departments and levels of government under approved grants, opens what may be opened, and protects all of it with classification, encryption, desensitization, a tamper-evident record and security operations.',
  'overview.status': 'Platform status',
  'overview.version': 'Version',
  'overview.database': 'Database',
  'overview.health': 'Health',
  'overview.healthy': 'Healthy',
  'overview.unhealthy': 'Unavailable',
  'db.pglite': 'Embedded PostgreSQL (PGlite)',
  'db.postgres': 'PostgreSQL server',
  'soon.title': 'Coming soon',
  'soon.body': 'This capability is being built.',
  'notfound': 'Page not found',
};

const dictionaries: Record<Lang, Record<MessageKey, string>> = { zh, en };

interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t(key: MessageKey): string;
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
  const value = useMemo<I18n>(
    () => ({
      lang,
      setLang(next) {
        localStorage.setItem('pdx.lang', next);
        document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
        setLangState(next);
      },
      t: (key) => dictionaries[lang][key],
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
