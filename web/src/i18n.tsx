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
  'login.title': '登录',
  'login.username': '用户名',
  'login.password': '密码',
  'login.submit': '登录',
  'login.subtitle': '辽宁省公共数据共享交换平台',
  'logout': '退出登录',
  'pwd.title': '修改密码',
  'pwd.required': '首次登录或密码被重置后,须先设置新密码。',
  'pwd.current': '当前密码',
  'pwd.new': '新密码',
  'pwd.confirm': '确认新密码',
  'pwd.mismatch': '两次输入的新密码不一致',
  'pwd.policy': '至少 10 个字符,包含大写字母、小写字母、数字、符号中的至少三类,不能包含用户名。',
  'pwd.submit': '保存新密码',
  'pwd.done': '密码已修改',
  'role.sysadmin': '系统管理员',
  'role.secadmin': '安全管理员',
  'role.auditor': '审计管理员',
  'role.data_officer': '数据管理员',
  'role.consumer': '数据使用方',
  'nav.apikeys': 'API 密钥',
  'admin.users': '用户',
  'admin.orgs': '机构',
  'users.new': '新建用户',
  'users.username': '用户名',
  'users.displayName': '姓名',
  'users.org': '所属机构',
  'users.roles': '角色',
  'users.status': '状态',
  'users.lastLogin': '最近登录',
  'users.locked': '已锁定',
  'users.disabled': '已停用',
  'users.active': '正常',
  'users.mustChange': '待改密',
  'users.edit': '编辑',
  'users.reset': '重置密码',
  'users.unlock': '解锁',
  'users.disable': '停用',
  'users.enable': '启用',
  'users.created': '用户已创建',
  'users.passwordOnce': '初始密码只显示这一次,请安全地交给用户。用户首次登录时须修改密码。',
  'users.separation': '三员分立:系统管理员、安全管理员、审计管理员不能由同一账号兼任。',
  'orgs.new': '新建机构',
  'orgs.name': '机构名称',
  'orgs.type': '类型',
  'orgs.level': '层级',
  'orgs.uscc': '统一社会信用代码',
  'orgs.region': '行政区划代码',
  'orgs.parent': '上级机构',
  'orgs.type.authority': '平台管理机构',
  'orgs.type.government': '人民政府',
  'orgs.type.department': '部门',
  'orgs.type.enterprise': '企业',
  'orgs.level.province': '省级',
  'orgs.level.city': '市级',
  'orgs.level.county': '县/区级',
  'keys.new': '新建 API 密钥',
  'keys.name': '名称',
  'keys.prefix': '前缀',
  'keys.expires': '过期时间',
  'keys.never': '不过期',
  'keys.lastUsed': '最近使用',
  'keys.state': '状态',
  'keys.state.active': '有效',
  'keys.state.revoked': '已吊销',
  'keys.state.expired': '已过期',
  'keys.revoke': '吊销',
  'keys.revokeConfirm': '吊销后使用此密钥的应用将立即无法访问,确定吊销吗?',
  'keys.once': '密钥只显示这一次,请立即复制并妥善保存。平台只保存其哈希值。',
  'keys.usage': '调用时在请求头中携带:Authorization: Bearer <密钥>',
  'common.create': '创建',
  'common.save': '保存',
  'common.cancel': '取消',
  'common.ok': '确定',
  'common.actions': '操作',
  'common.close': '关闭',
  'common.never': '从未',
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
  'login.title': 'Sign in',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.subtitle': 'Liaoning Public Data Exchange',
  'logout': 'Sign out',
  'pwd.title': 'Change password',
  'pwd.required': 'After first sign-in or a reset you must set a new password first.',
  'pwd.current': 'Current password',
  'pwd.new': 'New password',
  'pwd.confirm': 'Confirm new password',
  'pwd.mismatch': 'The new passwords do not match',
  'pwd.policy': 'At least 10 characters, three of: upper case, lower case, digits, symbols; must not contain the username.',
  'pwd.submit': 'Save new password',
  'pwd.done': 'Password changed',
  'role.sysadmin': 'System administrator',
  'role.secadmin': 'Security administrator',
  'role.auditor': 'Auditor',
  'role.data_officer': 'Data officer',
  'role.consumer': 'Data consumer',
  'nav.apikeys': 'API keys',
  'admin.users': 'Users',
  'admin.orgs': 'Organisations',
  'users.new': 'New user',
  'users.username': 'Username',
  'users.displayName': 'Name',
  'users.org': 'Organisation',
  'users.roles': 'Roles',
  'users.status': 'Status',
  'users.lastLogin': 'Last sign-in',
  'users.locked': 'Locked',
  'users.disabled': 'Disabled',
  'users.active': 'Active',
  'users.mustChange': 'Must change password',
  'users.edit': 'Edit',
  'users.reset': 'Reset password',
  'users.unlock': 'Unlock',
  'users.disable': 'Disable',
  'users.enable': 'Enable',
  'users.created': 'User created',
  'users.passwordOnce': 'The initial password is shown only once; hand it to the user securely. It must be changed at first sign-in.',
  'users.separation': 'Separation of duties: one account cannot be more than one of system administrator, security administrator, auditor.',
  'orgs.new': 'New organisation',
  'orgs.name': 'Name',
  'orgs.type': 'Type',
  'orgs.level': 'Level',
  'orgs.uscc': 'Unified social credit code',
  'orgs.region': 'Region code',
  'orgs.parent': 'Parent',
  'orgs.type.authority': 'Platform authority',
  'orgs.type.government': "People's government",
  'orgs.type.department': 'Department',
  'orgs.type.enterprise': 'Enterprise',
  'orgs.level.province': 'Province',
  'orgs.level.city': 'City',
  'orgs.level.county': 'County/district',
  'keys.new': 'New API key',
  'keys.name': 'Name',
  'keys.prefix': 'Prefix',
  'keys.expires': 'Expires',
  'keys.never': 'Never',
  'keys.lastUsed': 'Last used',
  'keys.state': 'State',
  'keys.state.active': 'Active',
  'keys.state.revoked': 'Revoked',
  'keys.state.expired': 'Expired',
  'keys.revoke': 'Revoke',
  'keys.revokeConfirm': 'Applications using this key lose access at once. Revoke it?',
  'keys.once': 'The key is shown only this once: copy it now and keep it safe. The platform stores only its hash.',
  'keys.usage': 'Send it as the header: Authorization: Bearer <key>',
  'common.create': 'Create',
  'common.save': 'Save',
  'common.cancel': 'Cancel',
  'common.ok': 'OK',
  'common.actions': 'Actions',
  'common.close': 'Close',
  'common.never': 'Never',
};

const dictionaries: Record<Lang, Record<MessageKey, string>> = { zh, en };

interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t(key: MessageKey): string;
  /** A timestamp in the console language's conventions. */
  time(value: string | Date): string;
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
      time: (value) => new Date(value).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false }),
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
