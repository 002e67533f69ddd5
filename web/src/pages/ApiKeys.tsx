import { Alert, App, Button, DatePicker, Form, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { identityApi, type ApiKey } from '../api/identity.ts';
import { useLoad } from '../hooks/useLoad.ts';
import { useI18n } from '../i18n.tsx';

/** The caller's organisation's API keys: create (shown once), see use, revoke. */
export function ApiKeysPage() {
  const { t, time, lang } = useI18n();
  const { modal, message } = App.useApp();
  const { data: keys = [], error, reload: load } = useLoad(() => identityApi.apiKeys(), []);
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm();

  async function create(values: { name: string; expiresAt?: { toDate(): Date } }) {
    try {
      const { key } = await identityApi.createApiKey({ name: values.name, expiresAt: values.expiresAt?.toDate().toISOString() ?? null });
      setOpen(false);
      await load();
      modal.success({
        title: t('keys.new'),
        width: 640,
        content: (
          <Space direction="vertical" style={{ width: '100%' }}>
            <Alert type="warning" showIcon message={t('keys.once')} />
            <Typography.Text code copyable data-testid="new-api-key">
              {key}
            </Typography.Text>
            <Typography.Text type="secondary">{t('keys.usage')}</Typography.Text>
          </Space>
        ),
      });
    } catch (e) {
      message.error((e as Error).message);
    }
  }

  const revoke = (k: ApiKey) =>
    modal.confirm({
      title: t('keys.revoke'),
      content: t('keys.revokeConfirm'),
      okButtonProps: { danger: true },
      onOk: async () => {
        await identityApi.revokeApiKey(k.id);
        await load();
      },
    });

  const color = { active: 'green', revoked: 'red', expired: 'default', suspended: 'red', throttled: 'orange' } as const;
  /** hh:mm of a throttle's end (a throttle lasts minutes, not days). */
  const clock = (v: string) => new Date(v).toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" onClick={() => setOpen(true)}>
          {t('keys.new')}
        </Button>
      </Space>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      <Table<ApiKey>
        rowKey="id"
        dataSource={keys}
        columns={[
          { title: t('keys.name'), dataIndex: 'name' },
          { title: t('keys.prefix'), dataIndex: 'prefix', render: (p: string) => <Typography.Text code>pdx_{p}_…</Typography.Text> },
          {
            title: t('keys.state'),
            dataIndex: 'state',
            render: (s: ApiKey['state'], k) => (
              <Tag color={color[s]} data-testid={`key-state-${k.name}`}>
                {s === 'throttled' && k.throttledUntil ? t('keys.state.throttledUntil', { time: clock(k.throttledUntil) }) : t(`keys.state.${s}`)}
              </Tag>
            ),
          },
          { title: t('keys.expires'), dataIndex: 'expiresAt', render: (v: string | null) => (v ? time(v) : t('keys.never')) },
          { title: t('keys.lastUsed'), dataIndex: 'lastUsedAt', render: (v: string | null) => (v ? time(v) : t('common.never')) },
          {
            title: t('common.actions'),
            render: (_, k) =>
              k.state === 'active' && (
                <Button type="link" danger onClick={() => revoke(k)}>
                  {t('keys.revoke')}
                </Button>
              ),
          },
        ]}
      />
      <Modal open={open} title={t('keys.new')} onCancel={() => setOpen(false)} onOk={() => form.submit()} okText={t('common.create')} destroyOnHidden>
        <Form form={form} layout="vertical" onFinish={create}>
          <Form.Item name="name" label={t('keys.name')} rules={[{ required: true }]}>
            <Input placeholder="低保资格核验系统" />
          </Form.Item>
          <Form.Item name="expiresAt" label={t('keys.expires')}>
            <DatePicker showTime style={{ width: '100%' }} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
