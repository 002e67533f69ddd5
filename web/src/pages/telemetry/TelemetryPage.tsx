import { UploadOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Col, Empty, Modal, Row, Select, Space, Statistic, Switch, Table, Tabs, Tag, Typography, Upload } from 'antd';
import type { EChartsOption } from 'echarts';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { QUALITY_KINDS, telemetryApi, type DeviceToken, type QualityKind, type TelemetrySettings } from '../../api/telemetry.ts';
import { Chart } from '../../components/Chart.tsx';
import { chartGrid, LEGEND } from '../../components/charts.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../i18n.tsx';

const KIND_COLORS: Record<string, string> = {
  gap: 'orange',
  out_of_range: 'red',
  stuck: 'purple',
  spike: 'magenta',
  future_timestamp: 'gold',
  clock_skew: 'gold',
  unit_mismatch: 'blue',
  unknown_point: 'default',
};

function ScoreTag({ score }: { score: number | null }) {
  if (score === null) return <Tag>—</Tag>;
  return <Tag color={score >= 90 ? 'green' : score >= 70 ? 'gold' : 'red'}>{score}</Tag>;
}

export function KindTag({ kind }: { kind: string }) {
  const { label } = useI18n();
  return <Tag color={KIND_COLORS[kind]}>{label('tel.kind', kind)}</Tag>;
}

/** 工业数据: the enterprise data officer's registry, live charts, quality dashboard and ingestion status. */
export function TelemetryPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'registry';
  return (
    <Card title={t('tel.title')}>
      <Tabs
        activeKey={tab}
        onChange={(key) => setParams({ tab: key })}
        items={[
          { key: 'registry', label: t('tel.tab.registry'), children: <RegistryTab /> },
          { key: 'live', label: t('tel.tab.live'), children: <LiveTab initial={params.get('device') ?? undefined} /> },
          { key: 'quality', label: t('tel.tab.quality'), children: <QualityTab /> },
          { key: 'status', label: t('tel.tab.status'), children: <StatusTab /> },
        ]}
      />
    </Card>
  );
}

