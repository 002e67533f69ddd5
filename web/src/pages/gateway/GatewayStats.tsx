import { Alert, Card, Col, Empty, Row, Segmented, Select, Space, Statistic, Table, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import { useMemo, useState } from 'react';
import { gatewayApi, type CallStatsItem, type StatsQuery } from '../../api/gateway.ts';
import { Chart, lastDaysAxis } from '../../components/Chart.tsx';
import { chartGrid, countsLabel, LEGEND } from '../../components/charts.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';

type View = NonNullable<StatsQuery['view']>;
const RANGES = [7, 30, 90] as const;

/** Today in China (the statistics count China days). */
function chinaToday(): string {
  return new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
}
function daysBefore(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
}

const ms = (v: number | null) => (v === null ? '—' : `${v} ms`);
const rate = (errors: number, calls: number) => (calls ? `${((errors / calls) * 100).toFixed(1)}%` : '—');

/** 调用统计: calls, errors and latency by day (chart) and by service, operation and consumer (table). */
export function GatewayStats() {
  const { t, lang, num } = useI18n();
  const [view, setView] = useState<View>();
  const [days, setDays] = useState<(typeof RANGES)[number]>(30);
  const [service, setService] = useState<string>();
  const to = chinaToday();
  const { data, error, loading } = useLoad(
    () => gatewayApi.stats({ ...(view ? { view } : {}), from: daysBefore(to, days - 1), to, ...(service ? { service } : {}) }),
    [view, days, service, to],
  );
  const number = num;

  const option = useMemo<EChartsOption | undefined>(() => {
    if (!data?.byDay.length) return undefined;
    return {
      tooltip: { trigger: 'axis' },
      legend: LEGEND,
      grid: chartGrid(44),
      xAxis: lastDaysAxis(days, t('gw.stats.day')),
      yAxis: [
        { type: 'value', name: t('gw.stats.calls'), minInterval: 1, axisLabel: countsLabel(lang) },
        { type: 'value', name: 'ms', minInterval: 1, axisLabel: countsLabel(lang) },
      ],
      series: [
        { name: t('gw.stats.calls'), type: 'bar', barMaxWidth: 16, data: data.byDay.map((d) => [d.day, d.calls]) },
        {
          name: t('gw.stats.errors'),
          type: 'bar',
          barMaxWidth: 16,
          barGap: '-100%',
          itemStyle: { color: '#f5222d' },
          data: data.byDay.map((d) => [d.day, d.errors]),
        },
        { name: 'p50', type: 'line', yAxisIndex: 1, data: data.byDay.map((d) => [d.day, d.p50]) },
        { name: 'p95', type: 'line', yAxisIndex: 1, lineStyle: { type: 'dashed' }, data: data.byDay.map((d) => [d.day, d.p95]) },
      ],
    };
  }, [data, days, t, lang]);

  const services = useMemo(() => [...new Map((data?.items ?? []).map((i) => [i.service, i.serviceName])).entries()], [data]);

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="gw-stats">
      <Space wrap>
        {data && data.views.length > 1 && (
          <Segmented<View>
            value={data.view}
            onChange={(v) => setView(v)}
            options={data.views.map((v) => ({ value: v, label: t(`gw.stats.view.${v}`) }))}
            data-testid="gw-stats-view"
          />
        )}
        <Segmented<(typeof RANGES)[number]> value={days} onChange={setDays} options={RANGES.map((n) => ({ value: n, label: t('gw.stats.lastDays', { n }) }))} />
        <Select
          allowClear
          style={{ minWidth: 200 }}
          placeholder={t('gw.stats.allServices')}
          value={service}
          onChange={setService}
          options={(service && !services.some(([c]) => c === service) ? [...services, [service, service] as const] : services).map(([value, label]) => ({
            value,
            label,
          }))}
        />
      </Space>
      {error && <Alert type="error" message={error} />}
      <Row gutter={[16, 16]}>
        {(
          [
            ['gw.stats.calls', data ? number(data.totals.calls) : '…'],
            ['gw.stats.errors', data ? `${number(data.totals.errors)} · ${rate(data.totals.errors, data.totals.calls)}` : '…'],
            ['gw.stats.p50', data ? ms(data.totals.p50) : '…'],
            ['gw.stats.p95', data ? ms(data.totals.p95) : '…'],
          ] as const
        ).map(([key, value]) => (
          <Col key={key} xs={12} md={6}>
            <Card size="small">
              <Statistic title={t(key)} value={value} />
            </Card>
          </Col>
        ))}
      </Row>
      <Card size="small" title={t('gw.stats.byDay')}>
        {option ? <Chart option={option} height={300} testId="gw-stats-chart" /> : <Empty description={t('gw.stats.none')} />}
      </Card>
      <Table<CallStatsItem>
        size="small"
        loading={loading}
        rowKey={(i) => `${i.service}/${i.operation}/${i.consumerOrgId ?? ''}`}
        dataSource={data?.items ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('gw.stats.none') }}
        data-testid="gw-stats-table"
        expandable={{
          expandedRowRender: (i) => (
            <Table
              size="small"
              rowKey="day"
              pagination={false}
              dataSource={i.days}
              columns={[
                { title: t('gw.stats.day'), dataIndex: 'day' },
                { title: t('gw.stats.calls'), dataIndex: 'calls', align: 'right' },
                { title: t('gw.stats.errors'), dataIndex: 'errors', align: 'right' },
                { title: 'p50', dataIndex: 'p50', align: 'right', render: ms },
                { title: 'p95', dataIndex: 'p95', align: 'right', render: ms },
              ]}
            />
          ),
        }}
        columns={[
          {
            title: t('gw.stats.service'),
            render: (_, i) => (
              <>
                {i.serviceName}{' '}
                <Typography.Text type="secondary" code>
                  {i.service}
                </Typography.Text>
              </>
            ),
          },
          { title: t('gw.stats.operation'), dataIndex: 'operation', render: (o: string) => <Typography.Text code>{o}</Typography.Text> },
          { title: t('gw.stats.consumer'), dataIndex: 'consumerOrgName' },
          { title: t('gw.stats.calls'), dataIndex: 'calls', align: 'right', render: number },
          { title: t('gw.stats.errors'), align: 'right', render: (_, i) => `${number(i.errors)} · ${rate(i.errors, i.calls)}` },
          { title: 'p50', dataIndex: 'p50', align: 'right', render: ms },
          { title: 'p95', dataIndex: 'p95', align: 'right', render: ms },
        ]}
      />
    </Space>
  );
}
