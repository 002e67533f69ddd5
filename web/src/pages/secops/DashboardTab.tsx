import { Badge, Card, Col, Empty, List, Row, Space, Statistic, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import { useMemo } from 'react';
import { INCIDENT_STATES, SEVERITIES, type Alert, type Dashboard } from '../../api/secops.ts';
import { Chart } from '../../components/Chart.tsx';
import { chartGrid, LEGEND, namesLabel, whenNarrow } from '../../components/charts.ts';
import { useI18n } from '../../i18n.tsx';
import { readersOption } from './charts.ts';
import { detectorLabel, SeverityTag, useText } from './common.tsx';

const SEVERITY_HEX = { general: '#1677ff', significant: '#fa8c16', major: '#f5222d', critical: '#c41d7f' };
const GRADE_HEX = ['#52c41a', '#1677ff', '#fa8c16', '#f5222d'];

/** The numbers (hours since the epoch) of the last `n` hours, the current one last. */
function lastHours(n: number): number[] {
  const now = Math.floor(Date.now() / 3_600_000);
  return Array.from({ length: n }, (_, i) => now - n + 1 + i);
}

/** The secadmin's view: live alerts, incidents by stage, detector hits, sensitive reads, assets. */
export function DashboardTab({ data, live, connected, onOpenAlert }: { data: Dashboard; live: Alert[]; connected: boolean; onOpenAlert(a: Alert): void }) {
  const i18n = useI18n();
  const { t, label, time, num } = i18n;
  const text = useText();
  const openAlerts = data.alerts.filter((a) => a.state !== 'closed').reduce((n, a) => n + a.n, 0);
  const openIncidents = data.incidents.filter((i) => i.state !== 'closed').reduce((n, i) => n + i.n, 0);

  const incidentsOption = useMemo<EChartsOption>(
    () => ({
      tooltip: { trigger: 'item' },
      series: [
        {
          type: 'pie',
          radius: ['45%', '70%'],
          label: { formatter: '{b}: {c}' },
          data: INCIDENT_STATES.map((s) => ({ name: t(`secops.state.${s}`), value: data.incidents.find((i) => i.state === s)?.n ?? 0 })).filter(
            (d) => d.value > 0,
          ),
        },
      ],
    }),
    [data, t],
  );

  const hitsOption = useMemo<EChartsOption>(() => {
    const detectors = [...new Set(data.hits.map((h) => h.detector))];
    // Always the last 24 hours, one slot each: an hour without hits is an empty slot, not a missing one.
    const slots = lastHours(24);
    const slotOf = (hour: string) => Math.floor(new Date(hour).getTime() / 3_600_000);
    return {
      tooltip: { trigger: 'axis' },
      legend: LEGEND,
      grid: chartGrid(40),
      xAxis: { type: 'category', data: slots.map((h) => `${String(new Date(h * 3_600_000).getHours()).padStart(2, '0')}:00`) },
      yAxis: { type: 'value', minInterval: 1, name: t('secops.hitsUnit') },
      series: detectors.map((d) => ({
        name: detectorLabel(label, d),
        type: 'bar',
        stack: 'hits',
        barMaxWidth: 18,
        data: slots.map((slot) => data.hits.filter((x) => x.detector === d && slotOf(x.hour) === slot).reduce((n, x) => n + x.n, 0)),
      })),
    };
  }, [data, t, label]);

  const consumersOption = useMemo(() => readersOption(data.consumers, i18n), [data, i18n]);

  const assetsOption = useMemo<EChartsOption>(() => {
    const orgs = [...new Set(data.assets.map((a) => a.orgName))];
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: LEGEND,
      grid: chartGrid(36),
      xAxis: { type: 'value', minInterval: 1, name: t('secops.datasets'), nameLocation: 'middle', nameGap: 26 },
      yAxis: { type: 'category', data: orgs, axisLabel: namesLabel(180) },
      media: whenNarrow({ yAxis: { axisLabel: { width: 100 } } }),
      series: [
        ...([1, 2, 3, 4] as const).map((g) => ({
          name: t(`grade.${g}`),
          type: 'bar' as const,
          stack: 'grade',
          barMaxWidth: 28,
          itemStyle: { color: GRADE_HEX[g - 1] },
          data: orgs.map((o) => data.assets.find((a) => a.orgName === o && a.grade === g)?.n ?? 0),
        })),
        {
          name: t('secops.ungraded'),
          type: 'bar' as const,
          stack: 'grade',
          itemStyle: { color: '#bfbfbf' },
          data: orgs.map((o) => data.assets.find((a) => a.orgName === o && a.grade === null)?.n ?? 0),
        },
      ],
    };
  }, [data, t]);

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      {/* On a phone the counts go two a row and each card takes the full width. */}
      <Row gutter={[16, 16]}>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic
              formatter={(v) => num(Number(v))}
              title={t('secops.openAlerts')}
              value={openAlerts}
              valueStyle={{ color: openAlerts ? '#fa8c16' : undefined }}
            />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card size="small">
            <Statistic formatter={(v) => num(Number(v))} title={t('secops.openIncidents')} value={openIncidents} />
          </Card>
        </Col>
        {SEVERITIES.slice(1).map((s) => (
          <Col xs={8} md={4} key={s}>
            <Card size="small">
              <Statistic
                formatter={(v) => num(Number(v))}
                title={t(`secops.sev.${s}`)}
                value={data.alerts.filter((a) => a.severity === s).reduce((n, a) => n + a.n, 0)}
                valueStyle={{ color: SEVERITY_HEX[s] }}
              />
            </Card>
          </Col>
        ))}
      </Row>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={10}>
          <Card
            size="small"
            title={
              <Space>
                {t('secops.live')}
                <Badge status={connected ? 'processing' : 'default'} text={connected ? t('secops.liveOn') : t('secops.liveOff')} />
              </Space>
            }
            styles={{ body: { maxHeight: 320, overflow: 'auto' } }}
          >
            <List
              data-testid="live-alerts"
              size="small"
              dataSource={live}
              locale={{ emptyText: <Empty description={t('secops.empty')} /> }}
              renderItem={(a) => (
                <List.Item style={{ cursor: 'pointer' }} onClick={() => onOpenAlert(a)}>
                  <List.Item.Meta
                    title={
                      <Space>
                        <SeverityTag severity={a.severity} />
                        <Typography.Text strong>{text(a.title)}</Typography.Text>
                      </Space>
                    }
                    description={`${time(a.lastSeen)} · ${detectorLabel(label, a.detector)} · ×${a.hits}`}
                  />
                </List.Item>
              )}
            />
          </Card>
        </Col>
        <Col xs={24} md={12} lg={6}>
          <Card size="small" title={t('secops.byState')}>
            {data.incidents.length ? <Chart option={incidentsOption} height={300} testId="chart-incidents" /> : <Empty description={t('secops.empty')} />}
          </Card>
        </Col>
        <Col xs={24} md={12} lg={8}>
          <Card size="small" title={t('secops.hitsOverTime')}>
            {data.hits.length ? <Chart option={hitsOption} height={300} testId="chart-hits" /> : <Empty description={t('secops.empty')} />}
          </Card>
        </Col>
      </Row>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('secops.topConsumers')}>
            {data.consumers.length ? <Chart option={consumersOption} height={300} testId="chart-consumers" /> : <Empty description={t('secops.empty')} />}
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('secops.assets')}>
            {data.assets.length ? <Chart option={assetsOption} height={300} testId="chart-assets" /> : <Empty description={t('secops.empty')} />}
          </Card>
        </Col>
      </Row>
    </Space>
  );
}
