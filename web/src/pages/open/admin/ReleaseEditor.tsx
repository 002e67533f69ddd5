import { App, Alert, Button, Card, Descriptions, Input, Modal, Popconfirm, Result, Select, Skeleton, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { ApiError } from '../../../api/client.ts';
import { COLUMN_ROLES, HIERARCHY_KINDS, manageApi, type NodeResult, type PlanColumn, type ReleaseDetail, type Report } from '../../../api/open.ts';
import { useAuth } from '../../../auth.tsx';
import { Chart } from '../../../components/Chart.tsx';
import { useLoad } from '../../../hooks/useLoad.ts';
import { useI18n } from '../../../i18n.tsx';
import { ReleaseStateTag } from './common.tsx';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The figures of one node: k, l, suppression, loss, ARX risks. */
function Figures({ node, testId }: { node: NodeResult; testId?: string }) {
  const { t } = useI18n();
  const l = node.l.filter((v): v is number => v !== null);
  return (
    <Space size={24} wrap data-testid={testId}>
      <Statistic title={t('oa.fig.rows')} value={node.rows} />
      <Statistic title={t('oa.fig.classes')} value={node.classes} />
      <Statistic title={t('oa.fig.k')} value={node.k ?? '—'} valueStyle={{ color: node.misses.includes('k') ? '#cf1322' : undefined }} />
      <Statistic title={t('oa.fig.l')} value={l.length ? Math.min(...l) : '—'} valueStyle={{ color: node.misses.includes('l') ? '#cf1322' : undefined }} />
      <Statistic
        title={t('oa.fig.suppression')}
        value={pct(node.suppression)}
        valueStyle={{ color: node.misses.includes('suppression') ? '#cf1322' : undefined }}
      />
      <Statistic title={t('oa.fig.loss')} value={pct(node.informationLoss)} />
    </Space>
  );
}

function Risks({ node }: { node: NodeResult }) {
  const { t } = useI18n();
  const rows = [
    { model: t('oa.fig.prosecutor'), ...node.risks.prosecutor },
    { model: t('oa.fig.journalist'), ...node.risks.journalist },
    { model: t('oa.fig.marketer'), recordsAtRisk: null, highestRisk: null, successRate: node.risks.marketer.successRate },
  ];
  return (
    <Table
      size="small"
      rowKey="model"
      pagination={false}
      dataSource={rows}
      columns={[
        { title: '', dataIndex: 'model' },
        { title: t('oa.fig.recordsAtRisk'), dataIndex: 'recordsAtRisk', render: (v: number | null) => (v === null ? '—' : pct(v)) },
        { title: t('oa.fig.highest'), dataIndex: 'highestRisk', render: (v: number | null) => (v === null ? '—' : pct(v)) },
        { title: t('oa.fig.success'), dataIndex: 'successRate', render: (v: number) => pct(v) },
      ]}
    />
  );
}

function ReportView({ report, onApply, canApply }: { report: Report; onApply: (levels: NodeResult['levels']) => void; canApply: boolean }) {
  const { t, lang, time, sep, colon } = useI18n();
  const histogram = useMemo(
    () => ({
      tooltip: {},
      grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: 'category' as const, data: report.result.classSizes.map((b) => (b.to === b.from ? String(b.from) : `${b.from}–${b.to ?? '∞'}`)) },
      yAxis: { type: 'value' as const },
      series: [
        {
          type: 'bar' as const,
          name: t('oa.classes'),
          data: report.result.classSizes.map((b) => ({ value: b.classes, itemStyle: { color: b.from < report.thresholds.k ? '#cf1322' : '#0e7c66' } })),
        },
      ],
    }),
    [report, t],
  );
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Alert
        type={report.passed ? 'success' : 'error'}
        showIcon
        data-testid="report-verdict"
        message={report.passed ? t('oa.passed') : t('oa.failed')}
        description={!report.passed && report.result.misses.map((m) => t(`oa.miss.${m}`)).join(sep)}
      />
      <Typography.Text type="secondary">
        {t('oa.thresholds')}
        {colon}k ≥ {report.thresholds.k} · l ≥ {report.thresholds.l} · ≤ {pct(report.thresholds.maxSuppression)} · {report.standards.join(sep)} ·{' '}
        {time(report.checkedAt)}
      </Typography.Text>
      <Figures node={report.result} testId="report-figures" />
      {report.snapshot && (
        <Typography.Text data-testid="snapshot-check">
          {t('oa.snapshot')}
          {colon}
          {report.snapshot.rows} · k = {report.snapshot.k ?? '—'} · l = {report.snapshot.l.join(', ') || '—'}
        </Typography.Text>
      )}
      <Risks node={report.result} />
      <Typography.Text strong>{t('oa.classSizes')}</Typography.Text>
      <Chart option={histogram} height={200} />
      <Typography.Text>
        {t('oa.removed')}
        {colon}
        {report.removed.join(sep) || '—'}
      </Typography.Text>
      {report.proposals.length > 0 && (
        <>
          <Typography.Text strong>{t('oa.proposals')}</Typography.Text>
          <Table
            size="small"
            rowKey={(p) => p.levels.map((l) => l.level).join(',')}
            pagination={false}
            scroll={{ x: true }}
            dataSource={report.proposals}
            data-testid="proposals"
            columns={[
              { title: '', dataIndex: 'strategy', render: (s: Report['proposals'][number]['strategy']) => t(`oa.strategy.${s}`) },
              {
                title: t('oa.col.level'),
                render: (_, p) => (
                  <Space size={[4, 4]} wrap>
                    {p.levels.map((l) => (
                      <Tag key={l.name}>
                        {l.name}:{l.label[lang]}
                      </Tag>
                    ))}
                  </Space>
                ),
              },
              { title: 'k', dataIndex: 'k' },
              { title: t('oa.fig.suppression'), dataIndex: 'suppression', render: pct },
              { title: t('oa.fig.loss'), dataIndex: 'informationLoss', render: pct },
              {
                title: '',
                render: (_, p, i) => (
                  <Button size="small" disabled={!canApply} onClick={() => onApply(p.levels)} data-testid={`apply-proposal-${i}`}>
                    {t('oa.applyProposal')}
                  </Button>
                ),
              },
            ]}
          />
        </>
      )}
    </Space>
  );
}

