import { Tabs } from 'antd';
import { Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { useI18n } from '../../i18n.tsx';
import { AccessHistoryPage } from './AccessHistoryPage.tsx';
import { AuditSearchPage } from './SearchPage.tsx';

/** The auditor's console (mounted at /audit/*): log search with proofs, and data access history. */
export function AuditPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const tab = pathname.startsWith('/audit/access') ? 'access' : 'records';
  return (
    <>
      <Tabs
        activeKey={tab}
        onChange={(key) => navigate(key === 'access' ? '/audit/access' : '/audit')}
        items={[
          { key: 'records', label: t('audit.tab.records') },
          { key: 'access', label: t('audit.tab.access') },
        ]}
        style={{ marginBottom: 0 }}
      />
      <Routes>
        <Route path="access" element={<AccessHistoryPage />} />
        <Route path="*" element={<AuditSearchPage />} />
      </Routes>
    </>
  );
}
