import {
  AlertOutlined,
  AuditOutlined,
  CloudUploadOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  GlobalOutlined,
  SafetyCertificateOutlined,
  SettingOutlined,
  ShareAltOutlined,
} from '@ant-design/icons';
import { App as AntApp, Button, ConfigProvider, Layout, Menu, Result, Typography } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import type { ReactNode } from 'react';
import { Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { useI18n, type MessageKey } from './i18n.tsx';
import { OverviewPage } from './pages/Overview.tsx';

interface NavItem {
  path: string;
  label: MessageKey;
  icon: ReactNode;
  element?: ReactNode;
}

/** Every capability of the platform has a place in the navigation. */
const NAV: NavItem[] = [
  { path: '/', label: 'nav.overview', icon: <DashboardOutlined />, element: <OverviewPage /> },
  { path: '/catalog', label: 'nav.catalog', icon: <DatabaseOutlined /> },
  { path: '/ingest', label: 'nav.ingest', icon: <CloudUploadOutlined /> },
  { path: '/classify', label: 'nav.classify', icon: <SafetyCertificateOutlined /> },
  { path: '/sharing', label: 'nav.sharing', icon: <ShareAltOutlined /> },
  { path: '/open', label: 'nav.open', icon: <GlobalOutlined /> },
  { path: '/audit', label: 'nav.audit', icon: <AuditOutlined /> },
  { path: '/secops', label: 'nav.secops', icon: <AlertOutlined /> },
  { path: '/admin', label: 'nav.admin', icon: <SettingOutlined /> },
];

function ComingSoon() {
  const { t } = useI18n();
  return <Result status="info" title={t('soon.title')} subTitle={t('soon.body')} />;
}

export function App() {
  const { lang, setLang, t } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const selected = NAV.filter((item) => item.path !== '/' && location.pathname.startsWith(item.path))[0]?.path ?? '/';

  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={{ token: { colorPrimary: '#1668dc' } }}>
      <AntApp>
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
              items={NAV.map((item) => ({ key: item.path, icon: item.icon, label: t(item.label) }))}
              onClick={({ key }) => navigate(key)}
            />
          </Layout.Sider>
          <Layout>
            <Layout.Header
              style={{ background: '#fff', display: 'flex', alignItems: 'center', justifyContent: 'space-between', padding: '0 24px', borderBottom: '1px solid #f0f0f0' }}
            >
              <Typography.Title level={4} style={{ margin: 0 }} data-testid="app-title">
                {t('app.title')}
              </Typography.Title>
              <Button type="text" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-switch">
                {t('lang.switch')}
              </Button>
            </Layout.Header>
            <Layout.Content style={{ padding: 24 }}>
              <Routes>
                {NAV.map((item) => (
                  <Route key={item.path} path={item.path === '/' ? '/' : `${item.path}/*`} element={item.element ?? <ComingSoon />} />
                ))}
                <Route path="*" element={<Result status="404" title="404" subTitle={t('notfound')} />} />
              </Routes>
            </Layout.Content>
          </Layout>
        </Layout>
      </AntApp>
    </ConfigProvider>
  );
}
