/** Quality report of one version: rows, per-column null rate and invalid values, failures, quarantine. */
import { Alert, Card, Col, Empty, Progress, Row, Select, Space, Spin, Statistic, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { getVersionReport, qualityOf, type RuleFailure, type Version } from '../../api/catalog.ts';
import { useI18n } from '../../i18n.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { count, useErrorText, useLocalized } from './labels.tsx';

export function QualityReportView({ code, versions }: { code: string; versions: Version[] }) {
  const { t, label, paren } = useI18n();
  const localized = useLocalized();
  const errorText = useErrorText();
  const loaded = versions.filter((v) => v.state !== 'loading');
  const [chosen, setChosen] = useState<number | undefined>(loaded[0]?.version);
  const { data: report, loading, error } = useLoad(async () => (chosen === undefined ? undefined : getVersionReport(code, chosen)), [code, chosen]);

  if (loaded.length === 0) return <Empty description={t('cat.noVersions')} />;
  const ruleName = (rule: string) => label('rule', rule);
  const v = report?.version;
  const q = v ? qualityOf(v) : null;

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="quality-report">
      <Space>
        <Typography.Text>{t('cat.q.version')}</Typography.Text>
        <Select
          value={chosen}
          onChange={setChosen}
          style={{ width: 220 }}
          options={loaded.map((x) => ({ value: x.version, label: `v${x.version} · ${t(`cat.vstate.${x.state}`)}` }))}
        />
      </Space>
      {error && <Alert type="error" showIcon message={error} />}
      {loading && !report && <Spin />}
      {v?.error && <Alert type="error" showIcon message={t('cat.q.failed')} description={errorText(v.error)} data-testid="version-error" />}
      {v && q && (
        <Spin spinning={loading}>
          <Space direction="vertical" size={16} style={{ width: '100%' }}>
            <Row gutter={16}>
              <Col xs={12} md={6}>
                <Card size="small">
                  <Statistic title={t('cat.q.rows')} value={q.rows} data-testid="quality-rows" />
                </Card>
              </Col>
              <Col xs={12} md={6}>
                <Card size="small">
                  <Statistic title={t('cat.q.loaded')} value={v.rowsLoaded} valueStyle={{ color: '#389e0d' }} />
                </Card>
              </Col>
              <Col xs={12} md={6}>
                <Card size="small">
                  <Statistic title={t('cat.q.invalidRows')} value={q.invalidRows} valueStyle={q.invalidRows ? { color: '#cf1322' } : undefined} />
                </Card>
              </Col>
              <Col xs={12} md={6}>
                <Card size="small">
                  <Statistic
                    title={t('cat.q.duplicates')}
                    value={q.duplicateKeys}
                    suffix={q.keyCheck === 'incomplete' ? <Tag>{t('cat.q.incomplete')}</Tag> : undefined}
                  />
                </Card>
              </Col>
            </Row>
            <Card size="small" title={t('cat.q.columns')}>
              <Table
                size="small"
                rowKey="name"
                pagination={false}
                dataSource={q.columns}
                columns={[
                  { title: t('cat.col.name'), dataIndex: 'name' },
                  {
                    title: t('cat.q.nullRate'),
                    dataIndex: 'nullRate',
                    width: 260,
                    render: (rate: number, c) => (
                      <Space>
                        <Progress
                          percent={Math.round(rate * 1000) / 10}
                          size="small"
                          style={{ width: 140, margin: 0 }}
                          status={rate > 0.5 ? 'exception' : 'normal'}
                        />
                        <Typography.Text type="secondary">{count(c.nulls)}</Typography.Text>
                      </Space>
                    ),
                  },
                  {
                    title: t('cat.q.invalid'),
                    dataIndex: 'invalid',
                    width: 120,
                    align: 'right',
                    render: (n: number) => (n ? <Typography.Text type="danger">{count(n)}</Typography.Text> : 0),
                  },
                ]}
              />
            </Card>
            <Card size="small" title={t('cat.q.examples')}>
              <Table<RuleFailure>
                size="small"
                rowKey={(f, i) => `${f.line}-${f.column}-${f.rule}-${i ?? 0}`}
                dataSource={q.examples}
                pagination={{ pageSize: 10, hideOnSinglePage: true }}
                locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('cat.q.noFailures')} /> }}
                columns={[
                  { title: t('cat.q.line'), dataIndex: 'line', width: 80 },
                  { title: t('cat.col.name'), dataIndex: 'column', width: 140 },
                  { title: t('cat.q.rule'), dataIndex: 'rule', width: 110, render: (r: string) => <Tag>{ruleName(r)}</Tag> },
                  {
                    title: t('cat.q.value'),
                    dataIndex: 'value',
                    width: 180,
                    ellipsis: true,
                    render: (v: string | null) =>
                      v === null ? <Typography.Text type="secondary">NULL</Typography.Text> : <Typography.Text code>{v}</Typography.Text>,
                  },
                  { title: t('cat.q.message'), dataIndex: 'message', render: (m: RuleFailure['message']) => localized(m) },
                ]}
              />
            </Card>
            <Card size="small" title={`${t('cat.q.quarantined')}${paren(count(v.rowsQuarantined))}`}>
              <Table
                size="small"
                rowKey="line"
                dataSource={report?.quarantined ?? []}
                pagination={{ pageSize: 10, hideOnSinglePage: true }}
                locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('cat.q.noQuarantine')} /> }}
                columns={[
                  { title: t('cat.q.line'), dataIndex: 'line', width: 80 },
                  {
                    title: t('cat.q.problems'),
                    dataIndex: 'problems',
                    render: (problems: unknown) =>
                      Array.isArray(problems)
                        ? (problems as RuleFailure[]).map((p, i) => (
                            <div key={i}>
                              <Tag>{p.column}</Tag>
                              {localized(p.message)}
                            </div>
                          ))
                        : JSON.stringify(problems),
                  },
                ]}
              />
            </Card>
          </Space>
        </Spin>
      )}
    </Space>
  );
}
