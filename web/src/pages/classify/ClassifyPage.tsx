import { Alert, Button, Table, Tabs, Typography } from 'antd';
import { Route, Routes, useNavigate } from 'react-router-dom';
import { classifyApi, type ReviewSummary } from '../../api/classify.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { CandidatesPanel, PolicyPanel } from './CandidatesPage.tsx';
import { GradeTag, LevelTag, StateTag } from './common.tsx';
import { ReviewPage } from './ReviewPage.tsx';

/** Datasets with loaded data and their review state; those needing review first. */
function DatasetList() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { data: items, error } = useLoad(async () => {
    const r = await classifyApi.list();
    return [...r.items].sort((a, b) => Number(a.state === 'confirmed') - Number(b.state === 'confirmed'));
  }, []);
  if (error) return <Alert type="error" showIcon message={error} />;
  return (
    <Table<ReviewSummary>
      rowKey="code"
      loading={!items}
      dataSource={items}
      locale={{ emptyText: t('cls.empty') }}
      columns={[
        {
          title: t('cls.col.dataset'),
          dataIndex: 'name',
          render: (name: string, d) => (
            <>
              <Typography.Text strong>{name}</Typography.Text>
              <br />
              <Typography.Text type="secondary">{d.code}</Typography.Text>
            </>
          ),
        },
        { title: t('cls.col.provider'), dataIndex: 'providerName' },
        { title: t('cls.col.version'), dataIndex: 'currentVersion', render: (v: number) => `v${v}` },
        { title: t('cls.col.state'), dataIndex: 'state', render: (_, d) => <StateTag state={d.state} /> },
        { title: t('cls.col.grade'), render: (_, d) => <GradeTag grade={d.effectiveGrade} /> },
        { title: t('cls.col.level'), render: (_, d) => <LevelTag level={d.level} candidate={d.important.candidate && !d.important.decision} /> },
        {
          title: t('common.actions'),
          render: (_, d) => (
            <Button type="link" onClick={() => navigate(`/classify/${d.code}`)} data-testid={`review-${d.code}`}>
              {t('cls.review')}
            </Button>
          ),
        },
      ]}
    />
  );
}

function Home() {
  const { t } = useI18n();
  const { has } = useAuth();
  if (!has('secadmin')) return <DatasetList />;
  return (
    <Tabs
      items={[
        { key: 'candidates', label: t('cls.tab.candidates'), children: <CandidatesPanel /> },
        { key: 'policy', label: t('cls.tab.policy'), children: <PolicyPanel /> },
        { key: 'datasets', label: t('cls.tab.datasets'), children: <DatasetList /> },
      ]}
    />
  );
}

/** /classify: the review list (officers), the 重要数据 queue and policy (secadmin); /classify/:code: one review. */
export function ClassifyPage() {
  return (
    <Routes>
      <Route index element={<Home />} />
      <Route path=":code" element={<ReviewPage />} />
    </Routes>
  );
}
