import {
  AlertOutlined,
  ApiOutlined,
  ApartmentOutlined,
  AuditOutlined,
  BarChartOutlined,
  CloudUploadOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  DeploymentUnitOutlined,
  FieldTimeOutlined,
  GlobalOutlined,
  KeyOutlined,
  LogoutOutlined,
  MenuOutlined,
  RollbackOutlined,
  SafetyCertificateOutlined,
  SendOutlined,
  ClusterOutlined,
  SolutionOutlined,
  SettingOutlined,
  ShareAltOutlined,
  SwapOutlined,
  TeamOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { App as AntApp, Button, ConfigProvider, Drawer, Dropdown, Grid, Layout, Menu, Result, Space, Spin, Tag, Typography } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, Suspense, useState, type ComponentType, type ReactNode } from 'react';
import './shell.css';
import { Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { useAuth, type Role } from './auth.tsx';
import { useI18n, type MessageKey } from './i18n.tsx';
import { AdminChangesPage, ChangesMenuLabel } from './pages/admin/AdminChanges.tsx';
import { ChangePasswordPage } from './pages/ChangePassword.tsx';
import { LoginPage } from './pages/Login.tsx';
import { NotificationBell, NotificationList } from './pages/sharing/Notifications.tsx';
import { motionSettings, useReducedMotion } from './hooks/useReducedMotion.ts';

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
const ReturnFlowPage = lazyPage(() => import('./pages/duties/ReturnFlowPage.tsx'), 'ReturnFlowPage');
const DemandsPage = lazyPage(() => import('./pages/duties/DemandsPage.tsx'), 'DemandsPage');
const EvaluationPage = lazyPage(() => import('./pages/duties/EvaluationPage.tsx'), 'EvaluationPage');
const DutiesSettingsPage = lazyPage(() => import('./pages/duties/settings/DutiesSettingsPage.tsx'), 'DutiesSettingsPage');
const GatewayPage = lazyPage(() => import('./pages/gateway/GatewayPage.tsx'), 'GatewayPage');
const PushPage = lazyPage(() => import('./pages/exchange/PushPage.tsx'), 'PushPage');
const SourcesPage = lazyPage(() => import('./pages/exchange/SourcesPage.tsx'), 'SourcesPage');

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

/** The public open-data portal (main.tsx), linked from every role's menu. */
const PORTAL = '/open';

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
  { path: '/duties/return-flows', label: 'nav.returnFlow', icon: <RollbackOutlined />, roles: ['data_officer', 'secadmin'], element: <ReturnFlowPage /> },
  { path: '/duties/demands', label: 'nav.demands', icon: <SwapOutlined />, roles: ['data_officer', 'consumer', 'secadmin'], element: <DemandsPage /> },
  // Scores, 部门履职统计 and usage: the roles of GET /api/v1/duties/scores, /departments and /usage.
  { path: '/duties/evaluation', label: 'nav.evaluation', icon: <BarChartOutlined />, roles: ['data_officer', 'secadmin'], element: <EvaluationPage /> },
  // GET/PUT /api/v1/duties/settings: the security administrator's only.
  { path: '/duties/settings', label: 'nav.dutiesSettings', icon: <FieldTimeOutlined />, roles: ['secadmin'], element: <DutiesSettingsPage /> },
  { path: '/sources', label: 'nav.sources', icon: <ClusterOutlined />, roles: ['data_officer'], element: <SourcesPage /> },
  { path: '/push', label: 'nav.push', icon: <SendOutlined />, roles: ['data_officer', 'consumer'], element: <PushPage /> },
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

/** Below this width (antd's md breakpoint, 768 px) the shell is a phone's: a drawer menu and a compact header. */
function usePhone(): boolean {
  const screens = Grid.useBreakpoint();
  // Before the first measurement useBreakpoint answers {}: treat it as a wide screen.
  return screens.md === false;
}

function Shell() {
  const { lang, setLang, t } = useI18n();
  const { me, logout, has } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const phone = usePhone();
  const [drawer, setDrawer] = useState(false);
  const allowed = (item: NavItem) => !item.roles || has(...item.roles);
  const visible = NAV.filter(allowed).map((item) => (item.children ? { ...item, children: item.children.filter(allowed) } : item));
  const leaves = visible.flatMap((item) => item.children ?? [item]);
  const selected = leaves.filter((item) => item.path !== '/' && location.pathname.startsWith(item.path))[0]?.path ?? '/';
  const roleTags = me?.roles.map((r) => (
    <Tag key={r} color="blue">
      {t(`role.${r}`)}
    </Tag>
  ));

  const brand = (
    <div style={{ color: '#fff', padding: '18px 16px', fontWeight: 600, fontSize: 16, whiteSpace: 'nowrap', overflow: 'hidden' }}>
      <img src="/favicon.svg" alt="" width={22} style={{ verticalAlign: -5, marginRight: 8 }} />
      {t('app.short')}
    </div>
  );
  const menu = (
    <Menu
      theme="dark"
      mode="inline"
      selectedKeys={[selected]}
      defaultOpenKeys={['/admin']}
      items={[
        ...visible.map((item) => ({
          key: item.path,
          icon: item.icon,
          label: item.labelNode ?? t(item.label),
          children: item.children?.map((c) => ({ key: c.path, icon: c.icon, label: c.labelNode ?? t(c.label) })),
        })),
        // The public open-data portal (no sign-in), in a tab of its own.
        {
          key: PORTAL,
          icon: <GlobalOutlined />,
          label: (
            <a href={PORTAL} target="_blank" rel="noreferrer" data-testid="nav-portal">
              {t('nav.portal')}
            </a>
          ),
        },
      ]}
      onClick={({ key }) => {
        if (key === PORTAL) return;
        setDrawer(false);
        navigate(key);
      }}
    />
  );

  return (
    <Layout style={{ minHeight: '100vh' }}>
      {!phone && (
        <Layout.Sider width={208} breakpoint="lg" collapsedWidth={56} theme="dark">
          {brand}
          {menu}
        </Layout.Sider>
      )}
      {phone && (
        <Drawer
          open={drawer}
          onClose={() => setDrawer(false)}
          placement="left"
          size={248}
          closable={false}
          styles={{ body: { padding: 0, background: '#001529' }, header: { display: 'none' } }}
          data-testid="nav-drawer"
        >
          {brand}
          {menu}
        </Drawer>
      )}
      <Layout style={{ minWidth: 0 }}>
        <Layout.Header
          style={{
            background: '#fff',
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'space-between',
            gap: 8,
            padding: phone ? '0 8px' : '0 24px',
            borderBottom: '1px solid #f0f0f0',
          }}
        >
          <Space size={4} style={{ minWidth: 0 }}>
            {phone && <Button type="text" icon={<MenuOutlined />} aria-label={t('nav.menu')} onClick={() => setDrawer(true)} data-testid="nav-toggle" />}
            <Typography.Title level={4} style={{ margin: 0, whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }} data-testid="app-title">
              {phone ? t('app.short') : t('app.title')}
            </Typography.Title>
          </Space>
          <Space size={phone ? 0 : 8}>
            <NotificationBell />
            <Button type="text" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-switch">
              {t('lang.switch')}
            </Button>
            <Dropdown
              menu={{
                items: [
                  // On a phone the header shows only an icon: the name, organisation and roles are here.
                  ...(phone
                    ? [
                        {
                          key: 'who',
                          disabled: true,
                          label: (
                            <span data-testid="user-who">
                              {me?.displayName} · {me?.orgName} {roleTags}
                            </span>
                          ),
                        },
                      ]
                    : []),
                  { key: 'password', icon: <KeyOutlined />, label: t('pwd.title'), onClick: () => navigate('/account/password') },
                  { key: 'logout', icon: <LogoutOutlined />, label: t('logout'), onClick: () => void logout().then(() => navigate('/')) },
                ],
              }}
            >
              <Button type="text" icon={<UserOutlined />} data-testid="user-menu" aria-label={me?.displayName}>
                {!phone && (
                  <>
                    {me?.displayName} · {me?.orgName} {roleTags}
                  </>
                )}
              </Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: phone ? 8 : 24, minWidth: 0 }} className={phone ? 'pdx-phone' : undefined}>
          <Suspense fallback={<Spin size="large" style={{ display: 'block', marginTop: '20vh' }} />}>
            <Routes>
              {leaves.flatMap((item) =>
                item.element ? [<Route key={item.path} path={item.path === '/' ? '/' : `${item.path}/*`} element={item.element} />] : [],
              )}
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
  const motion = motionSettings(useReducedMotion());
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={{ token: { colorPrimary: '#1668dc', ...motion.token } }} wave={motion.wave}>
      <AntApp>
        <Gate />
      </AntApp>
    </ConfigProvider>
  );
}
