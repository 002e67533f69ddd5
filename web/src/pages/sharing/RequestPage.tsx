import { ArrowLeftOutlined, PrinterOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Descriptions, Input, Modal, Result, Space, Spin, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import type { TypeId } from '../../api/classify.ts';
import { shareApi } from '../../api/share.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { GradeTag } from '../catalog/labels.tsx';
import { useTypeName } from '../classify/common.tsx';
import { ClockCard, ClockTag } from '../duties/Clock.tsx';
import { ApprovalForm } from './ApprovalForm.tsx';
import { readAbout, RequestStateTag, RowFilter } from './common.tsx';
import { SecurityDecision } from './SecurityDecision.tsx';
import { TermsView } from './TermsView.tsx';

/** /sharing/requests/:id — who asks, why, which grades; the decision forms for whoever decides next. */
export function RequestPage() {
  const { id = '' } = useParams();
  const { t, label, time, paren } = useI18n();
  const { me, has } = useAuth();
  const navigate = useNavigate();
  const typeName = useTypeName();
  const { data: detail, error, reload } = useLoad(() => shareApi.request(id), [id]);
  const { message } = App.useApp();
  const [withdrawing, setWithdrawing] = useState(false);
  const [reason, setReason] = useState('');
  useEffect(() => void readAbout('requestId', id), [id]);
  const maxGrade = useMemo(() => Math.max(0, ...(detail?.columnDetails ?? []).map((c) => c.grade ?? 0)), [detail]);

  if (error)
    return (
      <Result status="error" title={t('share.loadFailed')} subTitle={error} extra={<Button onClick={() => navigate('/sharing')}>{t('share.back')}</Button>} />
    );
  if (!detail) return <Spin size="large" style={{ display: 'block', margin: '80px auto' }} />;
  const d = detail;
  const providerOfficer = me?.orgId === d.providerOrgId && has('data_officer');
  const rejectedNote = d.state === 'rejected' ? (d.securityNote ?? d.providerNote) : null;
  const canWithdraw = me?.id === d.requester.id && (d.state === 'submitted' || d.state === 'provider_approved');

  async function withdraw() {
    try {
      await shareApi.withdraw(d.id, reason);
      setWithdrawing(false);
      message.success(t('share.withdrawnDone'));
      await reload();
    } catch (e) {
      message.error((e as Error).message);
    }
  }

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Link to="/sharing">
        <ArrowLeftOutlined /> {t('share.back')}
      </Link>
      <Card
        extra={
          <Space wrap>
            <Button icon={<PrinterOutlined />} onClick={() => navigate(`/sharing/requests/${d.id}/print`)} data-testid="print-form">
              {t('share.printForm')}
            </Button>
            {canWithdraw && (
              <Button danger onClick={() => setWithdrawing(true)} data-testid="withdraw">
                {t('share.withdraw')}
              </Button>
            )}
          </Space>
        }
      >
        <Space wrap align="center">
          <Typography.Title level={3} style={{ margin: 0 }} data-testid="request-dataset">
            {d.dataset.name}
          </Typography.Title>
          <RequestStateTag state={d.state} testId="detail-state" />
          {d.renewsGrantId && (
            <Link to={`/sharing/grants/${d.renewsGrantId}`} data-testid="renews-grant">
              <Tag color="blue">{t('share.renewalOf')}</Tag>
            </Link>
          )}
          <ClockTag clock={d.clock} testId="detail-clock" />
          {d.needsSecurity && d.state === 'submitted' && <Tag color="orange">{t('share.needsSecurity')}</Tag>}
          {d.importantCandidate && <Tag color="purple">{t('cat.important')}</Tag>}
        </Space>
        <div>
          <Typography.Text type="secondary">
            {d.dataset.code} · {t('share.col.provider')} {d.providerName} · {t('share.col.created')} {time(d.createdAt)}
          </Typography.Text>
        </div>
        {d.state === 'withdrawn' && d.withdrawnAt && (
          <Alert
            style={{ marginTop: 16 }}
            type="info"
            showIcon
            message={t('share.withdrawnAt', { time: time(d.withdrawnAt) })}
            description={d.withdrawReason ?? undefined}
            data-testid="withdrawn-note"
          />
        )}
        {rejectedNote && (
          <Alert
            style={{ marginTop: 16 }}
            type="error"
            showIcon
            message={t('share.rejectedBecause')}
            description={rejectedNote}
            data-testid="rejected-reason"
          />
        )}
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

      <ClockCard requestId={d.id} clock={d.clock} canExtend={providerOfficer && d.state === 'submitted'} onChange={() => void reload()} />

      <Card title={t('share.whoWhy')}>
        <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} data-testid="request-facts" styles={{ label: { width: 140, whiteSpace: 'nowrap' } }}>
          <Descriptions.Item label={t('share.col.consumer')}>{d.consumerName}</Descriptions.Item>
          <Descriptions.Item label={t('share.col.requesterUser')}>
            {d.requester.name}
            {paren(d.requester.username)}
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
          <Descriptions.Item label={t('share.f.requestedRows')}>
            <RowFilter filter={d.rowFilter} />
          </Descriptions.Item>
          <Descriptions.Item label={t('share.col.columns')} span={2}>
            <Space size={[8, 4]} wrap>
              {d.columnDetails.map((c) => (
                <span key={c.name}>
                  {c.name}
                  {c.type && typeName(c.type as TypeId) !== c.name ? paren(typeName(c.type as TypeId)) : ''} <GradeTag grade={c.grade} short />
                </span>
              ))}
              {maxGrade >= 4 && <Tag color="red">{t('share.has4')}</Tag>}
            </Space>
          </Descriptions.Item>
        </Descriptions>
      </Card>

      {providerOfficer && d.state === 'submitted' && <ApprovalForm detail={d} onDone={() => void reload()} />}
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
      {has('secadmin') && d.state === 'provider_approved' && <SecurityDecision detail={d} onDone={() => void reload()} />}
      {has('secadmin') && d.state === 'submitted' && <Alert type="info" showIcon message={t('share.waitingProvider')} />}
      <Modal
        open={withdrawing}
        title={t('share.withdraw')}
        onCancel={() => setWithdrawing(false)}
        onOk={() => void withdraw()}
        okButtonProps={{ danger: true, 'data-testid': 'withdraw-ok' }}
        okText={t('share.withdraw')}
        cancelText={t('common.cancel')}
        destroyOnHidden
      >
        <Typography.Paragraph>{t('share.withdrawConfirm')}</Typography.Paragraph>
        <Input.TextArea
          rows={3}
          value={reason}
          maxLength={2000}
          onChange={(e) => setReason(e.target.value)}
          placeholder={t('share.withdrawReason')}
          data-testid="withdraw-reason"
        />
      </Modal>
    </Space>
  );
}
