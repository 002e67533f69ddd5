import { ArrowLeftOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, DatePicker, Descriptions, Form, Input, InputNumber, Modal, Radio, Result, Select, Space, Spin, Table, Tag, Tooltip, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { getColumns, type Column } from '../../api/catalog.ts';
import type { TypeId } from '../../api/classify.ts';
import {
  conditionsFromFilter,
  FILTER_OPERATORS,
  filterFromConditions,
  GRANT_MODES,
  shareApi,
  type ColumnDetail,
  type FilterCondition,
  type Generalize,
  type GrantColumn,
  REDACT_STYLES,
  type RedactStyle,
  type GrantMode,
  type RequestDetail,
  type Terms,
} from '../../api/share.ts';
import { useAuth } from '../../auth.tsx';
import { useI18n } from '../../i18n.tsx';
import { GradeTag } from '../catalog/labels.tsx';
import { useTypeName } from '../classify/common.tsx';
import { ModeTag, readAbout, RequestStateTag, RowFilter, rowFilterText } from './common.tsx';
import { ClockCard, ClockTag } from '../duties/Clock.tsx';

/** Modes a response field of an interface can be granted in (the server refuses the others). */
const SERVICE_FIELD_MODES: ReadonlySet<GrantMode> = new Set<GrantMode>(['clear', 'masked', 'pseudonym', 'hidden']);
const PSEUDONYM_TYPES = new Set(['cn_resident_id', 'passport', 'hk_macau_permit', 'tw_permit', 'bank_card', 'cn_uscc']);
const DATE_TYPES = new Set(['date_of_birth', 'date', 'timestamp']);

/** The mode an approver starts from: free text of 3级/4级 → redacted, 4级 identifiers → pseudonym, other 4级 and 3级 → masked, else clear. */
export function defaultModeFor(c: Pick<ColumnDetail, 'grade' | 'type' | 'freeText'>): GrantMode {
  const grade = c.grade ?? 1;
  if (c.freeText && grade >= 3) return 'redacted';
  if (grade >= 4) return c.type && PSEUDONYM_TYPES.has(c.type) ? 'pseudonym' : 'masked';
  if (grade === 3) return 'masked';
  return 'clear';
}

function TermsView({ terms, detail }: { terms: Terms; detail: RequestDetail }) {
  const { t } = useI18n();
  const grades = new Map(detail.columnDetails.map((c) => [c.name, c.grade]));
  return (
    <Descriptions bordered size="small" column={1} data-testid="terms" styles={{ label: { width: 160, whiteSpace: 'nowrap' } }}>
      <Descriptions.Item label={t('share.col.granted')}>
        <Space size={[8, 4]} wrap>
          {terms.columns.map((c) => (
            <span key={c.name} data-testid={`term-${c.name}`}>
              {c.name} <GradeTag grade={grades.get(c.name) ?? null} short /> <ModeTag mode={c.mode} grade={grades.get(c.name) ?? null} />
              {c.generalize?.address && <Tag>{t(`share.gen.address.${c.generalize.address}`)}</Tag>}
              {c.generalize?.date && <Tag>{t(`share.gen.date.${c.generalize.date}`)}</Tag>}
              {c.mode === 'redacted' && <Tag>{t(`share.redact.${c.redact ?? 'masked'}`)}</Tag>}
            </span>
          ))}
        </Space>
      </Descriptions.Item>
      <Descriptions.Item label={t('share.col.rowFilter')}><RowFilter filter={terms.rowFilter} testId="terms-filter" /></Descriptions.Item>
      <Descriptions.Item label={t('share.col.endDate')}>{terms.endDate}</Descriptions.Item>
      <Descriptions.Item label={t('share.f.quotas')}>
        {t('share.f.rowsPerDay')}: {terms.rowsPerDay ?? t('share.unlimited')} · {t('share.f.requestsPerMinute')}: {terms.requestsPerMinute ?? t('share.unlimited')}
      </Descriptions.Item>
      <Descriptions.Item label={t('share.f.ipRanges')}>{terms.ipRanges.length ? terms.ipRanges.join(', ') : t('share.anyIp')}</Descriptions.Item>
      {terms.impactAssessment && <Descriptions.Item label={t('share.f.impact')}>{terms.impactAssessment}</Descriptions.Item>}
      {detail.providerNote && <Descriptions.Item label={t('share.providerNote')}>{detail.providerNote}</Descriptions.Item>}
    </Descriptions>
  );
}

interface ColumnChoice {
  mode: GrantMode;
  generalize?: Generalize;
  redact?: RedactStyle;
}

/** The provider officer's decision: a mode per column, rows, term, quotas, IP ranges, impact assessment. */
function ApprovalForm({ detail, onDone }: { detail: RequestDetail; onDone: () => void }) {
  const { t } = useI18n();
  const { message, modal } = App.useApp();
  const typeName = useTypeName();
  const [all, setAll] = useState<Column[]>([]);
  const [choices, setChoices] = useState<Record<string, ColumnChoice>>(() =>
    // A telemetry point is shared clear or not at all.
    Object.fromEntries(detail.columnDetails.map((c) => [c.name, { mode: detail.series ? ('clear' as const) : defaultModeFor(c), ...(c.type === 'address' ? { generalize: { address: 'district' as const } } : {}) }])),
  );
  const [conditions, setConditions] = useState<FilterCondition[]>(() => conditionsFromFilter(detail.rowFilter) ?? []);
  const [rawFilter, setRawFilter] = useState<string | undefined>(() => (conditionsFromFilter(detail.rowFilter) ? undefined : (detail.rowFilter ?? '')));
  const [endDate, setEndDate] = useState<Dayjs>(() => dayjs(detail.endDate));
  const [rowsPerDay, setRowsPerDay] = useState<number | null>(detail.expectedRowsPerDay);
  const [requestsPerMinute, setRequestsPerMinute] = useState<number | null>(60);
  const [ipRanges, setIpRanges] = useState<string[]>([]);
  const [impact, setImpact] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');

  useEffect(() => {
    getColumns(detail.dataset.code).then(setAll).catch(() => setAll([]));
  }, [detail.dataset.code]);

  const clear4 = detail.columnDetails.filter((c) => (c.grade ?? 0) >= 4 && choices[c.name]?.mode === 'clear').map((c) => c.name);
  const impactMissing = clear4.length > 0 && impact.trim().length < 10;
  const filterText = rawFilter ?? filterFromConditions(conditions);
  const filterShown = rawFilter ?? filterFromConditions(conditions, false);
  const setChoice = (name: string, patch: Partial<ColumnChoice>) => {
    setError(undefined);
    setChoices((prev) => ({ ...prev, [name]: { ...prev[name]!, ...patch } }));
  };
  const setCondition = (i: number, patch: Partial<FilterCondition>) => setConditions((prev) => prev.map((c, j) => (j === i ? { ...c, ...patch } : c)));

  /** Shows the terms about to be granted and approves only once confirmed. */
  function confirmApprove() {
    if (impactMissing) {
      setError(t('share.impactRequired', { columns: clear4.join('、') }));
      return;
    }
    modal.confirm({
      title: t('share.approveConfirm', { org: detail.consumerName, dataset: detail.dataset.name }),
      width: 560,
      content: (
        <Descriptions size="small" column={1} style={{ marginTop: 12 }} data-testid="approve-summary">
          <Descriptions.Item label={t('share.confirmColumns')}>
            <Space size={[4, 4]} wrap>
              {detail.columnDetails.map((c) => {
                const mode = choices[c.name]?.mode ?? 'hidden';
                return (
                  <span key={c.name}>
                    {c.name} <ModeTag mode={mode} grade={c.grade} />
                  </span>
                );
              })}
            </Space>
          </Descriptions.Item>
          <Descriptions.Item label={t('share.f.rowFilter')}>{filterShown ? (rowFilterText(t, filterShown) ?? filterShown) : t('share.allRows')}</Descriptions.Item>
          <Descriptions.Item label={t('share.f.endDate')}>{endDate.format('YYYY-MM-DD')}</Descriptions.Item>
          {!!(rowsPerDay || requestsPerMinute) && (
            <Descriptions.Item label={t('share.quotas')}>{[rowsPerDay ? t('share.rowsPerDayValue', { n: rowsPerDay.toLocaleString() }) : null, requestsPerMinute ? t('share.perMinuteValue', { n: requestsPerMinute }) : null].filter(Boolean).join(',')}</Descriptions.Item>
          )}
          {ipRanges.length > 0 && <Descriptions.Item label={t('share.f.ipRanges')}>{ipRanges.join('、')}</Descriptions.Item>}
          <Descriptions.Item label={t('share.approveNext')}>{t(detail.needsSecurity ? 'share.approveNextSecurity' : 'share.approveNextActive')}</Descriptions.Item>
        </Descriptions>
      ),
      okText: t(detail.needsSecurity ? 'share.approveToSecurity' : 'share.approve'),
      cancelText: t('share.confirmBack'),
      onOk: () => approve(),
    });
  }

  async function approve() {
    setBusy(true);
    setError(undefined);
    try {
      const columns: GrantColumn[] = detail.columns.map((name) => {
        const c = choices[name] ?? { mode: 'hidden' as const };
        return {
          name,
          mode: c.mode,
          ...(c.mode === 'generalized' && c.generalize ? { generalize: c.generalize } : {}),
          ...(c.mode === 'redacted' ? { redact: c.redact ?? 'masked' } : {}),
        };
      });
      await shareApi.approve(detail.id, {
        columns,
        rowFilter: filterText,
        endDate: endDate.format('YYYY-MM-DD'),
        ...(rowsPerDay ? { rowsPerDay } : {}),
        ...(requestsPerMinute ? { requestsPerMinute } : {}),
        ipRanges,
        ...(impact.trim() ? { impactAssessment: impact.trim() } : {}),
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      message.success(t(detail.needsSecurity ? 'share.approvedToSecurity' : 'share.approvedActive'));
      onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function reject() {
    try {
      await shareApi.reject(detail.id, reason);
      setRejecting(false);
      message.success(t('share.rejectedDone'));
      onDone();
    } catch (e) {
      message.error((e as Error).message);
    }
  }

  const names = all.length ? all.map((c) => c.name) : detail.columnDetails.map((c) => c.name);
  return (
    <Card title={t('share.approveTitle')} data-testid="approval-form">
      <Typography.Paragraph type="secondary">{t('share.approveHint')}</Typography.Paragraph>
      <Table<ColumnDetail>
        rowKey="name"
        size="small"
        pagination={false}
        dataSource={detail.columnDetails}
        columns={[
          { title: t('share.col.column'), dataIndex: 'name' },
          { title: t('share.col.type'), dataIndex: 'type', render: (v: string | null) => (v ? typeName(v as TypeId) : '—') },
          { title: t('share.col.grade'), dataIndex: 'grade', render: (g: number | null) => <GradeTag grade={g} short /> },
          {
            title: t('share.col.mode'),
            render: (_, c) => (
              <Space wrap>
                <Radio.Group
                  size="small"
                  optionType="button"
                  value={choices[c.name]?.mode}
                  onChange={(e) => setChoice(c.name, { mode: e.target.value as GrantMode })}
                  data-testid={`mode-${c.name}`}
                  options={GRANT_MODES.filter((m) => (m !== 'redacted' || c.dataType === 'text') && (!detail.series || m === 'clear' || m === 'hidden') && (!detail.operations || SERVICE_FIELD_MODES.has(m))).map((m) => ({
                    value: m,
                    label: t(`share.mode.${m}`),
                    disabled: m === 'verify' && c.encrypted && !c.blindIndex,
                  }))}
                />
                {choices[c.name]?.mode === 'redacted' && (
                  <Select
                    size="small"
                    style={{ width: 190 }}
                    value={choices[c.name]?.redact ?? 'masked'}
                    onChange={(v) => setChoice(c.name, { redact: v })}
                    options={REDACT_STYLES.map((v) => ({ value: v, label: t(`share.redact.${v}`) }))}
                    data-testid={`redact-${c.name}`}
                  />
                )}
                {c.freeText && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('share.redactHint')}</Typography.Text>}
                {choices[c.name]?.mode === 'generalized' && c.type === 'address' && (
                  <Select
                    size="small"
                    style={{ width: 120 }}
                    value={choices[c.name]?.generalize?.address ?? 'district'}
                    onChange={(v) => setChoice(c.name, { generalize: { address: v } })}
                    options={(['district', 'city', 'province'] as const).map((v) => ({ value: v, label: t(`share.gen.address.${v}`) }))}
                    data-testid={`gen-${c.name}`}
                  />
                )}
                {choices[c.name]?.mode === 'generalized' && c.type !== null && DATE_TYPES.has(c.type) && (
                  <Select
                    size="small"
                    style={{ width: 120 }}
                    value={choices[c.name]?.generalize?.date ?? 'year'}
                    onChange={(v) => setChoice(c.name, { generalize: { date: v } })}
                    options={(['year', 'month'] as const).map((v) => ({ value: v, label: t(`share.gen.date.${v}`) }))}
                  />
                )}
                {(c.grade ?? 0) >= 4 && choices[c.name]?.mode === 'clear' && <Tag color="red">{t('share.clear4')}</Tag>}
              </Space>
            ),
          },
        ]}
      />

      <Form layout="vertical" style={{ marginTop: 16 }}>
        <Form.Item label={t('share.f.rowFilter')} extra={<span>{t('share.rowFilterHint')} <Tooltip title={filterShown || undefined}><Typography.Text strong data-testid="filter-text">{filterShown ? (rowFilterText(t, filterShown) ?? filterShown) : '—'}</Typography.Text></Tooltip></span>}>
          {rawFilter === undefined ? (
            <Space direction="vertical" style={{ width: '100%' }}>
              {conditions.map((c, i) => (
                <Space key={i} wrap data-testid={`condition-${i}`}>
                  <Select
                    showSearch
                    style={{ width: 180 }}
                    placeholder={t('share.col.column')}
                    value={c.column || undefined}
                    onChange={(v: string) => setCondition(i, { column: v })}
                    options={names.map((n) => ({ value: n, label: n }))}
                    data-testid={`filter-column-${i}`}
                  />
                  <Select
                    style={{ width: 140 }}
                    value={c.op}
                    onChange={(v) => setCondition(i, { op: v })}
                    options={FILTER_OPERATORS.map((op) => ({ value: op, label: t(`share.op.${op}`) }))}
                    data-testid={`filter-op-${i}`}
                  />
                  {c.op !== 'is' && (
                    <Input style={{ width: 220 }} value={c.value} placeholder={c.op === 'in' ? '朝阳市,锦州市' : t('share.filterValue')} onChange={(e) => setCondition(i, { value: e.target.value })} data-testid={`filter-value-${i}`} />
                  )}
                  <Button icon={<DeleteOutlined />} onClick={() => setConditions((prev) => prev.filter((_, j) => j !== i))} aria-label={t('share.removeCondition')} />
                </Space>
              ))}
              <Space>
                <Button icon={<PlusOutlined />} onClick={() => setConditions((prev) => [...prev, { column: '', op: 'eq', value: '' }])} data-testid="add-condition">
                  {t('share.addCondition')}
                </Button>
                <Button type="link" onClick={() => setRawFilter(filterShown)}>
                  {t('share.editAsText')}
                </Button>
              </Space>
            </Space>
          ) : (
            <Input value={rawFilter} onChange={(e) => setRawFilter(e.target.value)} placeholder="户籍地=eq.朝阳市&人口数=gte.2" data-testid="filter-raw" />
          )}
        </Form.Item>
        <Space size={24} wrap align="start">
          <Form.Item label={t('share.f.endDate')} extra={t('share.endDateHint', { date: detail.endDate })}>
            <DatePicker value={endDate} onChange={(d) => d && setEndDate(d)} disabledDate={(d) => d.isBefore(dayjs().startOf('day')) || d.isAfter(dayjs(detail.endDate))} allowClear={false} data-testid="grant-end-date" />
          </Form.Item>
          <Form.Item label={t('share.f.rowsPerDay')}>
            <InputNumber min={1} value={rowsPerDay} onChange={(v) => setRowsPerDay(v)} placeholder={t('share.unlimited')} style={{ width: 160 }} data-testid="rows-per-day" />
          </Form.Item>
          <Form.Item label={t('share.f.requestsPerMinute')}>
            <InputNumber min={1} value={requestsPerMinute} onChange={(v) => setRequestsPerMinute(v)} placeholder={t('share.unlimited')} style={{ width: 160 }} data-testid="requests-per-minute" />
          </Form.Item>
        </Space>
        <Form.Item label={t('share.f.ipRanges')} extra={t('share.ipHint')}>
          <Select mode="tags" value={ipRanges} onChange={setIpRanges} tokenSeparators={[',', ' ']} placeholder="10.20.0.0/16" open={false} suffixIcon={null} data-testid="ip-ranges" />
        </Form.Item>
        <Form.Item
          label={t('share.f.impact')}
          required={clear4.length > 0}
          validateStatus={impactMissing ? 'error' : undefined}
          help={clear4.length > 0 ? t('share.impactRequired', { columns: clear4.join('、') }) : t('share.impactOptional')}
        >
          <Input.TextArea rows={3} value={impact} onChange={(e) => setImpact(e.target.value)} data-testid="impact" />
        </Form.Item>
        <Form.Item label={t('share.f.note')}>
          <Input value={note} onChange={(e) => setNote(e.target.value)} data-testid="approve-note" />
        </Form.Item>
      </Form>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="approve-error" />}
      <Space>
        <Button type="primary" loading={busy} onClick={confirmApprove} data-testid="approve">
          {t(detail.needsSecurity ? 'share.approveToSecurity' : 'share.approve')}
        </Button>
        <Button danger onClick={() => setRejecting(true)} data-testid="reject">
          {t('share.reject')}
        </Button>
      </Space>
      <Modal open={rejecting} title={t('share.reject')} onCancel={() => setRejecting(false)} onOk={() => void reject()} okButtonProps={{ danger: true, disabled: reason.trim().length < 2 }} okText={t('share.reject')} cancelText={t('common.cancel')} destroyOnHidden>
        <Input.TextArea rows={3} value={reason} onChange={(e) => setReason(e.target.value)} placeholder={t('share.rejectReason')} data-testid="reject-reason" />
      </Modal>
    </Card>
  );
}

/** The security administrator's second approval of a request with 4级 columns or a 重要数据 candidate. */
function SecurityDecision({ detail, onDone }: { detail: RequestDetail; onDone: () => void }) {
  const { t } = useI18n();
  const { message, modal } = App.useApp();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  async function run(action: 'approve' | 'reject') {
    setBusy(true);
    try {
      if (action === 'approve') await shareApi.securityApprove(detail.id, note.trim() || undefined);
      else await shareApi.reject(detail.id, note);
      message.success(t(action === 'approve' ? 'share.securityApproved' : 'share.rejectedDone'));
      onDone();
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card title={t('share.securityTitle')} data-testid="security-form">
      <Typography.Paragraph type="secondary">{t('share.securityHint')}</Typography.Paragraph>
      <Input.TextArea rows={2} value={note} onChange={(e) => setNote(e.target.value)} placeholder={t('share.securityNote')} style={{ marginBottom: 12 }} data-testid="security-note" />
      <Space>
        <Button
          type="primary"
          loading={busy}
          onClick={() =>
            modal.confirm({
              title: t('share.securityConfirm', { org: detail.consumerName, dataset: detail.dataset.name }),
              content: t('share.approveNextActive'),
              okText: t('share.securityApprove'),
              cancelText: t('share.confirmBack'),
              onOk: () => run('approve'),
            })
          }
          data-testid="security-approve"
        >
          {t('share.securityApprove')}
        </Button>
        <Button danger disabled={note.trim().length < 2} loading={busy} onClick={() => void run('reject')} data-testid="security-reject">
          {t('share.reject')}
        </Button>
      </Space>
    </Card>
  );
}

/** /sharing/requests/:id — who asks, why, which grades; the decision forms for whoever decides next. */
export function RequestPage() {
  const { id = '' } = useParams();
  const { t, label, time } = useI18n();
  const { me, has } = useAuth();
  const navigate = useNavigate();
  const typeName = useTypeName();
  const [detail, setDetail] = useState<RequestDetail>();
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try {
      setDetail(await shareApi.request(id));
    } catch (e) {
      setError((e as Error).message);
    }
  }, [id]);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => void readAbout('requestId', id), [id]);
  const maxGrade = useMemo(() => Math.max(0, ...(detail?.columnDetails ?? []).map((c) => c.grade ?? 0)), [detail]);

  if (error) return <Result status="error" title={t('share.loadFailed')} subTitle={error} extra={<Button onClick={() => navigate('/sharing')}>{t('share.back')}</Button>} />;
  if (!detail) return <Spin size="large" style={{ display: 'block', margin: '80px auto' }} />;
  const d = detail;
  const providerOfficer = me?.orgId === d.providerOrgId && has('data_officer');
  const rejectedNote = d.state === 'rejected' ? (d.securityNote ?? d.providerNote) : null;

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Link to="/sharing">
        <ArrowLeftOutlined /> {t('share.back')}
      </Link>
      <Card>
        <Space wrap align="center">
          <Typography.Title level={3} style={{ margin: 0 }} data-testid="request-dataset">
            {d.dataset.name}
          </Typography.Title>
          <RequestStateTag state={d.state} testId="detail-state" />
          <ClockTag clock={d.clock} testId="detail-clock" />
          {d.needsSecurity && d.state === 'submitted' && <Tag color="orange">{t('share.needsSecurity')}</Tag>}
          {d.importantCandidate && <Tag color="purple">{t('cat.important')}</Tag>}
        </Space>
        <div>
          <Typography.Text type="secondary">
            {d.dataset.code} · {t('share.col.provider')} {d.providerName} · {t('share.col.created')} {time(d.createdAt)}
          </Typography.Text>
        </div>
        {rejectedNote && <Alert style={{ marginTop: 16 }} type="error" showIcon message={t('share.rejectedBecause')} description={rejectedNote} data-testid="rejected-reason" />}
        {d.state === 'provider_approved' && !has('secadmin') && <Alert style={{ marginTop: 16 }} type="info" showIcon message={t('share.waitingSecurity')} />}
        {d.grantId && (
          <Alert
            style={{ marginTop: 16 }}
            type={d.state === 'active' ? 'success' : 'info'}
            showIcon
            message={t('share.grantCreated')}
            action={
              <Button size="small" type="primary" onClick={() => navigate(`/sharing/grants/${d.grantId}`)} data-testid="go-grant">
                {t('share.viewGrant')}
              </Button>
            }
          />
        )}
      </Card>

      <ClockCard requestId={d.id} clock={d.clock} canExtend={providerOfficer && d.state === 'submitted'} onChange={() => void load()} />

      <Card title={t('share.whoWhy')}>
        <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} data-testid="request-facts" styles={{ label: { width: 140, whiteSpace: 'nowrap' } }}>
          <Descriptions.Item label={t('share.col.consumer')}>{d.consumerName}</Descriptions.Item>
          <Descriptions.Item label={t('share.col.requesterUser')}>
            {d.requester.name} ({d.requester.username})
          </Descriptions.Item>
          <Descriptions.Item label={t('share.f.category')}>{label('share.category', d.purposeCategory)}</Descriptions.Item>
          <Descriptions.Item label={t('share.f.endDate')}>{d.endDate}</Descriptions.Item>
          <Descriptions.Item label={t('share.f.purpose')} span={2}>
            {d.purpose}
          </Descriptions.Item>
          <Descriptions.Item label={t('share.f.legalBasis')} span={2}>
            {d.legalBasis}
          </Descriptions.Item>
          <Descriptions.Item label={t('share.f.volume')}>{d.expectedRowsPerDay ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('share.f.requestedRows')}><RowFilter filter={d.rowFilter} /></Descriptions.Item>
          <Descriptions.Item label={t('share.col.columns')} span={2}>
            <Space size={[8, 4]} wrap>
              {d.columnDetails.map((c) => (
                <span key={c.name}>
                  {c.name}
                  {c.type && typeName(c.type as TypeId) !== c.name ? `(${typeName(c.type as TypeId)})` : ''} <GradeTag grade={c.grade} short />
                </span>
              ))}
              {maxGrade >= 4 && <Tag color="red">{t('share.has4')}</Tag>}
            </Space>
          </Descriptions.Item>
        </Descriptions>
      </Card>

      {providerOfficer && d.state === 'submitted' && <ApprovalForm detail={d} onDone={() => void load()} />}
      {d.terms && (
        <Card title={t('share.providerDecision')} extra={d.providerDecidedAt ? time(d.providerDecidedAt) : undefined}>
          <TermsView terms={d.terms} detail={d} />
        </Card>
      )}
      {d.securityDecidedAt && (
        <Card title={t('share.securityDecision')} extra={time(d.securityDecidedAt)}>
          {d.securityNote ?? '—'}
        </Card>
      )}
      {has('secadmin') && d.state === 'provider_approved' && <SecurityDecision detail={d} onDone={() => void load()} />}
      {has('secadmin') && d.state === 'submitted' && (
        <Alert type="info" showIcon message={t('share.waitingProvider')} />
      )}
    </Space>
  );
}
