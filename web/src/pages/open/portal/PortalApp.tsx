import { MenuOutlined } from '@ant-design/icons';
import { App as AntApp, Button, ConfigProvider, Drawer, Grid, Layout, Menu, Result, Space, Typography } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { useState } from 'react';
import { Link, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { useI18n, type MessageKey } from '../../../i18n.tsx';
import { AccountPage, LoginPage, RegisterPage, ResetPage, VerifyPage } from './Account.tsx';
import { SocietyProvider, useSociety } from './common.tsx';
import { DemandsPage, ShowcasesPage } from './Community.tsx';
import { DatasetPage } from './Dataset.tsx';
import { DepartmentPage, DepartmentsPage } from './Departments.tsx';
import { DeveloperPage } from './Developer.tsx';
import { HomePage } from './Home.tsx';
import { SearchPage } from './Search.tsx';
import { motionSettings, useReducedMotion } from '../../../hooks/useReducedMotion.ts';

const NAV: { path: string; label: MessageKey }[] = [
  { path: '/open', label: 'op.nav.home' },
  { path: '/open/datasets', label: 'op.nav.datasets' },
  { path: '/open/departments', label: 'op.nav.departments' },
  { path: '/open/demands', label: 'op.nav.demands' },
  { path: '/open/showcases', label: 'op.nav.showcases' },
  { path: '/open/developer', label: 'op.nav.developer' },
];

function Header() {
  const { t, lang, setLang } = useI18n();
  const { me, signOut } = useSociety();
  const navigate = useNavigate();
  const location = useLocation();
  const screens = Grid.useBreakpoint();
  const [drawer, setDrawer] = useState(false);
  const selected = [...NAV].reverse().find((n) => (n.path === '/open' ? location.pathname === '/open' : location.pathname.startsWith(n.path)))?.path ?? '';
  const items = NAV.map((n) => ({ key: n.path, label: t(n.label) }));
  const account = me ? (
    <Space size={4}>
      <Button type="link" onClick={() => navigate('/open/account')} data-testid="portal-account">
        {me.displayName}
      </Button>
      <Button type="text" onClick={() => void signOut().then(() => navigate('/open'))}>
        {t('op.nav.logout')}
      </Button>
    </Space>
  ) : (
    <Space size={4}>
      <Button type="link" onClick={() => navigate('/open/login')} data-testid="portal-login">
        {t('op.nav.login')}
      </Button>
      <Button type="primary" size="small" onClick={() => navigate('/open/register')} data-testid="portal-register">
        {t('op.nav.register')}
      </Button>
    </Space>
  );
  return (
    <Layout.Header
      style={{
        background: '#fff',
        borderBottom: '1px solid #f0f0f0',
        padding: '0 16px',
        display: 'flex',
        alignItems: 'center',
        gap: 12,
        position: 'sticky',
        top: 0,
        zIndex: 10,
      }}
    >
      <Link to="/open" style={{ display: 'flex', alignItems: 'center', gap: 8, whiteSpace: 'nowrap' }}>
        <img src="/favicon.svg" alt="" width={24} />
        <Typography.Text strong style={{ fontSize: 16 }} data-testid="portal-title">
          {t('op.title')}
        </Typography.Text>
      </Link>
      {screens.md ? (
        <Menu
          mode="horizontal"
          selectedKeys={[selected]}
          items={items}
          onClick={({ key }) => navigate(key)}
          style={{ flex: 1, minWidth: 0, borderBottom: 'none' }}
        />
      ) : (
        <div style={{ flex: 1 }} />
      )}
      <Button type="text" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="portal-lang">
        {t('lang.switch')}
      </Button>
      {screens.md ? account : <Button type="text" icon={<MenuOutlined />} onClick={() => setDrawer(true)} aria-label="menu" data-testid="portal-menu" />}
      <Drawer open={drawer} onClose={() => setDrawer(false)} placement="right" width={260} title={t('op.title')}>
        <Menu
          mode="vertical"
          selectedKeys={[selected]}
          items={items}
          onClick={({ key }) => {
            setDrawer(false);
            navigate(key);
          }}
        />
        <div style={{ marginTop: 16 }} onClick={() => setDrawer(false)}>
          {account}
        </div>
      </Drawer>
    </Layout.Header>
  );
}

/**
 * The public open-data portal at /open: its own layout (no console shell, no console sign-in), a
 * phone-friendly header, Chinese first with English one click away, society users' own session.
 */
export function PortalApp() {
  const { lang, t } = useI18n();
  const motion = motionSettings(useReducedMotion());
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={{ token: { colorPrimary: '#0e7c66', ...motion.token } }} wave={motion.wave}>
      <AntApp>
        <SocietyProvider>
          <Layout style={{ minHeight: '100vh', background: '#f5f7f6' }}>
            <Header />
            <Layout.Content style={{ width: '100%', maxWidth: 1200, margin: '0 auto', padding: '16px 12px 32px' }}>
              <Routes>
                <Route index element={<HomePage />} />
                <Route path="datasets" element={<SearchPage />} />
                <Route path="datasets/:code" element={<DatasetPage />} />
                <Route path="departments" element={<DepartmentsPage />} />
                <Route path="departments/:id" element={<DepartmentPage />} />
                <Route path="demands" element={<DemandsPage />} />
                <Route path="showcases" element={<ShowcasesPage />} />
                <Route path="developer" element={<DeveloperPage />} />
                <Route path="login" element={<LoginPage />} />
                <Route path="register" element={<RegisterPage />} />
                <Route path="verify" element={<VerifyPage />} />
                <Route path="reset" element={<ResetPage />} />
                <Route path="account" element={<AccountPage />} />
                <Route path="*" element={<Result status="404" title="404" subTitle={t('notfound')} />} />
              </Routes>
            </Layout.Content>
            <Layout.Footer style={{ textAlign: 'center', fontSize: 12, color: '#888' }}>
              {t('op.footer')} · <a href="/open/catalog.jsonld">catalog.jsonld</a> · <a href="/">{t('op.nav.console')}</a>
            </Layout.Footer>
          </Layout>
        </SocietyProvider>
      </AntApp>
    </ConfigProvider>
  );
}