/** One release: the plan per column, the check's report and proposals, publication and withdrawal. */
export function ReleaseEditor() {
  const { id = '' } = useParams();
  const { t, lang, colon } = useI18n();
  const { has } = useAuth();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [plan, setPlan] = useState<PlanColumn[]>([]);
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [withdrawing, setWithdrawing] = useState(false);
  const [reason, setReason] = useState('');
  // null: no such release (404), shown as such; any other failure is shown with a retry.
  const {
    data: release,
    error,
    reload: load,
  } = useLoad(async (): Promise<ReleaseDetail | null> => {
    try {
      return await manageApi.release(id);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  }, [id]);
  // Each answer from the server is the plan to edit, until the officer changes it again.
  useEffect(() => {
    if (!release) return;
    setPlan(release.columns);
    setDirty(false);
  }, [release]);
  if (error && release === undefined) return <Alert type="error" showIcon message={error} data-testid="release-load-error" />;
  if (release === undefined) return <Skeleton active />;
  if (release === null) return <Result status="404" title="404" />;
  const editable = release.state === 'draft' && has('data_officer');
  const info = new Map(release.columnInfo.map((c) => [c.name, c]));
  const change = (name: string, patch: Partial<PlanColumn>) => {
    setPlan((p) => p.map((c) => (c.name === name ? { ...c, ...patch } : c)));
    setDirty(true);
  };
  const run = async (step: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    try {
      await step();
      if (done) message.success(done);
      await load();
    } catch (e) {
      message.error((e as Error).message);
      await load();
    } finally {
      setBusy(false);
    }
  };
  const save = () => manageApi.update(id, { columns: plan });
  const apply = (levels: NodeResult['levels']) => {
    const by = new Map(levels.map((l) => [l.name, l.level]));
    setPlan((p) => p.map((c) => (by.has(c.name) ? { ...c, level: by.get(c.name)! } : c)));
    setDirty(true);
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card size="small">
        <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
          <Space direction="vertical" size={2}>
            <Typography.Title level={4} style={{ margin: 0 }} data-testid="release-title">
              {release.dataset.name} · {t('oa.col.release')} {release.number}
            </Typography.Title>
            <Space size={4}>
              <ReleaseStateTag state={release.state} />
              <Tag>{t(release.openType === 'conditional' ? 'op.open.conditional' : 'op.open.unconditional')}</Tag>
              <Typography.Text type="secondary">
                {release.dataset.code} · {t('oa.col.version')} {release.version}
              </Typography.Text>
            </Space>
          </Space>
          <Space wrap>
            {editable && (
              <>
                <Button disabled={busy || !dirty} onClick={() => void run(save, t('oa.saved'))} data-testid="save-plan">
                  {t('oa.save')}
                </Button>
                <Button
                  type="primary"
                  ghost
                  loading={busy}
                  onClick={() =>
                    void run(async () => {
                      if (dirty) await save();
                      await manageApi.check(id);
                    })
                  }
                  data-testid="run-check"
                >
                  {t('oa.check')}
                </Button>
                <Button
                  type="primary"
                  disabled={busy || dirty || !release.report?.passed}
                  onClick={() => void run(() => manageApi.publish(id), t('oa.published'))}
                  data-testid="publish-release"
                >
                  {t('oa.publish')}
                </Button>
                <Popconfirm title={t('oa.discard')} onConfirm={() => void manageApi.discard(id).then(() => navigate('/opendata'))}>
                  <Button danger disabled={busy}>
                    {t('oa.discard')}
                  </Button>
                </Popconfirm>
              </>
            )}
            {release.state === 'published' && (
              <>
                <a href={`/open/datasets/${release.dataset.code}`} target="_blank" rel="noreferrer">
                  <Button>{t('oa.portal')}</Button>
                </a>
                <Button danger onClick={() => setWithdrawing(true)} data-testid="withdraw-release">
                  {t('oa.withdraw')}
                </Button>
              </>
            )}
            {release.report && (
              <a href={manageApi.reportUrl(id)} download>
                <Button>{t('oa.export')}</Button>
              </a>
            )}
          </Space>
        </Space>
        {release.withdrawReason && <Alert type="warning" style={{ marginTop: 8 }} message={`${t('oa.withdrawReason')}${colon}${release.withdrawReason}`} />}
      </Card>
      <Modal
        open={withdrawing}
        title={t('oa.withdraw')}
        onCancel={() => setWithdrawing(false)}
        okButtonProps={{ danger: true, disabled: reason.trim().length < 2 }}
        onOk={() => void run(() => manageApi.withdraw(id, reason), t('oa.withdrawn')).then(() => setWithdrawing(false))}
      >
        <Input.TextArea
          rows={3}
          placeholder={t('oa.withdrawReason')}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          data-testid="withdraw-reason"
        />
      </Modal>
      <Card size="small" title={t('oa.plan')} extra={<Typography.Text type="secondary">{t('oa.planHint')}</Typography.Text>}>
        <Table
          size="small"
          rowKey="name"
          pagination={false}
          scroll={{ x: true }}
          dataSource={plan}
          data-testid="plan"
          columns={[
            { title: t('oa.col.column'), dataIndex: 'name' },
            {
              title: t('oa.col.grade'),
              render: (_, c) => <Tag color={(info.get(c.name)?.grade ?? 1) >= 3 ? 'red' : undefined}>{info.get(c.name)?.grade ?? '—'}级</Tag>,
            },
            { title: t('oa.col.type'), render: (_, c) => info.get(c.name)?.type ?? '—' },
            {
              title: t('oa.col.role'),
              render: (_, c) => {
                const lock = info.get(c.name)?.lock;
                return (
                  <Space size={4}>
                    <Select
                      style={{ width: 190 }}
                      value={c.role}
                      disabled={!editable || !!lock}
                      onChange={(role) => change(c.name, { role })}
                      options={COLUMN_ROLES.map((r) => ({ value: r, label: t(`oa.role.${r}`) }))}
                      data-testid={`role-${c.name}`}
                    />
                    {lock && (
                      <Tag color="red" title={lock[lang]}>
                        {t('oa.lock')}
                      </Tag>
                    )}
                  </Space>
                );
              },
            },
            {
              title: t('oa.col.hierarchy'),
              render: (_, c) =>
                c.role === 'quasi' ? (
                  <Select
                    style={{ width: 110 }}
                    value={c.hierarchy}
                    disabled={!editable}
                    onChange={(hierarchy) => change(c.name, { hierarchy, level: 0 })}
                    options={HIERARCHY_KINDS.map((h) => ({ value: h, label: t(`oa.h.${h}`) }))}
                  />
                ) : null,
            },
            {
              title: t('oa.col.level'),
              render: (_, c) =>
                c.role === 'quasi' ? (
                  <Select
                    style={{ width: 150 }}
                    value={c.level}
                    disabled={!editable}
                    onChange={(level) => change(c.name, { level })}
                    options={(release.hierarchies[c.hierarchy] ?? []).map((name, level) => ({ value: level, label: name[lang] }))}
                    data-testid={`level-${c.name}`}
                  />
                ) : null,
            },
          ]}
        />
        <Descriptions size="small" style={{ marginTop: 8 }} column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label={t('oa.licence')}>{release.licence}</Descriptions.Item>
          {release.notes && <Descriptions.Item label={t('oa.notes')}>{release.notes}</Descriptions.Item>}
        </Descriptions>
      </Card>
      <Card size="small" title={t('oa.report')}>
        {release.report ? (
          <ReportView report={release.report} onApply={apply} canApply={editable} />
        ) : (
          <Typography.Text type="secondary">{t('oa.noReport')}</Typography.Text>
        )}
      </Card>
    </Space>
  );
}
