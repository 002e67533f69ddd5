import {
  AlertOutlined,
  ApiOutlined,
  ApartmentOutlined,
  AuditOutlined,
  CloudUploadOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  DeploymentUnitOutlined,
  GlobalOutlined,
  KeyOutlined,
  LogoutOutlined,
  SafetyCertificateOutlined,
  SolutionOutlined,
  SettingOutlined,
  ShareAltOutlined,
  TeamOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { App as AntApp, Button, ConfigProvider, Dropdown, Layout, Menu, Result, Space, Spin, Tag, Typography } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, Suspense, type ComponentType, type ReactNode } from 'react';
import { Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { useAuth, type Role } from './auth.tsx';
import { useI18n, type MessageKey } from './i18n.tsx';
import { AdminChangesPage, ChangesMenuLabel } from './pages/admin/AdminChanges.tsx';
import { ChangePasswordPage } from './pages/ChangePassword.tsx';
import { LoginPage } from './pages/Login.tsx';
import { NotificationBell, NotificationList } from './pages/sharing/Notifications.tsx';

/**
 * A page loaded when its route is first opened (its own chunk): the sign-in page and the shell load
 * none of them, and ECharts comes only with the pages that draw charts (components/Chart.tsx).
 */
function lazyPage<K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) {
  return lazy(() => load().then((m) => ({ default: m[name] })));
}

const OrgsPage = lazyPage(() => import('./pages/admin/Orgs.tsx'), 'OrgsPage');
const UsersPage = lazyPage(() => import('./pages/admin/Users.tsx'), 'UsersPage');
const ApiKeysPage = lazyPage(() => import('./pages/ApiKeys.tsx'), 'ApiKeysPage');
const AuditPage = lazyPage(() => import('./pages/audit/AuditPage.tsx'), 'AuditPage');
const CatalogRoutes = lazyPage(() => import('./pages/catalog/index.tsx'), 'CatalogRoutes');
const IngestRoutes = lazyPage(() => import('./pages/ingest/index.tsx'), 'IngestRoutes');
const ClassifyPage = lazyPage(() => import('./pages/classify/ClassifyPage.tsx'), 'ClassifyPage');
const OverviewPage = lazyPage(() => import('./pages/Overview.tsx'), 'OverviewPage');
const SecopsPage = lazyPage(() => import('./pages/secops/SecopsPage.tsx'), 'SecopsPage');
const OpenAdminRoutes = lazyPage(() => import('./pages/open/admin/index.tsx'), 'OpenAdminRoutes');
const SharingRoutes = lazyPage(() => import('./pages/sharing/index.tsx'), 'SharingRoutes');
const TelemetryPage = lazyPage(() => import('./pages/telemetry/TelemetryPage.tsx'), 'TelemetryPage');
const ObjectionsPage = lazyPage(() => import('./pages/duties/ObjectionsPage.tsx'), 'ObjectionsPage');
const GatewayPage = lazyPage(() => import('./pages/gateway/GatewayPage.tsx'), 'GatewayPage');

interface NavItem {
  path: string;
  label: MessageKey;
  icon: ReactNode;
  element?: ReactNode;
  /** Roles that see this entry; undefined: every signed-in user. */
  roles?: Role[];
  /** A label with more than text (a to-do count). */
  labelNode?: ReactNode;
  children?: NavItem[];
}

/** Every capability has a place in the navigation; each role sees what it may use. */
const NAV: NavItem[] = [
  { path: '/', label: 'nav.overview', icon: <DashboardOutlined />, element: <OverviewPage /> },
  { path: '/catalog', label: 'nav.catalog', icon: <DatabaseOutlined />, element: <CatalogRoutes /> },
  { path: '/ingest', label: 'nav.ingest', icon: <CloudUploadOutlined />, roles: ['data_officer'], element: <IngestRoutes /> },
  { path: '/classify', label: 'nav.classify', icon: <SafetyCertificateOutlined />, roles: ['data_officer', 'secadmin'], element: <ClassifyPage /> },
  { path: '/telemetry', label: 'nav.telemetry', icon: <DeploymentUnitOutlined />, roles: ['data_officer'], element: <TelemetryPage /> },
  { path: '/services', label: 'nav.gateway', icon: <ApiOutlined />, roles: ['data_officer', 'consumer', 'secadmin'], element: <GatewayPage /> },
  { path: '/sharing', label: 'nav.sharing', icon: <ShareAltOutlined />, roles: ['data_officer', 'consumer', 'secadmin'], element: <SharingRoutes /> },
  { path: '/duties/objections', label: 'nav.duties', icon: <AlertOutlined />, roles: ['data_officer', 'consumer', 'secadmin'], element: <ObjectionsPage /> },
  { path: '/api-keys', label: 'nav.apikeys', icon: <KeyOutlined />, roles: ['data_officer', 'consumer'], element: <ApiKeysPage /> },
  { path: '/opendata', label: 'nav.open', icon: <GlobalOutlined />, roles: ['data_officer', 'secadmin'], element: <OpenAdminRoutes /> },
  { path: '/audit', label: 'nav.audit', icon: <AuditOutlined />, roles: ['auditor'], element: <AuditPage /> },
  { path: '/secops', label: 'nav.secops', icon: <AlertOutlined />, roles: ['secadmin'], element: <SecopsPage /> },
  {
    path: '/admin',
    label: 'nav.admin',
    icon: <SettingOutlined />,
    roles: ['sysadmin', 'secadmin', 'auditor'],
    children: [
      { path: '/admin/users', label: 'admin.users', icon: <TeamOutlined />, roles: ['sysadmin'], element: <UsersPage /> },
      { path: '/admin/orgs', label: 'admin.orgs', icon: <ApartmentOutlined />, roles: ['sysadmin'], element: <OrgsPage /> },
      // The approvers' to-do: changes to administrator accounts waiting for a second administrator.
      { path: '/admin/changes', label: 'admin.changes', labelNode: <ChangesMenuLabel />, icon: <SolutionOutlined />, element: <AdminChangesPage /> },
    ],
  },
];