function RegistryTab() {
  const { t, time, colon } = useI18n();
  const { message } = App.useApp();
  const { data, error, reload, set } = useLoad(() => Promise.all([telemetryApi.registry(), telemetryApi.unknown()]), []);
  const [registry, unknown = []] = data ?? [];
  const { settings, devices = [], points = [] } = registry ?? {};
  const [token, setToken] = useState<DeviceToken>();
  // The switch shows the settings the server saved.
  const setSettings = (saved: TelemetrySettings) => registry && set([{ ...registry, settings: saved }, unknown]);

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      {error && <Alert type="error" message={error} />}
      {settings && (
        <Space wrap size={24}>
          <span>
            {t('tel.enterprise')}
            {colon}
            <Typography.Text code data-testid="tel-enterprise">
              {settings.enterpriseCode}
            </Typography.Text>
          </span>
          <Space>
            <Switch
              checked={settings.autoRegister}
              onChange={async (checked) => setSettings(await telemetryApi.saveSettings({ autoRegister: checked }))}
              data-testid="tel-auto-register"
            />
            {t('tel.autoRegister')}
          </Space>
          <Upload
            accept=".csv,.xlsx"
            showUploadList={false}
            beforeUpload={async (file) => {
              try {
                const r = await telemetryApi.importSheet(file);
                message.success(t('tel.importDone', r));
                await reload();
              } catch (e) {
                message.error((e as Error).message);
              }
              return false;
            }}
          >
            <Button icon={<UploadOutlined />}>{t('tel.import')}</Button>
          </Upload>
        </Space>
      )}
      <Typography.Text type="secondary">{t('tel.autoRegisterHint')}</Typography.Text>
      <Table
        rowKey="id"
        size="small"
        dataSource={devices}
        data-testid="tel-devices"
        pagination={{ pageSize: 20 }}
        columns={[
          {
            title: t('tel.device'),
            dataIndex: 'code',
            render: (code: string, d) => (
              <Space direction="vertical" size={0}>
                <Typography.Text strong>{code}</Typography.Text>
                <Typography.Text type="secondary">{d.name}</Typography.Text>
              </Space>
            ),
          },
          { title: t('tel.line'), render: (_, d) => `${d.plantName} / ${d.lineName}` },
          { title: t('tel.points'), render: (_, d) => points.filter((p) => p.device === d.code).length },
          {
            title: t('tel.lastSeen'),
            dataIndex: 'lastSeenAt',
            render: (v: string | null) => (v ? time(v) : <Typography.Text type="secondary">{t('tel.never')}</Typography.Text>),
          },
          { title: 'MQTT', dataIndex: 'topic', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
          {
            title: '',
            render: (_, d) => (
              <Space>
                <Button size="small" href={`/telemetry?tab=live&device=${encodeURIComponent(d.code)}`}>
                  {t('tel.tab.live')}
                </Button>
                <Button size="small" onClick={async () => setToken(await telemetryApi.issueToken(d.code))} data-testid={`tel-token-${d.code}`}>
                  {t('tel.token')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      {unknown.length > 0 && (
        <Card size="small" title={t('tel.unknown')}>
          <Table
            rowKey={(u) => `${u.device}.${u.point}`}
            size="small"
            pagination={false}
            dataSource={unknown}
            columns={[
              { title: t('tel.device'), dataIndex: 'device' },
              { title: t('tel.point'), dataIndex: 'point' },
              { title: t('tel.unit'), dataIndex: 'unit' },
              { title: t('tel.samples'), dataIndex: 'samples' },
              { title: t('tel.lastSeen'), dataIndex: 'lastTs', render: (v: string) => time(v) },
            ]}
          />
        </Card>
      )}
      <Modal open={token !== undefined} title={t('tel.tokenTitle')} onCancel={() => setToken(undefined)} onOk={() => setToken(undefined)}>
        {token && (
          <Space direction="vertical" style={{ width: '100%' }}>
            <Typography.Paragraph copyable code data-testid="tel-token-value">
              {token.token}
            </Typography.Paragraph>
            <Typography.Text type="secondary">{t('tel.tokenHint', { username: token.username, topic: token.topic })}</Typography.Text>
          </Space>
        )}
      </Modal>
    </Space>
  );
}

/** A device's points and the last 10 minutes of raw samples of each. */
async function liveOf(device: string) {
  const { points } = await telemetryApi.device(device);
  const since = Date.now() - 10 * 60_000;
  const all = await Promise.all(
    points.map(async (p) => [p.code, (await telemetryApi.samples(device, p.code, since)).map((s) => [s.ts, s.value] as [string, number])] as const),
  );
  return { points, series: Object.fromEntries(all) as Record<string, [string, number][]> };
}

/** One chart per point of a device, the last 10 minutes of raw samples, refreshed every 2 s. */
function LiveTab({ initial }: { initial?: string }) {
  const { t, paren } = useI18n();
  const { data: registry } = useLoad(() => telemetryApi.registry(), []);
  const devices = registry?.devices ?? [];
  const [picked, setDevice] = useState<string | undefined>(initial);
  // Until one is picked, the first registered device.
  const device = picked ?? devices[0]?.code;
  const { data: live } = useLoad(() => liveOf(device!), [device], { when: !!device, every: 2000 });
  const { points = [], series = {} } = live ?? {};
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Space>
        {t('tel.pickDevice')}
        <Select
          style={{ width: 280 }}
          value={device}
          onChange={setDevice}
          showSearch
          options={devices.map((d) => ({ value: d.code, label: `${d.code} · ${d.name}` }))}
          data-testid="tel-live-device"
        />
        <Typography.Text type="secondary">{t('tel.liveHint')}</Typography.Text>
      </Space>
      <Row gutter={[16, 16]}>
        {points.map((p) => (
          <Col key={p.code} xs={24} lg={12}>
            <Card
              size="small"
              title={`${p.name}${p.unit ? paren(p.unit) : ''} · ${p.code}`}
              extra={p.openEvents.map((k) => (
                <KindTag key={k} kind={k} />
              ))}
            >
              {(series[p.code]?.length ?? 0) === 0 ? (
                <Empty description={t('tel.noData')} />
              ) : (
                <Chart
                  height={180}
                  testId={`tel-live-chart-${p.code}`}
                  option={{
                    animation: false,
                    grid: { left: 50, right: 16, top: 16, bottom: 24 },
                    tooltip: { trigger: 'axis' },
                    xAxis: { type: 'time' },
                    yAxis: { type: 'value', scale: true, ...(p.max !== null && p.max < 1e9 ? {} : {}) },
                    series: [
                      {
                        type: 'line',
                        showSymbol: false,
                        data: series[p.code],
                        ...(p.max !== null && p.max < 1e9
                          ? { markLine: { silent: true, symbol: 'none', lineStyle: { color: '#cf1322', type: 'dashed' }, data: [{ yAxis: p.max }] } }
                          : {}),
                      },
                    ],
                  }}
                />
              )}
            </Card>
          </Col>
        ))}
      </Row>
    </Space>
  );
}

function QualityTab() {
  const { t, time, paren } = useI18n();
  const { data: quality } = useLoad(() => telemetryApi.quality(24), []);
  const [kind, setKind] = useState<QualityKind>();
  const { data: events = [] } = useLoad(() => telemetryApi.events(kind ? { kind } : {}), [kind]);
  const chart = useMemo<EChartsOption | undefined>(() => {
    if (!quality) return undefined;
    const hours = [...new Set(quality.counts.map((c) => c.hour))].sort();
    return {
      tooltip: { trigger: 'axis' },
      legend: LEGEND,
      grid: chartGrid(36),
      xAxis: { type: 'category', data: hours.map((h) => time(h).slice(-8, -3)) },
      yAxis: { type: 'value' },
      series: QUALITY_KINDS.filter((k) => quality.counts.some((c) => c.kind === k)).map((k) => ({
        name: t(`tel.kind.${k}`),
        type: 'bar',
        stack: 'events',
        data: hours.map((h) => quality.counts.find((c) => c.kind === k && c.hour === h)?.n ?? 0),
      })),
    };
  }, [quality, t, time]);
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Row gutter={16}>
        <Col xs={24} lg={8}>
          <Card size="small" title={t('tel.lines')}>
            <Table
              rowKey="line"
              size="small"
              pagination={false}
              dataSource={quality?.lines ?? []}
              data-testid="tel-quality-lines"
              columns={[
                { title: t('tel.line'), render: (_, l) => `${l.lineName}${paren(l.line)}` },
                { title: t('tel.score'), dataIndex: 'score', render: (s: number | null) => <ScoreTag score={s} /> },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} lg={16}>
          <Card size="small" title={t('tel.events')}>
            {chart && <Chart option={chart} height={220} testId="tel-quality-chart" />}
          </Card>
        </Col>
      </Row>
      <Card size="small" title={t('tel.devices')}>
        <Table
          rowKey="code"
          size="small"
          pagination={{ pageSize: 10 }}
          dataSource={[...(quality?.devices ?? [])].sort((a, b) => (a.score ?? 101) - (b.score ?? 101))}
          columns={[
            { title: t('tel.device'), render: (_, d) => `${d.code} · ${d.name}` },
            { title: t('tel.line'), dataIndex: 'line' },
            { title: t('tel.score'), dataIndex: 'score', render: (s: number | null) => <ScoreTag score={s} /> },
            { title: t('tel.openEvents'), dataIndex: 'openEvents' },
          ]}
        />
      </Card>
      <Card
        size="small"
        title={t('tel.events')}
        extra={
          <Select
            allowClear
            placeholder={t('tel.kind')}
            style={{ width: 160 }}
            value={kind}
            onChange={setKind}
            options={QUALITY_KINDS.map((k) => ({ value: k, label: t(`tel.kind.${k}`) }))}
          />
        }
      >
        <Table
          rowKey="id"
          size="small"
          data-testid="tel-quality-events"
          pagination={{ pageSize: 15 }}
          dataSource={events}
          columns={[
            { title: t('tel.kind'), dataIndex: 'kind', render: (k: string) => <KindTag kind={k} /> },
            { title: t('tel.device'), render: (_, e) => `${e.line} / ${e.device}` },
            { title: t('tel.point'), dataIndex: 'point', render: (p: string | null, e) => p ?? String(e.details.point ?? '') },
            { title: t('tel.started'), dataIndex: 'startedAt', render: (v: string) => time(v) },
            { title: t('tel.ended'), dataIndex: 'endedAt', render: (v: string | null) => (v ? time(v) : <Tag color="red">{t('tel.ongoing')}</Tag>) },
            { title: t('tel.samples'), dataIndex: 'samples' },
            {
              title: '',
              dataIndex: 'details',
              render: (d: Record<string, unknown>) => (
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {JSON.stringify(d)}
                </Typography.Text>
              ),
            },
          ]}
        />
      </Card>
    </Space>
  );
}

function StatusTab() {
  const { t, time } = useI18n();
  const { data: status } = useLoad(() => telemetryApi.status(), [], { every: 5000 });
  if (!status) return null;
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Row gutter={[16, 16]}>
        <Col xs={12} md={6}>
          <Statistic title={t('tel.pointsPerSecond')} value={Math.round(status.pointsPerSecond * 10) / 10} data-testid="tel-status-pps" />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('tel.lag')} value={status.lagMsMax === null ? '—' : `${(status.lagMsMax / 1000).toFixed(1)} s`} />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('tel.buffer')} value={`${status.writer.buffered} / ${status.writer.capacity}`} />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('tel.rejected')} value={status.rejected.reduce((n, r) => n + r.count, 0)} />
        </Col>
      </Row>
      <Card size="small" title={t('tel.perMinute')}>
        <Chart
          height={200}
          testId="tel-status-chart"
          option={{
            grid: { left: 60, right: 16, top: 16, bottom: 24 },
            tooltip: { trigger: 'axis' },
            xAxis: { type: 'time' },
            yAxis: { type: 'value' },
            series: [{ type: 'bar', data: status.perMinute.map((m) => [m.minute, m.points]) }],
          }}
        />
      </Card>
      <Card size="small" title={t('tel.rejected')}>
        <Table
          rowKey={(r) => `${r.device}-${r.reason}`}
          size="small"
          data-testid="tel-rejected"
          pagination={false}
          dataSource={status.rejected}
          columns={[
            { title: t('tel.device'), dataIndex: 'device', render: (d: string | null) => d ?? '—' },
            { title: t('tel.reason'), dataIndex: 'reason', render: (r: string) => <Tag title={r}>{t(`tel.reject.${r}` as MessageKey)}</Tag> },
            { title: t('tel.count'), dataIndex: 'count' },
            { title: t('tel.lastSeen'), dataIndex: 'lastAt', render: (v: string) => time(v) },
            { title: t('tel.lastDetail'), dataIndex: 'lastDetail' },
          ]}
        />
      </Card>
    </Space>
  );
}

/** The overview's card of connected plants, refreshed every 5 seconds; nothing when no plant is connected. */
export function PlantsOverview() {
  const { t } = useI18n();
  const { data: items = [] } = useLoad(() => telemetryApi.summary(), [], { every: 5000 });
  if (!items.length) return null;
  return (
    <Card title={t('tel.overview')} data-testid="overview-plants">
      <Table
        rowKey="enterprise"
        size="small"
        pagination={false}
        dataSource={items}
        columns={[
          { title: t('tel.enterpriseName'), dataIndex: 'enterprise' },
          { title: t('tel.devicesOnline'), render: (_, r) => `${r.liveDevices} / ${r.devices}` },
          { title: t('tel.perMinute'), dataIndex: 'pointsLastMinute' },
          { title: t('tel.openEvents'), dataIndex: 'openEvents' },
        ]}
      />
    </Card>
  );
}
