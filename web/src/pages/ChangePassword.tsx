import { LogoutOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Form, Input, Layout, Space, Typography } from 'antd';
import { useState } from 'react';
import { identityApi } from '../api/identity.ts';
import { useAuth } from '../auth.tsx';
import { useI18n } from '../i18n.tsx';

/** Own password change; forced after first sign-in or a reset. */
export function ChangePasswordPage({ forced }: { forced?: boolean }) {
  const { t } = useI18n();
  const { me, refresh, logout } = useAuth();
  const { message } = App.useApp();
  const [error, setError] = useState<string>();
  const [form] = Form.useForm();

  async function submit(values: { currentPassword: string; newPassword: string }) {
    setError(undefined);
    try {
      await identityApi.changePassword({ currentPassword: values.currentPassword, newPassword: values.newPassword });
      message.success(t('pwd.done'));
      form.resetFields();
      await refresh();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  const card = (
    <Card style={{ maxWidth: 480, margin: forced ? '48px auto' : undefined }} title={t('pwd.title')}>
      {forced && <Alert type="warning" showIcon message={t('pwd.required')} style={{ marginBottom: 16 }} />}
      <Typography.Paragraph type="secondary">{t('pwd.policy')}</Typography.Paragraph>
      {error && <Alert type="error" message={error} showIcon style={{ marginBottom: 16 }} data-testid="password-error" />}
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item name="currentPassword" label={t('pwd.current')} rules={[{ required: true }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item name="newPassword" label={t('pwd.new')} rules={[{ required: true }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="confirm"
          label={t('pwd.confirm')}
          dependencies={['newPassword']}
          rules={[
            { required: true },
            ({ getFieldValue }) => ({
              validator: (_, value) => (value === getFieldValue('newPassword') ? Promise.resolve() : Promise.reject(new Error(t('pwd.mismatch')))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit">
          {t('pwd.submit')}
        </Button>
      </Form>
    </Card>
  );
  if (!forced) return card;
  // Before the console opens: who is signed in, and the way out for someone who is not ready to choose.
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header
        style={{
          background: '#fff',
          borderBottom: '1px solid #f0f0f0',
          display: 'flex',
          alignItems: 'center',
          justifyContent: 'space-between',
          gap: 8,
          padding: '0 16px',
        }}
      >
        <Typography.Title level={4} style={{ margin: 0, whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }}>
          <img src="/favicon.svg" alt="" width={22} style={{ verticalAlign: -4, marginRight: 8 }} />
          {t('app.short')}
        </Typography.Title>
        <Space size={4} align="center">
          <Typography.Text
            data-testid="forced-who"
            style={{ display: 'inline-block', maxWidth: '40vw', whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', verticalAlign: 'middle' }}
          >
            {me?.displayName} · {me?.orgName}
          </Typography.Text>
          <Button type="text" icon={<LogoutOutlined />} onClick={() => void logout()} data-testid="forced-logout">
            {t('logout')}
          </Button>
        </Space>
      </Layout.Header>
      <Layout.Content style={{ padding: '0 12px' }}>{card}</Layout.Content>
    </Layout>
  );
}
