/**
 * 共享评价与使用统计: the department scores (the authority sees every department, a department its
 * own) and the usage statistics of the datasets the caller may see, each exportable as XLSX.
 */
import { DownloadOutlined } from '@ant-design/icons';
import { Alert, Button, Card, DatePicker, Empty, Space, Table, Tabs, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { evaluationApi, type DepartmentScore, type Usage, type UsageRange } from '../../api/duties.ts';
import { useAuth } from '../../auth.tsx';
import { Chart } from '../../components/Chart.tsx';
import { chartGrid, countsLabel, LEGEND } from '../../components/charts.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { count } from '../catalog/labels.tsx';
import { DepartmentsTab } from './DepartmentsTab.tsx';

/** A rate (0-1) as a percentage with one decimal; nothing to judge: a dash. */
export const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);

/** The score of each department with its four parts; `compact` (the overview) leaves out the counts. */
export function ScoresTable({ items, compact, loading }: { items: DepartmentScore[]; compact?: boolean; loading?: boolean }) {
  const { t } = useI18n();
  const part = (rate: number | null, detail: string) =>
    rate === null ? (
      <Typography.Text type="secondary">{t('duties.ev.nothing')}</Typography.Text>
    ) : (
      <Space direction="vertical" size={0}>
        <span>{percent(rate)}</span>
        {!compact && (
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {detail}
          </Typography.Text>
        )}
      </Space>
    );
  return (
    <Table<DepartmentScore>
      rowKey="orgId"
      size="small"
      loading={loading}
      dataSource={items}
      pagination={compact ? { pageSize: 5, hideOnSinglePage: true } : { pageSize: 20, hideOnSinglePage: true }}
      scroll={{ x: 860 }}
      data-testid="scores-table"
      locale={{ emptyText: <Empty description={t('duties.ev.empty')} /> }}
      columns={[
        { title: t('duties.ev.org'), dataIndex: 'orgName', width: 200 },
        {
          title: t('duties.ev.score'),
          dataIndex: 'score',
          width: 100,
          render: (v: number | null) =>
            v === null ? (
              '—'
            ) : (
              <Typography.Text strong data-testid="score">
                {v.toFixed(1)}
              </Typography.Text>
            ),
        },
        {
          title: t('duties.ev.requests'),
          key: 'requests',
          render: (_, r) => part(r.requests.rate, t('duties.ev.ofTotal', { part: count(r.requests.onTime), whole: count(r.requests.judged) })),
        },
        {
          title: t('duties.ev.objections'),
          key: 'objections',
          render: (_, r) => part(r.objections.rate, t('duties.ev.ofTotal', { part: count(r.objections.onTime), whole: count(r.objections.judged) })),
        },
        {
          title: t('duties.ev.catalogue'),
          key: 'catalogue',
          render: (_, r) =>
            part(
              r.catalogue.rate,
              t('duties.ev.entries', {
                current: count(r.catalogue.current),
                entries: count(r.catalogue.entries),
                overdue: count(r.catalogue.overdue),
                unattached: count(r.catalogue.unattached),
              }),
            ),
        },
        {
          title: t('duties.ev.ratings'),
          key: 'ratings',
          // The mean rating says more to a reader than its rate; the rate is what the score uses.
          render: (_, r) =>
            r.ratings.mean === null ? part(null, '') : t('duties.ev.ratingMean', { mean: r.ratings.mean.toFixed(2), n: count(r.ratings.count) }),
        },
      ]}
    />
  );
}

/** The overview's card for the platform authority: the departments' scores, best first. */
export function ScoresOverviewCard() {
  const { t } = useI18n();
  const { has } = useAuth();
  const navigate = useNavigate();
  const officer = has('secadmin', 'data_officer');
  const { data } = useLoad(() => (officer ? evaluationApi.scores() : Promise.resolve(undefined)), [officer]);
  if (data?.scope !== 'all') return null;
  return (
    <Card
      title={t('duties.ev.overview')}
      extra={
        <Space>
          <Button size="small" icon={<DownloadOutlined />} href={evaluationApi.scoresXlsx()}>
            {t('duties.ev.export')}
          </Button>
          <Button size="small" type="link" onClick={() => navigate('/duties/evaluation')}>
            {t('duties.ev.more')}
          </Button>
        </Space>
      }
      data-testid="overview-scores"
    >
      <ScoresTable items={data.items} compact />
    </Card>
  );
}

function ScoresTab() {
  const { t } = useI18n();
  const { data, loading, error } = useLoad(() => evaluationApi.scores(), []);
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      {error && <Alert type="error" showIcon message={error} />}
      {data?.scope === 'own' && <Alert type="info" showIcon message={t('duties.ev.scopeOwn')} />}
      <div style={{ display: 'flex', gap: 16, alignItems: 'flex-start', flexWrap: 'wrap' }}>
        <Typography.Paragraph type="secondary" style={{ flex: '1 1 420px', margin: 0 }} data-testid="score-formula">
          {data && t('duties.ev.formula', data.weights)}
        </Typography.Paragraph>
        <Button icon={<DownloadOutlined />} href={evaluationApi.scoresXlsx()} data-testid="export-scores">
          {t('duties.ev.export')}
        </Button>
      </div>
      <ScoresTable items={data?.items ?? []} loading={loading} />
    </Space>
  );
}