function ComingSoon() {
  const { t } = useI18n();
  return <Result status="info" title={t('soon.title')} subTitle={t('soon.body')} />;
}

function Shell() {
  const { lang, setLang, t } = useI18n();
  const { me, logout, has } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const allowed = (item: NavItem) => !item.roles || has(...item.roles);
  const visible = NAV.filter(allowed).map((item) => (item.children ? { ...item, children: item.children.filter(allowed) } : item));
  const leaves = visible.flatMap((item) => item.children ?? [item]);
  const selected = leaves.filter((item) => item.path !== '/' && location.pathname.startsWith(item.path))[0]?.path ?? '/';
  const roleTags = me?.roles.map((r) => <Tag key={r} color="blue">{t(`role.${r}`)}</Tag>);

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider width={208} breakpoint="lg" collapsedWidth={56} theme="dark">
        <div style={{ color: '#fff', padding: '18px 16px', fontWeight: 600, fontSize: 16, whiteSpace: 'nowrap', overflow: 'hidden' }}>
          <img src="/favicon.svg" alt="" width={22} style={{ verticalAlign: -5, marginRight: 8 }} />
          {t('app.short')}
        </div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[selected]}
          defaultOpenKeys={['/admin']}
          items={visible.map((item) => ({
            key: item.path,
            icon: item.icon,
            label: item.labelNode ?? t(item.label),
            children: item.children?.map((c) => ({ key: c.path, icon: c.icon, label: c.labelNode ?? t(c.label) })),
          }))}
          onClick={({ key }) => navigate(key)}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: '#fff', display: 'flex', alignItems: 'center', justifyContent: 'space-between', padding: '0 24px', borderBottom: '1px solid #f0f0f0' }}>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="app-title">
            {t('app.title')}
          </Typography.Title>
          <Space>
            <NotificationBell />
            <Button type="text" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-switch">
              {t('lang.switch')}
            </Button>
            <Dropdown
              menu={{
                items: [
                  { key: 'password', icon: <KeyOutlined />, label: t('pwd.title'), onClick: () => navigate('/account/password') },
                  { key: 'logout', icon: <LogoutOutlined />, label: t('logout'), onClick: () => void logout().then(() => navigate('/')) },
                ],
              }}
            >
              <Button type="text" icon={<UserOutlined />} data-testid="user-menu">
                {me?.displayName} · {me?.orgName} {roleTags}
              </Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: 24 }}>
          <Suspense fallback={<Spin size="large" style={{ display: 'block', marginTop: '20vh' }} />}>
            <Routes>
              {leaves.map((item) => (
                <Route key={item.path} path={item.path === '/' ? '/' : `${item.path}/*`} element={item.element ?? <ComingSoon />} />
              ))}
              <Route path="/account/password" element={<ChangePasswordPage />} />
              <Route path="/notifications" element={<NotificationList />} />
              <Route path="*" element={<Result status="404" title="404" subTitle={t('notfound')} />} />
            </Routes>
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

function Gate() {
  const { me } = useAuth();
  if (me === undefined) return <Spin size="large" style={{ display: 'block', marginTop: '40vh' }} />;
  if (me === null) return <LoginPage />;
  if (me.mustChangePassword) return <ChangePasswordPage forced />;
  return <Shell />;
}

export function App() {
  const { lang } = useI18n();
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={{ token: { colorPrimary: '#1668dc' } }}>
      <AntApp>
        <Gate />
      </AntApp>
    </ConfigProvider>
  );
}
