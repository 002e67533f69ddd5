import { Card, Table } from 'antd';
import { Link } from 'react-router-dom';
import { shareApi, type Grant } from '../../api/share.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { count } from '../catalog/labels.tsx';
import { endDateOf, GrantStateTag } from './common.tsx';

/** A grant's use as a person reads it: calls, rows returned, last use (or 从未使用). */
export function useUsageText() {
  const { t, time } = useI18n();
  return {
    calls: (g: Pick<Grant, 'usage'>) => (g.usage ? count(g.usage.calls) : '—'),
    rows: (g: Pick<Grant, 'usage'>) => (g.usage ? count(g.usage.rows) : '—'),
    last: (g: Pick<Grant, 'usage'>) => (g.usage ? (g.usage.lastUsedAt ? time(g.usage.lastUsedAt) : t('share.neverUsed')) : '—'),
  };
}

/** The dataset's grants with their use since granted: the provider's view of who uses what (issue 22). */
export function DatasetGrantsCard({ code }: { code: string }) {
  const { t } = useI18n();
  const usage = useUsageText();
  const { data, error } = useLoad(() => shareApi.grants(code), [code]);
  return (
    <Card title={t('share.datasetGrants')} data-testid="dataset-grants">
      <Table<Grant>
        rowKey="id"
        size="small"
        loading={!data && !error}
        dataSource={data ?? []}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: error ?? t('share.noDatasetGrants') }}
        columns={[
          { title: t('share.col.consumer'), render: (_, g) => <Link to={`/sharing/grants/${g.id}`}>{g.consumerName}</Link> },
          { title: t('share.col.state'), render: (_, g) => <GrantStateTag state={g.state} supersededBy={g.supersededBy} /> },
          { title: t('share.col.endDate'), render: (_, g) => endDateOf(g.expiresAt) ?? t('share.noEnd') },
          { title: t('share.usage.calls'), align: 'right', render: (_, g) => <span data-testid={`usage-calls-${g.id}`}>{usage.calls(g)}</span> },
          { title: t('share.usage.rows'), align: 'right', render: (_, g) => <span data-testid={`usage-rows-${g.id}`}>{usage.rows(g)}</span> },
          { title: t('share.usage.last'), render: (_, g) => usage.last(g) },
        ]}
      />
    </Card>
  );
}
