import { LockOutlined, SafetyOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Divider, Form, Input, Space, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { identityApi } from '../api/identity.ts';
import type { SecondFactorAnswer, SecondFactorStep, SignInOptions } from '../api/signon.ts';
import { useAuth } from '../auth.tsx';
import { useI18n, type MessageKey } from '../i18n.tsx';

/** The message for a refused sign-on (`?sso_error=` from the callback), or undefined. */
function ssoErrorKey(): MessageKey | undefined {
  const code = new URLSearchParams(window.location.search).get('sso_error');
  return code && /^[a-z_]+$/.test(code) ? (`so.error.${code}` as MessageKey) : undefined;
}

export function LoginPage() {
  const { t, lang, setLang, colon } = useI18n();
  const { login, secondFactor, signedIn } = useAuth();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [step, setStep] = useState<SecondFactorStep>();
  const [done, setDone] = useState<SecondFactorAnswer>();
  const [options, setOptions] = useState<SignInOptions>();
  const [ssoError] = useState(ssoErrorKey);

  useEffect(() => {
    void identityApi.signInOptions().then(setOptions, () => undefined);
  }, []);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const submitPassword = (values: { username: string; password: string }) => run(async () => setStep(await login(values.username, values.password)));
  const submitCode = (values: { code: string }) =>
    run(async () => {
      const answer = await secondFactor(step!.ticket, values.code);
      // Recovery codes (enrolment) and the count left (a recovery code used) are read before entering.
      if (answer.recoveryCodes || answer.recoveryCodesLeft !== undefined) setDone(answer);
      else signedIn(answer.user);
    });

  const ssoMessage = ssoError ? t(ssoError) : undefined;

  let body;
  if (done) {
    body = (
      <div data-testid="recovery-codes">
        {done.recoveryCodes ? (
          <>
            <Typography.Title level={5}>{t('so.recovery.title')}</Typography.Title>
            <Typography.Paragraph type="secondary">{t('so.recovery.hint')}</Typography.Paragraph>
            <pre style={{ fontSize: 14, background: '#f5f5f5', padding: 12, userSelect: 'all' }}>{done.recoveryCodes.join('\n')}</pre>
          </>
        ) : (
          <Alert type="warning" showIcon style={{ marginBottom: 16 }} message={t('so.recovery.left', { n: done.recoveryCodesLeft ?? 0 })} />
        )}
        <Button type="primary" block onClick={() => signedIn(done.user)}>
          {t('so.recovery.continue')}
        </Button>
      </div>
    );
  } else if (step) {
    body = (
      <>
        <Typography.Title level={5}>{step.enrol ? t('so.enrol.title') : t('so.code.title')}</Typography.Title>
        <Typography.Paragraph type="secondary">{step.enrol ? t('so.enrol.hint') : t('so.code.hint')}</Typography.Paragraph>
        {step.enrol && (
          <div style={{ textAlign: 'center', marginBottom: 16 }} data-testid="totp-enrol">
            <img src={step.enrol.qrDataUrl} alt="otpauth QR" width={180} height={180} />
            <div>
              <Typography.Text type="secondary">
                {t('so.enrol.secret')}
                {colon}
              </Typography.Text>
              <Typography.Text code copyable data-testid="totp-secret">
                {step.enrol.secret}
              </Typography.Text>
            </div>
          </div>
        )}
        <Form layout="vertical" onFinish={submitCode} requiredMark={false}>
          <Form.Item name="code" label={t('so.code.label')} rules={[{ required: true }]}>
            <Input prefix={<SafetyOutlined />} autoComplete="one-time-code" inputMode="numeric" autoFocus maxLength={40} />
          </Form.Item>
          <Space direction="vertical" style={{ width: '100%' }}>
            <Button type="primary" htmlType="submit" block loading={busy}>
              {t('so.code.submit')}
            </Button>
            <Button type="link" block onClick={() => (setStep(undefined), setError(undefined))}>
              {t('so.code.back')}
            </Button>
          </Space>
        </Form>
      </>
    );
  } else {
    body = (
      <>
        <Form layout="vertical" onFinish={submitPassword} requiredMark={false}>
          <Form.Item name="username" label={t('login.username')} rules={[{ required: true }]}>
            <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('login.submit')}
          </Button>
        </Form>
        {options?.sso.enabled && (
          <>
            <Divider plain>{t('so.sso.or')}</Divider>
            {/* A full navigation: the provider's page, then back through the callback. */}
            <Button block href={`/api/v1/auth/sso/start?returnTo=${encodeURIComponent(window.location.pathname)}`} data-testid="sso-button">
              {t('so.sso.button')}
            </Button>
            {options.sso.demo && (
              <div style={{ textAlign: 'center', marginTop: 8 }}>
                <Tag color="orange">{t('so.sso.demo')}</Tag>
              </div>
            )}
          </>
        )}
      </>
    );
  }

  return (
    <div
      style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: 'linear-gradient(135deg, #0b2a5b, #1668dc)' }}
    >
      <Card style={{ width: 400 }}>
        <div style={{ textAlign: 'center', marginBottom: 24 }}>
          <img src="/favicon.svg" alt="" width={40} />
          <Typography.Title level={3} style={{ marginTop: 12, marginBottom: 4 }} data-testid="app-title">
            {t('app.title')}
          </Typography.Title>
          <Typography.Text type="secondary">{t('login.subtitle')}</Typography.Text>
        </div>
        {ssoMessage && !step && !error && <Alert type="error" message={ssoMessage} showIcon style={{ marginBottom: 16 }} data-testid="sso-error" />}
        {error && <Alert type="error" message={error} showIcon style={{ marginBottom: 16 }} data-testid="login-error" />}
        {body}
        <div style={{ textAlign: 'center', marginTop: 16 }}>
          <Button type="link" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-switch">
            {t('lang.switch')}
          </Button>
        </div>
      </Card>
    </div>
  );
}
