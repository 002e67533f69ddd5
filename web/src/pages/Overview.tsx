import { Alert, Card, Col, Descriptions, Empty, Row, Space, Statistic, Tag, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import { useMemo } from 'react';
import { ScoresOverviewCard } from './duties/EvaluationPage.tsx';
import { PlantsOverview } from './telemetry/TelemetryPage.tsx';
import { Workbench } from './Workbench.tsx';
import { systemApi } from '../api/system.ts';
import { useLoad } from '../hooks/useLoad.ts';
import { Chart, lastDaysAxis } from '../components/Chart.tsx';
import { chartGrid, countsLabel, LEGEND, namesLabel, whenNarrow } from '../components/charts.ts';
import { actionName } from '../components/actions.ts';
import { useI18n } from '../i18n.tsx';

const GRADE_COLORS = ['#52c41a', '#1677ff', '#fa8c16', '#f5222d'];

/** The 城市大脑 view: data assets by grade and department, sharing activity, security events. */
export function OverviewPage() {
  const { t, lang, label, num } = useI18n();
  const { data: info, error: infoError } = useLoad(() => systemApi.info(), []);
  const { data, error: dataError } = useLoad(() => systemApi.overview(), []);
  const { data: healthy } = useLoad(() => systemApi.healthy(), []);
  const error = infoError ?? dataError;

  const assetsOption = useMemo<EChartsOption | undefined>(() => {
    if (!data?.assets.length) return undefined;
    const orgs = [...new Set(data.assets.map((a) => a.org))];
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: LEGEND,
      grid: chartGrid(36),
      xAxis: { type: 'value', name: t('overview.datasets'), nameLocation: 'middle', nameGap: 28, minInterval: 1 },
      yAxis: { type: 'category', data: orgs, axisLabel: namesLabel(180) },
      media: whenNarrow({ yAxis: { axisLabel: { width: 100 } } }),
      series: [1, 2, 3, 4].map((g) => ({
        name: t(`grade.${g}` as 'grade.1'),
        type: 'bar',
        stack: 'grade',
        itemStyle: { color: GRADE_COLORS[g - 1] },
        data: orgs.map((o) => data.assets.filter((a) => a.org === o && a.grade === g).reduce((n, a) => n + a.datasets, 0)),
      })),
    };
  }, [data, t]);

  const sharingOption = useMemo<EChartsOption | undefined>(() => {
    if (!data?.sharing.length) return undefined;
    return {
      tooltip: { trigger: 'axis' },
      legend: LEGEND,
      grid: chartGrid(44),
      xAxis: lastDaysAxis(30, t('overview.day')),
      yAxis: [
        { type: 'value', name: t('overview.responses'), minInterval: 1, axisLabel: countsLabel(lang) },
        { type: 'value', name: t('overview.rowsShared'), minInterval: 1, axisLabel: countsLabel(lang) },
      ],
      series: [
        { name: t('overview.responses'), type: 'bar', barMaxWidth: 16, data: data.sharing.map((s) => [s.day, s.responses]) },
        { name: t('overview.rowsShared'), type: 'line', yAxisIndex: 1, data: data.sharing.map((s) => [s.day, s.rows]) },
        { name: t('overview.gatewayCalls'), type: 'bar', barMaxWidth: 16, data: data.sharing.map((s) => [s.day, s.calls]) },
      ],
    };
  }, [data, t, lang]);

  const securityOption = useMemo<EChartsOption | undefined>(() => {
    if (!data?.security.length) return undefined;
    const days = [...new Set(data.security.map((s) => s.day))];
    const kinds = [...new Set(data.security.map((s) => s.kind))];
    return {
      tooltip: { trigger: 'axis' },
      legend: LEGEND,
      grid: chartGrid(44),
      xAxis: lastDaysAxis(30, t('overview.day')),
      yAxis: { type: 'value', name: t('overview.events'), minInterval: 1 },
      series: kinds.map((k) => ({
        name: actionName(label, k),
        type: 'bar',
        stack: 'events',
        barMaxWidth: 16,
        data: days.map((d) => [d, data.security.find((s) => s.day === d && s.kind === k)?.events ?? 0]),
      })),
    };
  }, [data, t, label]);

  const number = num;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Workbench />
      <Card>
        <Typography.Title level={3} style={{ marginTop: 0 }}>
          {t('overview.welcome')}
        </Typography.Title>
        <Typography.Paragraph type="secondary">{t('overview.intro')}</Typography.Paragraph>
        <Descriptions size="small" column={{ xs: 1, md: 3 }} data-testid="status">
          <Descriptions.Item label={t('overview.version')}>{info?.version ?? '…'}</Descriptions.Item>
          <Descriptions.Item label={t('overview.database')}>{info ? t(`db.${info.database}`) : '…'}</Descriptions.Item>
          <Descriptions.Item label={t('overview.health')}>
            {healthy === undefined ? '…' : <Tag color={healthy ? 'green' : 'red'}>{t(healthy ? 'overview.healthy' : 'overview.unhealthy')}</Tag>}
          </Descriptions.Item>
        </Descriptions>
      </Card>
      {error && <Alert type="error" message={error} />}
      <Row gutter={[16, 16]}>
        {(
          [
            ['overview.totalDatasets', data?.totals.datasets],
            ['overview.totalRows', data?.totals.rows],
            ['overview.organizations', data?.totals.organizations],
            ['overview.encryptedColumns', data?.totals.encryptedColumns],
            ['overview.openDatasets', data?.totals.openDatasets],
            ['overview.gatewayCalls30', data?.totals.gatewayCalls],
          ] as const
        ).map(([label, value]) => (
          <Col key={label} xs={12} md={8} xl={4}>
            <Card>
              <Statistic title={t(label)} value={value === undefined ? '…' : number(value)} />
            </Card>
          </Col>
        ))}
      </Row>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <Card title={t('overview.assets')}>{assetsOption ? <Chart option={assetsOption} height={360} testId="chart-assets" /> : <Empty />}</Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={t('overview.sharing')}>
            {sharingOption ? <Chart option={sharingOption} height={360} testId="chart-sharing" /> : <Empty description={t('overview.noSharing')} />}
          </Card>
        </Col>
        <Col xs={24}>
          <ScoresOverviewCard />
        </Col>
        <Col xs={24}>
          <PlantsOverview />
        </Col>
        <Col xs={24}>
          <Card title={t('overview.security')}>{securityOption ? <Chart option={securityOption} height={280} testId="chart-security" /> : <Empty />}</Card>
        </Col>
      </Row>
    </Space>
  );
}
