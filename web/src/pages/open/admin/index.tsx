import { GlobalOutlined } from '@ant-design/icons';
import { Alert, App, Badge, Button, Card, Space, Table, Tabs, Tag, Typography } from 'antd';
import { Route, Routes, useNavigate, useSearchParams } from 'react-router-dom';
import { manageApi, type Application, type Release } from '../../../api/open.ts';
import { useAuth } from '../../../auth.tsx';
import { useLoad } from '../../../hooks/useLoad.ts';
import { useI18n } from '../../../i18n.tsx';
import { ApplicationsTab, FeedbackTab, SettingsTab } from './Moderation.tsx';
import { ReleaseStateTag } from './common.tsx';
import { ReleaseEditor } from './ReleaseEditor.tsx';

function ReleasesTab() {
  const { t, time } = useI18n();
  const { has } = useAuth();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { data: candidates = [] } = useLoad(async () => (await manageApi.candidates()).items, [has], { when: has('data_officer') });
  const { data: releases, error } = useLoad(async () => (await manageApi.releases()).items, [has]);
  const start = (code: string) =>
    manageApi.create(code).then(
      (r) => navigate(`/opendata/releases/${r.id}`),
      (e: Error) => message.error(e.message),
    );
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {has('data_officer') && (
        <Card size="small" title={t('oa.candidates')} extra={<Typography.Text type="secondary">{t('oa.candidatesHint')}</Typography.Text>}>
          <Table
            size="small"
            rowKey="code"
            pagination={false}
            dataSource={candidates}
            columns={[
              {
                title: t('oa.col.dataset'),
                render: (_, d) => (
                  <>
                    {d.name} <Typography.Text type="secondary">{d.code}</Typography.Text>
                  </>
                ),
              },
              {
                title: t('oa.col.openType'),
                dataIndex: 'openType',
                render: (v: string) => t(v === 'conditional' ? 'op.open.conditional' : 'op.open.unconditional'),
              },
              { title: t('oa.col.rows'), dataIndex: 'rows', render: (v: number) => v.toLocaleString('en-US') },
              { title: t('oa.col.version'), dataIndex: 'version' },
              {
                title: t('oa.col.actions'),
                render: (_, d) => (
                  <Button size="small" onClick={() => void start(d.code)} data-testid={`new-release-${d.code}`}>
                    {t('oa.newRelease')}
                  </Button>
                ),
              },
            ]}
          />
        </Card>
      )}
      <Card size="small" title={t('oa.releases')}>
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
        <Table<Release>
          size="small"
          rowKey="id"
          loading={!releases && !error}
          dataSource={releases}
          columns={[
            {
              title: t('oa.col.dataset'),
              render: (_, r) => (
                <>
                  {r.dataset.name} <Typography.Text type="secondary">{r.dataset.code}</Typography.Text>
                </>
              ),
            },
            { title: t('oa.col.release'), dataIndex: 'number' },
            {
              title: t('oa.col.state'),
              render: (_, r) => (
                <Space size={4}>
                  <ReleaseStateTag state={r.state} />
                  {r.report && !r.report.passed && r.state === 'draft' && <Tag color="orange">{t('oa.checkFailed')}</Tag>}
                </Space>
              ),
            },
            {
              title: t('oa.col.openType'),
              dataIndex: 'openType',
              render: (v: string) => t(v === 'conditional' ? 'op.open.conditional' : 'op.open.unconditional'),
            },
            { title: t('oa.col.rows'), dataIndex: 'rowCount', render: (v: number | null) => (v === null ? '—' : v.toLocaleString('en-US')) },
            { title: t('oa.col.published'), dataIndex: 'publishedAt', render: (v: string | null) => (v ? time(v) : '—') },
            {
              title: t('oa.col.actions'),
              render: (_, r) => (
                <Button type="link" onClick={() => navigate(`/opendata/releases/${r.id}`)} data-testid={`open-release-${r.dataset.code}`}>
                  {t('oa.open')}
                </Button>
              ),
            },
          ]}
        />
      </Card>
    </Space>
  );
}

function OpenAdminHome() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const { data: pending = 0 } = useLoad(async () => (await manageApi.applications()).items.filter((a: Application) => a.state === 'submitted').length, []);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('oa.title')}
        </Typography.Title>
        <a href="/open" target="_blank" rel="noreferrer">
          <Button icon={<GlobalOutlined />}>{t('oa.portal')}</Button>
        </a>
      </Space>
      <Tabs
        activeKey={params.get('tab') ?? 'releases'}
        onChange={(tab) => setParams({ tab })}
        items={[
          { key: 'releases', label: t('oa.tab.releases'), children: <ReleasesTab /> },
          {
            key: 'applications',
            label: (
              <Badge count={pending} size="small" offset={[8, 0]}>
                {t('oa.tab.applications')}
              </Badge>
            ),
            children: <ApplicationsTab />,
          },
          { key: 'feedback', label: t('oa.tab.feedback'), children: <FeedbackTab /> },
          { key: 'settings', label: t('oa.tab.settings'), children: <SettingsTab /> },
        ]}
      />
    </Space>
  );
}

/** /opendata (releases, applications, moderation, settings) and /opendata/releases/:id (one release). */
export function OpenAdminRoutes() {
  return (
    <Routes>
      <Route index element={<OpenAdminHome />} />
      <Route path="releases/:id" element={<ReleaseEditor />} />
    </Routes>
  );
}
