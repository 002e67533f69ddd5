import { ArrowLeftOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, DatePicker, Descriptions, Form, Input, InputNumber, Result, Select, Space, Spin, Table, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { getColumns, getDataset, type Column, type Dataset } from '../../api/catalog.ts';
import { gatewayApi, type Operation } from '../../api/gateway.ts';
import { PURPOSE_CATEGORIES, shareApi, type PurposeCategory, type ShareRequest } from '../../api/share.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { GradeTag, ShareTag } from '../catalog/labels.tsx';
import { useTypeName } from '../classify/common.tsx';
import type { TypeId } from '../../api/classify.ts';

interface FormValues {
  purposeCategory: PurposeCategory;
  purpose: string;
  legalBasis: string;
  endDate: Dayjs;
  expectedRowsPerDay?: number;
  /** Telemetry sets: the finest resolution asked for. */
  resolution?: 'raw' | '1m' | '1h';
  /** Interfaces: the operations asked for. */
  operations?: string[];
}

/** A dataset with its 信息项, and for an interface the operations one may ask for. */
async function requestable(code: string): Promise<{ dataset: Dataset; columns: Column[]; operations: Operation[] }> {
  const [dataset, columns] = await Promise.all([getDataset(code), getColumns(code)]);
  const operations = dataset.resourceKind === 'service' ? (await gatewayApi.get(code)).operations : [];
  return { dataset, columns, operations };
}

/** /sharing/request/:code — a consumer asks for 信息项 of a dataset, for a purpose, until a date. */
export function RequestFormPage() {
  const { code = '' } = useParams();
  const { t, colon, paren, sep } = useI18n();
  const { me } = useAuth();
  const navigate = useNavigate();
  const typeName = useTypeName();
  const { data: loaded, error: loadError } = useLoad(() => requestable(code), [code]);
  const [picked, setPicked] = useState<string[]>([]);
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const [done, setDone] = useState<ShareRequest>();
  const [form] = Form.useForm<FormValues>();
  const { modal } = App.useApp();

  if (loadError)
    return (
      <Result status="error" title={t('share.loadFailed')} subTitle={loadError} extra={<Button onClick={() => navigate('/catalog')}>{t('cat.back')}</Button>} />
    );
  if (!loaded) return <Spin size="large" style={{ display: 'block', margin: '80px auto' }} />;
  const { dataset, columns, operations } = loaded;

  if (done) {
    return (
      <Result
        status="success"
        title={t('share.submitted')}
        subTitle={done.needsSecurity ? t('share.submittedSecurity') : t('share.submittedBody')}
        data-testid="request-submitted"
        extra={[
          <Button type="primary" key="mine" onClick={() => navigate('/sharing?tab=requests')} data-testid="go-my-requests">
            {t('share.myRequests')}
          </Button>,
          <Button key="one" onClick={() => navigate(`/sharing/requests/${done.id}`)}>
            {t('share.viewRequest')}
          </Button>,
        ]}
      />
    );
  }

  const own = me?.orgId === dataset.providerOrgId;
  const refused = dataset.shareType === 'none' || dataset.status !== 'published' || own;
  const hasGrade4 = columns.some((c) => picked.includes(c.name) && (c.grade ?? 0) >= 4);

  /** Shows what is about to be asked for and sends it only once confirmed. */
  function confirmSubmit(values: FormValues) {
    if (picked.length === 0) {
      setError(t('share.pickColumns'));
      return;
    }
    modal.confirm({
      title: t('share.confirmTitle'),
      width: 560,
      okText: t('share.confirmSubmit'),
      cancelText: t('share.confirmBack'),
      content: (
        <Descriptions column={1} size="small" data-testid="request-summary">
          <Descriptions.Item label={t('share.confirmDataset')}>
            {dataset.name}
            {paren(dataset.providerName)}
          </Descriptions.Item>
          <Descriptions.Item label={t('share.confirmColumns')}>{picked.join(sep)}</Descriptions.Item>
          <Descriptions.Item label={t('share.f.category')}>{t(`share.category.${values.purposeCategory}`)}</Descriptions.Item>
          <Descriptions.Item label={t('share.f.purpose')}>{values.purpose}</Descriptions.Item>
          <Descriptions.Item label={t('share.f.endDate')}>{values.endDate.format('YYYY-MM-DD')}</Descriptions.Item>
          {hasGrade4 && <Descriptions.Item label={t('share.col.grade')}>{t('share.grade4Hint')}</Descriptions.Item>}
        </Descriptions>
      ),
      onOk: () => submit(values),
    });
  }

  async function submit(values: FormValues) {
    setSaving(true);
    setError(undefined);
    try {
      const r = await shareApi.submit({
        dataset: code,
        columns: picked,
        purpose: values.purpose,
        purposeCategory: values.purposeCategory,
        legalBasis: values.legalBasis,
        endDate: values.endDate.format('YYYY-MM-DD'),
        ...(values.expectedRowsPerDay ? { expectedRowsPerDay: values.expectedRowsPerDay } : {}),
        ...(dataset.resourceKind === 'telemetry' ? { series: { resolution: values.resolution ?? '1h' } } : {}),
        ...(dataset.resourceKind === 'service' ? { operations: values.operations ?? [] } : {}),
      });
      setDone(r);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Link to={`/catalog/${encodeURIComponent(code)}`}>
        <ArrowLeftOutlined /> {t('share.backToDataset')}
      </Link>
      <Card>
        <Space direction="vertical" size={4}>
          <Typography.Title level={3} style={{ margin: 0 }} data-testid="request-title">
            {t('share.requestTitle')}
            {colon}
            {dataset.name}
          </Typography.Title>
          <Typography.Text type="secondary">
            {dataset.code} · {dataset.providerName} · <ShareTag value={dataset.shareType} />{' '}
            <GradeTag grade={dataset.grade} important={dataset.importantCandidate} />
          </Typography.Text>
        </Space>
        {dataset.shareType === 'none' && <Alert style={{ marginTop: 16 }} type="warning" showIcon message={t('share.notShareable')} />}
        {dataset.status !== 'published' && <Alert style={{ marginTop: 16 }} type="warning" showIcon message={t('share.notPublished')} />}
        {own && <Alert style={{ marginTop: 16 }} type="info" showIcon message={t('share.ownDataset')} />}
      </Card>

      <Card title={t('share.pickTitle')} extra={<Typography.Text type="secondary">{t('share.picked', { n: picked.length })}</Typography.Text>}>
        <Table<Column>
          rowKey="name"
          size="small"
          pagination={false}
          dataSource={columns}
          rowSelection={{ selectedRowKeys: picked, onChange: (keys) => setPicked(keys as string[]), getCheckboxProps: () => ({ disabled: refused }) }}
          columns={[
            {
              title: t('share.col.column'),
              dataIndex: 'name',
              render: (n: string, c) => <span data-testid={`pick-${n}`}>{c.label && c.label !== n ? `${n}${paren(c.label)}` : n}</span>,
            },
            {
              title: t('share.col.type'),
              render: (_, c) => {
                const top = c.classification.types?.[0]?.type;
                return top ? typeName(top as TypeId) : '—';
              },
            },
            { title: t('share.col.grade'), dataIndex: 'grade', render: (g: number | null) => <GradeTag grade={g} short /> },
            { title: t('share.col.description'), dataIndex: 'description', render: (v: string) => v || '—' },
          ]}
        />
        {hasGrade4 && <Alert style={{ marginTop: 12 }} type="warning" showIcon message={t('share.grade4Hint')} data-testid="grade4-hint" />}
      </Card>

      <Card title={t('share.purposeTitle')}>
        <Form<FormValues>
          form={form}
          layout="vertical"
          disabled={refused}
          onFinish={confirmSubmit}
          // Enter in a field (the date picker above all) must not send a request: only the button does.
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.target as HTMLElement).tagName === 'INPUT') e.preventDefault();
          }}
          initialValues={{ purposeCategory: 'social_assistance', endDate: dayjs().add(1, 'year') }}
          style={{ maxWidth: 720 }}
        >
          <Form.Item name="purposeCategory" label={t('share.f.category')} rules={[{ required: true }]}>
            <Select data-testid="purpose-category" options={PURPOSE_CATEGORIES.map((c) => ({ value: c, label: t(`share.category.${c}`) }))} />
          </Form.Item>
          <Form.Item name="purpose" label={t('share.f.purpose')} rules={[{ required: true, min: 2, message: t('share.f.purposeRequired') }]}>
            <Input.TextArea rows={3} placeholder={t('share.f.purposePlaceholder')} data-testid="purpose" />
          </Form.Item>
          <Form.Item name="legalBasis" label={t('share.f.legalBasis')} rules={[{ required: true, min: 2, message: t('share.f.legalBasisRequired') }]}>
            <Input.TextArea rows={2} placeholder={t('share.f.legalBasisPlaceholder')} data-testid="legal-basis" />
          </Form.Item>
          <Space size={24} wrap>
            <Form.Item name="endDate" label={t('share.f.endDate')} rules={[{ required: true }]}>
              <DatePicker disabledDate={(d) => d.isBefore(dayjs().startOf('day'))} data-testid="end-date" />
            </Form.Item>
            <Form.Item name="expectedRowsPerDay" label={t('share.f.volume')}>
              <InputNumber min={1} style={{ width: 200 }} placeholder="1000" data-testid="volume" />
            </Form.Item>
            {dataset.resourceKind === 'service' && (
              <Form.Item name="operations" label={t('gw.operations')} rules={[{ required: true }]}>
                <Select
                  mode="multiple"
                  style={{ minWidth: 320 }}
                  data-testid="operations"
                  options={operations.map((o) => ({ value: o.id, label: `${o.id} · ${o.method} ${o.path}` }))}
                />
              </Form.Item>
            )}
            {dataset.resourceKind === 'telemetry' && (
              <Form.Item name="resolution" label={t('tel.resolution')} initialValue="1h">
                <Select
                  style={{ width: 200 }}
                  data-testid="resolution"
                  options={(['raw', '1m', '1h'] as const).map((r) => ({ value: r, label: t(`tel.res.${r}`) }))}
                />
              </Form.Item>
            )}
          </Space>
          {error && <Alert style={{ marginBottom: 16 }} type="error" showIcon message={error} data-testid="request-error" />}
          {/* On its own line under the fields, at their left edge (beside the inline fields it sat on their label line). */}
          <Form.Item style={{ marginBottom: 0 }}>
            <Button type="primary" htmlType="submit" loading={saving} data-testid="submit-request">
              {t('share.submit')}
            </Button>
          </Form.Item>
        </Form>
      </Card>
    </Space>
  );
}