type Counts = Usage['totals'];
const countColumns = (t: ReturnType<typeof useI18n>['t']) => [
  { title: t('duties.us.calls'), dataIndex: 'calls', width: 110, align: 'right' as const, render: (n: number) => count(n) },
  { title: t('duties.us.rows'), dataIndex: 'rows', width: 130, align: 'right' as const, render: (n: number) => count(n) },
  { title: t('duties.us.consumers'), dataIndex: 'consumers', width: 100, align: 'right' as const, render: (n: number) => count(n) },
];

function UsageTab() {
  const { t, lang } = useI18n();
  const [range, setRange] = useState<UsageRange>({});
  const { data, loading, error } = useLoad(() => evaluationApi.usage(range), [range.from, range.to]);
  const shown: [Dayjs, Dayjs] | undefined = data ? [dayjs(data.from), dayjs(data.to)] : undefined;
  const option = useMemo<EChartsOption | undefined>(() => {
    if (!data?.byDay.length) return undefined;
    return {
      tooltip: { trigger: 'axis' },
      legend: LEGEND,
      grid: chartGrid(40),
      xAxis: { type: 'category', data: data.byDay.map((d) => d.day) },
      yAxis: [
        { type: 'value', name: t('duties.us.calls'), minInterval: 1, axisLabel: countsLabel(lang) },
        { type: 'value', name: t('duties.us.rows'), minInterval: 1, axisLabel: countsLabel(lang) },
      ],
      series: [
        { name: t('duties.us.calls'), type: 'bar', barMaxWidth: 18, data: data.byDay.map((d) => d.calls) },
        { name: t('duties.us.rows'), type: 'line', yAxisIndex: 1, data: data.byDay.map((d) => d.rows) },
      ],
    };
  }, [data, t, lang]);
  const empty = <Empty description={t('duties.us.empty')} />;
  const table = <T extends Counts>(rows: T[], key: keyof T & string, first: { title: string; dataIndex: string; width?: number }[], testId: string) => (
    <Table<T>
      size="small"
      rowKey={key}
      dataSource={rows}
      pagination={{ pageSize: 20, hideOnSinglePage: true }}
      scroll={{ x: 640 }}
      locale={{ emptyText: empty }}
      data-testid={testId}
      columns={[...first, ...countColumns(t)]}
    />
  );
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      {error && <Alert type="error" showIcon message={error} />}
      <div style={{ display: 'flex', gap: 12, alignItems: 'center', flexWrap: 'wrap' }}>
        <Typography.Text>{t('duties.us.range')}</Typography.Text>
        <DatePicker.RangePicker
          value={shown}
          allowClear={false}
          onChange={(v) => v?.[0] && v[1] && setRange({ from: v[0].format('YYYY-MM-DD'), to: v[1].format('YYYY-MM-DD') })}
          data-testid="usage-range"
        />
        <div style={{ flex: 1 }} />
        <Button icon={<DownloadOutlined />} href={evaluationApi.usageXlsx(range)} data-testid="export-usage">
          {t('duties.ev.export')}
        </Button>
      </div>
      {data && (
        <Typography.Text strong data-testid="usage-totals">
          {t('duties.us.totals', {
            from: data.from,
            to: data.to,
            calls: count(data.totals.calls),
            rows: count(data.totals.rows),
            consumers: count(data.totals.consumers),
          })}
        </Typography.Text>
      )}
      <Typography.Text type="secondary">{t('duties.us.hint')}</Typography.Text>
      {option && <Chart option={option} height={260} testId="chart-usage" />}
      <Tabs
        items={[
          {
            key: 'dataset',
            label: t('duties.us.byDataset'),
            children: table(
              data?.byDataset ?? [],
              'code',
              [
                { title: t('duties.us.dataset'), dataIndex: 'name' },
                { title: t('duties.us.provider'), dataIndex: 'providerName', width: 200 },
              ],
              'usage-datasets',
            ),
          },
          {
            key: 'department',
            label: t('duties.us.byDepartment'),
            children: table(
              data?.byDepartment ?? [],
              'orgId',
              [
                { title: t('duties.ev.org'), dataIndex: 'orgName' },
                { title: t('duties.us.datasets'), dataIndex: 'datasets', width: 130 },
              ],
              'usage-departments',
            ),
          },
          {
            key: 'day',
            label: t('duties.us.byDay'),
            children: table(data?.byDay ?? [], 'day', [{ title: t('duties.us.day'), dataIndex: 'day', width: 140 }], 'usage-days'),
          },
        ]}
      />
      {loading && !data && <Typography.Text type="secondary">…</Typography.Text>}
    </Space>
  );
}

/** The tabs after the first (scores), each at `?tab=<key>`. */
const TABS = ['departments', 'usage'] as const;

export function EvaluationPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const tab = TABS.find((k) => k === params.get('tab')) ?? 'scores';
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={3}>{t('duties.ev.title')}</Typography.Title>
      <Card>
        <Tabs
          activeKey={tab}
          onChange={(key) => setParams(key === 'scores' ? {} : { tab: key })}
          items={[
            { key: 'scores', label: t('duties.ev.scores'), children: <ScoresTab /> },
            // The counts behind the score's 申请按时答复 part, for the same readers (secadmin, a department's officers).
            { key: 'departments', label: t('dept.tab'), children: <DepartmentsTab /> },
            { key: 'usage', label: t('duties.ev.usage'), children: <UsageTab /> },
          ]}
        />
      </Card>
    </Space>
  );
}
