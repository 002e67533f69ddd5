import { Alert, App, Button, Card, Checkbox, Descriptions, Form, Input, InputNumber, Modal, Select, Space, Table, Tabs, Tag, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { ApiError } from '../../api/client.ts';
import { gatewayApi, type ImportedOperation, type ServiceView } from '../../api/gateway.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../i18n.tsx';
import { StatusTag, useTypeLabel } from '../catalog/labels.tsx';
import { GatewayStats } from './GatewayStats.tsx';
import { MyServices, OperationsTable } from './MyServices.tsx';

const GRADE_COLORS: Record<number, string> = { 1: 'default', 2: 'blue', 3: 'orange', 4: 'red' };

function GradeTag({ grade }: { grade: number | null }) {
  return grade ? <Tag color={GRADE_COLORS[grade]}>{`${grade}级`}</Tag> : <Tag>—</Tag>;
}

/** 接口服务: registered interfaces (operations, graded fields, call examples); data officers register and publish. */
export function GatewayPage() {
  const { t } = useI18n();
  const { has } = useAuth();
  const { data: items = [], error, reload } = useLoad(() => gatewayApi.list(), []);
  const [registering, setRegistering] = useState(false);
  const [tab, setTab] = useState('services');

  return (
    <Card
      title={t('gw.title')}
      extra={
        tab === 'services' &&
        has('data_officer') && (
          <Button type="primary" data-testid="gw-register" onClick={() => setRegistering(true)}>
            {t('gw.register')}
          </Button>
        )
      }
    >
      <Tabs
        activeKey={tab}
        onChange={setTab}
        destroyOnHidden
        items={[
          { key: 'services', label: t('gw.tab.services'), children: services() },
          ...(has('consumer') ? [{ key: 'mine', label: <span data-testid="gw-tab-mine">{t('gw.tab.mine')}</span>, children: <MyServices /> }] : []),
          { key: 'stats', label: <span data-testid="gw-tab-stats">{t('gw.tab.stats')}</span>, children: <GatewayStats /> },
        ]}
      />
      {registering && (
        <RegisterModal
          onClose={(done) => {
            setRegistering(false);
            if (done) void reload();
          }}
        />
      )}
    </Card>
  );

  function services() {
    return (
      <>
        {error && <Alert type="error" message={error} style={{ marginBottom: 16 }} />}
        <Table<ServiceView>
          rowKey="code"
          dataSource={items}
          locale={{ emptyText: t('gw.empty') }}
          pagination={false}
          expandable={{ expandedRowRender: (s) => <ServiceDetail service={s} onChanged={() => void reload()} /> }}
          columns={[
            { title: t('gw.name'), dataIndex: 'name' },
            { title: t('gw.code'), dataIndex: 'code', render: (c: string) => <Typography.Text code>{c}</Typography.Text> },
            { title: t('gw.provider'), dataIndex: 'providerName' },
            { title: t('gw.status'), dataIndex: 'status', render: (s: ServiceView['status']) => <StatusTag value={s} /> },
            { title: t('gw.grade'), dataIndex: 'grade', render: (g: number | null) => <GradeTag grade={g} /> },
            { title: t('gw.operations'), render: (_, s) => s.operations.length },
            {
              title: t('gw.health'),
              render: (_, s) => (
                <>
                  <Tag color={s.health.state === 'up' ? 'green' : s.health.state === 'down' ? 'red' : undefined}>
                    {t(`gw.health.${s.health.state as 'up' | 'down' | 'unknown'}`)}
                  </Tag>
                  {s.resilience.breaker !== 'closed' && <Tag color="orange">{t(`gw.breaker.${s.resilience.breaker}`)}</Tag>}
                </>
              ),
            },
          ]}
        />
      </>
    );
  }
}

function ServiceDetail({ service, onChanged }: { service: ServiceView; onChanged: () => void }) {
  const { t } = useI18n();
  const { me } = useAuth();
  const { message } = App.useApp();
  const own = me?.orgId === service.providerOrgId && me.roles.includes('data_officer');
  const [editing, setEditing] = useState(false);
  const typeLabel = useTypeLabel();
  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Descriptions size="small" column={2} data-testid="gw-detail">
        {service.baseUrl && <Descriptions.Item label={t('gw.baseUrl')}>{service.baseUrl}</Descriptions.Item>}
        <Descriptions.Item label={t('gw.timeout')}>{service.timeoutMs}</Descriptions.Item>
        <Descriptions.Item label={t('gw.credential')}>
          {service.hasCredential ? `${service.authHeader ?? ''} ${t('gw.hasCredential')}` : t('gw.noCredential')}
        </Descriptions.Item>
      </Descriptions>
      {own && (
        <Button onClick={() => setEditing(true)} data-testid="gw-edit">
          {t('gw.edit')}
        </Button>
      )}
      {editing && (
        <EditModal
          service={service}
          onClose={(done) => {
            setEditing(false);
            if (done) onChanged();
          }}
        />
      )}
      {own && service.status === 'draft' && (
        <Button
          onClick={async () => {
            try {
              await gatewayApi.publish(service.code);
              void message.success(t('gw.published'));
              onChanged();
            } catch (e) {
              void message.error((e as Error).message);
            }
          }}
        >
          {t('gw.publish')}
        </Button>
      )}
      <OperationsTable code={service.code} operations={service.operations} testId="gw-operations" showId />
      <Table
        size="small"
        rowKey="name"
        pagination={false}
        dataSource={service.fields}
        data-testid="gw-fields"
        columns={[
          { title: t('gw.field'), dataIndex: 'name', render: (n: string) => <Typography.Text code>{n}</Typography.Text> },
          { title: t('gw.name'), dataIndex: 'label' },
          { title: t('gw.type'), dataIndex: 'type', render: (x: string | null) => (x ? <Tooltip title={x}>{typeLabel(x)}</Tooltip> : '—') },
          { title: t('gw.grade'), dataIndex: 'grade', render: (g: number | null) => <GradeTag grade={g} /> },
        ]}
      />
    </Space>
  );
}

