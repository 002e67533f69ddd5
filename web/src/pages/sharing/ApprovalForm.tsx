import { Alert, App, Button, Card, DatePicker, Descriptions, Form, Input, InputNumber, Modal, Select, Space, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { getColumns } from '../../api/catalog.ts';
import {
  conditionsFromFilter,
  filterFromConditions,
  shareApi,
  type ColumnDetail,
  type FilterCondition,
  type GrantColumn,
  type GrantMode,
  type RequestDetail,
} from '../../api/share.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { ColumnModes, type ColumnChoice } from './ColumnModes.tsx';
import { ModeTag, rowFilterText } from './common.tsx';
import { RowFilterEditor } from './RowFilterEditor.tsx';

const PSEUDONYM_TYPES = new Set(['cn_resident_id', 'passport', 'hk_macau_permit', 'tw_permit', 'bank_card', 'cn_uscc']);

/** The mode an approver starts from: free text of 3级/4级 → redacted, 4级 identifiers → pseudonym, other 4级 and 3级 → masked, else clear. */
export function defaultModeFor(c: Pick<ColumnDetail, 'grade' | 'type' | 'freeText'>): GrantMode {
  const grade = c.grade ?? 1;
  if (c.freeText && grade >= 3) return 'redacted';
  if (grade >= 4) return c.type && PSEUDONYM_TYPES.has(c.type) ? 'pseudonym' : 'masked';
  if (grade === 3) return 'masked';
  return 'clear';
}

/** The provider officer's decision: a mode per column, rows, term, quotas, IP ranges, impact assessment. */
export function ApprovalForm({ detail, onDone }: { detail: RequestDetail; onDone: () => void }) {
  const i18n = useI18n();
  const { t, sep, num } = i18n;
  const { message, modal } = App.useApp();
  // Every column of the dataset may be filtered on, not only the requested ones.
  const { data: all = [] } = useLoad(() => getColumns(detail.dataset.code).catch(() => []), [detail.dataset.code]);
  const [choices, setChoices] = useState<Record<string, ColumnChoice>>(() =>
    // A telemetry point is shared clear or not at all.
    Object.fromEntries(
      detail.columnDetails.map((c) => [
        c.name,
        { mode: detail.series ? ('clear' as const) : defaultModeFor(c), ...(c.type === 'address' ? { generalize: { address: 'district' as const } } : {}) },
      ]),
    ),
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

  const clear4 = detail.columnDetails.filter((c) => (c.grade ?? 0) >= 4 && choices[c.name]?.mode === 'clear').map((c) => c.name);
  const impactMissing = clear4.length > 0 && impact.trim().length < 10;
  const filterText = rawFilter ?? filterFromConditions(conditions);
  const filterShown = rawFilter ?? filterFromConditions(conditions, false);
  const setChoice = (name: string, patch: Partial<ColumnChoice>) => {
    setError(undefined);
    setChoices((prev) => ({ ...prev, [name]: { ...prev[name]!, ...patch } }));
  };

  /** Shows the terms about to be granted and approves only once confirmed. */
  function confirmApprove() {
    if (impactMissing) {
      setError(t('share.impactRequired', { columns: clear4.join(sep) }));
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
          <Descriptions.Item label={t('share.f.rowFilter')}>
            {filterShown ? (rowFilterText(i18n, filterShown) ?? filterShown) : t('share.allRows')}
          </Descriptions.Item>
          <Descriptions.Item label={t('share.f.endDate')}>{endDate.format('YYYY-MM-DD')}</Descriptions.Item>
          {!!(rowsPerDay || requestsPerMinute) && (
            <Descriptions.Item label={t('share.quotas')}>
              {[
                rowsPerDay ? t('share.rowsPerDayValue', { n: num(rowsPerDay) }) : null,
                requestsPerMinute ? t('share.perMinuteValue', { n: requestsPerMinute }) : null,
              ]
                .filter(Boolean)
                .join(sep)}
            </Descriptions.Item>
          )}
          {ipRanges.length > 0 && <Descriptions.Item label={t('share.f.ipRanges')}>{ipRanges.join(sep)}</Descriptions.Item>}
          <Descriptions.Item label={t('share.approveNext')}>
            {t(detail.needsSecurity ? 'share.approveNextSecurity' : 'share.approveNextActive')}
          </Descriptions.Item>
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
      <ColumnModes detail={detail} choices={choices} onChoice={setChoice} />

      <Form layout="vertical" style={{ marginTop: 16 }}>
        <RowFilterEditor
          names={names}
          conditions={conditions}
          onConditions={setConditions}
          rawFilter={rawFilter}
          onRawFilter={setRawFilter}
          shown={filterShown}
        />
        <Space size={24} wrap align="start">
          <Form.Item label={t('share.f.endDate')} extra={t('share.endDateHint', { date: detail.endDate })}>
            <DatePicker
              value={endDate}
              onChange={(d) => d && setEndDate(d)}
              disabledDate={(d) => d.isBefore(dayjs().startOf('day')) || d.isAfter(dayjs(detail.endDate))}
              allowClear={false}
              data-testid="grant-end-date"
            />
          </Form.Item>
          <Form.Item label={t('share.f.rowsPerDay')}>
            <InputNumber
              min={1}
              value={rowsPerDay}
              onChange={(v) => setRowsPerDay(v)}
              placeholder={t('share.unlimited')}
              style={{ width: 160 }}
              data-testid="rows-per-day"
            />
          </Form.Item>
          <Form.Item label={t('share.f.requestsPerMinute')}>
            <InputNumber
              min={1}
              value={requestsPerMinute}
              onChange={(v) => setRequestsPerMinute(v)}
              placeholder={t('share.unlimited')}
              style={{ width: 160 }}
              data-testid="requests-per-minute"
            />
          </Form.Item>
        </Space>
        <Form.Item label={t('share.f.ipRanges')} extra={t('share.ipHint')}>
          <Select
            mode="tags"
            value={ipRanges}
            onChange={setIpRanges}
            tokenSeparators={[',', ' ']}
            placeholder="10.20.0.0/16"
            open={false}
            suffixIcon={null}
            data-testid="ip-ranges"
          />
        </Form.Item>
        <Form.Item
          label={t('share.f.impact')}
          required={clear4.length > 0}
          validateStatus={impactMissing ? 'error' : undefined}
          help={clear4.length > 0 ? t('share.impactRequired', { columns: clear4.join(sep) }) : t('share.impactOptional')}
        >
          <Input.TextArea rows={3} value={impact} onChange={(e) => setImpact(e.target.value)} data-testid="impact" />
        </Form.Item>
        <Form.Item label={t('share.f.note')}>
          <Input value={note} onChange={(e) => setNote(e.target.value)} data-testid="approve-note" />
        </Form.Item>
      </Form>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="approve-error" />}
      <Space wrap>
        <Button type="primary" loading={busy} onClick={confirmApprove} data-testid="approve">
          {t(detail.needsSecurity ? 'share.approveToSecurity' : 'share.approve')}
        </Button>
        <Button danger onClick={() => setRejecting(true)} data-testid="reject">
          {t('share.reject')}
        </Button>
      </Space>
      <Modal
        open={rejecting}
        title={t('share.reject')}
        onCancel={() => setRejecting(false)}
        onOk={() => void reject()}
        okButtonProps={{ danger: true, disabled: reason.trim().length < 2 }}
        okText={t('share.reject')}
        cancelText={t('common.cancel')}
        destroyOnHidden
      >
        <Input.TextArea rows={3} value={reason} onChange={(e) => setReason(e.target.value)} placeholder={t('share.rejectReason')} data-testid="reject-reason" />
      </Modal>
    </Card>
  );
}
