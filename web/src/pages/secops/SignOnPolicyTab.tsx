import { App as AntApp, Alert, Button, Form, Switch, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { identityApi } from '../../api/identity.ts';
import type { SignOnPolicy } from '../../api/signon.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';

/**
 * 登录安全策略 of the security administrator: whether data officers sign in with an authenticator
 * code too (三员 always do). Officers without one set it up at their next sign-in.
 */
export function SignOnPolicyTab() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<SignOnPolicy>();
  const [busy, setBusy] = useState(false);
  const { data: policy, error } = useLoad(() => identityApi.signOnPolicy(), []);
  // The form starts from what is stored.
  useEffect(() => {
    if (policy) form.setFieldsValue(policy);
  }, [policy, form]);

  const save = async (policy: SignOnPolicy) => {
    setBusy(true);
    try {
      form.setFieldsValue(await identityApi.setSignOnPolicy(policy));
      message.success(t('so.policy.saved'));
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (error) return <Alert type="error" showIcon message={error} />;
  if (!policy) return null;
  return (
    <Form form={form} layout="vertical" onFinish={save} style={{ maxWidth: 720 }} data-testid="sign-on-policy">
      <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('so.policy.adminsAlways')} />
      <Form.Item name="totpForDataOfficers" label={t('so.policy.dataOfficers')} valuePropName="checked" extra={t('so.policy.help')}>
        <Switch aria-label={t('so.policy.dataOfficers')} />
      </Form.Item>
      <Typography.Paragraph type="secondary">{t('so.policy.audited')}</Typography.Paragraph>
      <Button type="primary" htmlType="submit" loading={busy}>
        {t('so.policy.save')}
      </Button>
    </Form>
  );
}