interface RegisterForm {
  name: string;
  baseUrl: string;
  timeoutMs?: number;
  authHeader?: string;
  authSecret?: string;
  openapi: string;
  sampleOp?: string;
  sample?: string;
}

function RegisterModal({ onClose }: { onClose: (done: boolean) => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<RegisterForm>();
  const [preview, setPreview] = useState<ImportedOperation[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const format = (key: MessageKey, values: Record<string, string>) => t(key).replace(/\{(\w+)\}/g, (_, k: string) => values[k] ?? '');

  async function doPreview() {
    setError(undefined);
    try {
      const doc = await gatewayApi.preview(form.getFieldValue('openapi') ?? '');
      setPreview(doc.operations);
      if (!form.getFieldValue('name') && doc.title) form.setFieldValue('name', doc.title);
      if (!form.getFieldValue('baseUrl') && doc.servers[0]) form.setFieldValue('baseUrl', doc.servers[0]);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function submit(v: RegisterForm) {
    setError(undefined);
    let samples: Record<string, unknown> | undefined;
    if (v.sample?.trim() && v.sampleOp) {
      try {
        samples = { [v.sampleOp]: JSON.parse(v.sample) as unknown };
      } catch {
        setError(t('gw.badSample'));
        return;
      }
    }
    setBusy(true);
    try {
      const s = await gatewayApi.register({
        name: v.name,
        baseUrl: v.baseUrl,
        openapi: v.openapi,
        ...(v.timeoutMs ? { timeoutMs: v.timeoutMs } : {}),
        ...(v.authHeader && v.authSecret ? { auth: { header: v.authHeader, secret: v.authSecret } } : {}),
        ...(samples ? { samples } : {}),
      });
      void message.success(format('gw.registered', { code: s.code }));
      onClose(true);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : (e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal open width={860} title={t('gw.register')} onCancel={() => onClose(false)} okText={t('gw.submit')} confirmLoading={busy} onOk={() => form.submit()}>
      {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} data-testid="gw-error" />}
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ timeoutMs: 10000 }}>
        <Form.Item name="openapi" label={t('gw.openapi')} rules={[{ required: true }]}>
          <Input.TextArea rows={8} style={{ fontFamily: 'monospace' }} data-testid="gw-openapi" />
        </Form.Item>
        <Button onClick={doPreview} style={{ marginBottom: 12 }} data-testid="gw-preview">
          {t('gw.preview')}
        </Button>
        {preview && (
          <Table
            size="small"
            rowKey="id"
            pagination={false}
            style={{ marginBottom: 12 }}
            dataSource={preview}
            data-testid="gw-preview-table"
            columns={[
              { title: 'ID', dataIndex: 'id' },
              { title: t('gw.method'), dataIndex: 'method' },
              { title: t('gw.path'), dataIndex: 'path' },
              { title: t('gw.fields'), render: (_, o: ImportedOperation) => o.fields.map((f) => f.path).join(', ') },
            ]}
          />
        )}
        <Form.Item name="name" label={t('gw.name')} rules={[{ required: true, min: 2 }]}>
          <Input data-testid="gw-name" />
        </Form.Item>
        <Form.Item name="baseUrl" label={t('gw.baseUrl')} extra={t('gw.baseUrlHint')} rules={[{ required: true }]}>
          <Input placeholder="https://api.example.gov.cn/v1" data-testid="gw-base-url" />
        </Form.Item>
        <Space size={16} wrap>
          <Form.Item name="timeoutMs" label={t('gw.timeout')}>
            <InputNumber min={100} max={120000} />
          </Form.Item>
          <Form.Item name="authHeader" label={t('gw.authHeader')}>
            <Input placeholder="X-Api-Token" />
          </Form.Item>
          <Form.Item name="authSecret" label={t('gw.authSecret')}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
        </Space>
        <Form.Item name="sampleOp" label={t('gw.sampleOp')}>
          <Select allowClear options={(preview ?? []).map((o) => ({ value: o.id, label: `${o.id} ${o.method} ${o.path}` }))} />
        </Form.Item>
        <Form.Item name="sample" label={t('gw.sample')}>
          <Input.TextArea rows={4} style={{ fontFamily: 'monospace' }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

interface EditForm {
  baseUrl: string;
  timeoutMs: number;
  authHeader?: string;
  authSecret?: string;
  removeCredential?: boolean;
  openapi?: string;
}

/**
 * Edits a registered interface (the provider's officer): base URL, timeout, the upstream credential
 * (the stored secret is never shown; a blank one keeps it) and, optionally, a re-imported OpenAPI
 * document that replaces the operations.
 */
function EditModal({ service, onClose }: { service: ServiceView; onClose: (done: boolean) => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<EditForm>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const removing = Form.useWatch('removeCredential', form);

  async function submit(v: EditForm) {
    setError(undefined);
    setBusy(true);
    try {
      const header = v.authHeader?.trim();
      await gatewayApi.update(service.code, {
        baseUrl: v.baseUrl,
        timeoutMs: v.timeoutMs,
        ...(v.removeCredential ? { auth: null } : header ? { auth: { header, ...(v.authSecret ? { secret: v.authSecret } : {}) } } : {}),
        ...(v.openapi?.trim() ? { openapi: v.openapi } : {}),
      });
      void message.success(t('gw.saved'));
      onClose(true);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      open
      width={760}
      title={`${t('gw.edit')} · ${service.name}`}
      onCancel={() => onClose(false)}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onOk={() => form.submit()}
      okButtonProps={{ 'data-testid': 'gw-edit-save' }}
    >
      {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} data-testid="gw-edit-error" />}
      <Form
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{ baseUrl: service.baseUrl ?? '', timeoutMs: service.timeoutMs, authHeader: service.authHeader ?? '' }}
      >
        <Form.Item name="baseUrl" label={t('gw.baseUrl')} extra={t('gw.baseUrlHint')} rules={[{ required: true }]}>
          <Input data-testid="gw-edit-base-url" />
        </Form.Item>
        <Form.Item name="timeoutMs" label={t('gw.timeout')} rules={[{ required: true }]}>
          <InputNumber min={100} max={120000} data-testid="gw-edit-timeout" />
        </Form.Item>
        <Space size={16} wrap align="start">
          <Form.Item name="authHeader" label={t('gw.authHeader')}>
            <Input placeholder="X-Api-Token" disabled={removing} />
          </Form.Item>
          <Form.Item name="authSecret" label={t('gw.authSecret')} extra={service.hasCredential ? t('gw.edit.keepSecret') : undefined}>
            <Input.Password autoComplete="new-password" disabled={removing} />
          </Form.Item>
        </Space>
        {service.hasCredential && (
          <Form.Item name="removeCredential" valuePropName="checked">
            <Checkbox>{t('gw.edit.removeCredential')}</Checkbox>
          </Form.Item>
        )}
        <Form.Item name="openapi" label={t('gw.edit.openapi')} extra={t('gw.edit.openapiHint')}>
          <Input.TextArea rows={6} style={{ fontFamily: 'monospace' }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
