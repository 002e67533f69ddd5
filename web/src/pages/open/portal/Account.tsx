import { Alert, App, Button, Card, Descriptions, Form, Input, Modal, Radio, Result, Skeleton, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { portalApi, type Application, type MailNotice } from '../../../api/open.ts';
import { useLoad } from '../../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../../i18n.tsx';
import { FeedbackStateTag, useSociety } from './common.tsx';

const narrow = { maxWidth: 440, margin: '24px auto' };

export function LoginPage() {
  const { t } = useI18n();
  const { refresh } = useSociety();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [error, setError] = useState<string>();
  const submit = async (v: { email: string; password: string }) => {
    try {
      await portalApi.login(v.email, v.password);
      await refresh();
      navigate(params.get('next') ?? '/open/account');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Card title={t('op.acct.loginTitle')} style={narrow}>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} data-testid="login-error" />}
      <Form layout="vertical" onFinish={(v) => void submit(v)}>
        <Form.Item name="email" label={t('op.acct.email')} rules={[{ required: true }]}>
          <Input autoComplete="username" />
        </Form.Item>
        <Form.Item name="password" label={t('op.acct.password')} rules={[{ required: true }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block data-testid="login-submit">
          {t('op.nav.login')}
        </Button>
      </Form>
      <Space style={{ marginTop: 12 }} wrap>
        <Link to="/open/reset">{t('op.acct.forgot')}</Link>
        <span>
          {t('op.acct.noAccount')} <Link to="/open/register">{t('op.nav.register')}</Link>
        </span>
      </Space>
    </Card>
  );
}

/** What the server did with the mail: sent, or written to its log (no SMTP server configured). */
function Notice({ notice, sent, logged }: { notice: MailNotice; sent: MessageKey; logged: MessageKey }) {
  const { t } = useI18n();
  return notice.delivery === 'email' ? (
    <Result status="success" title={t(sent)} data-testid="mail-notice" />
  ) : (
    <Result status="info" title={t(logged)} data-testid="mail-notice" />
  );
}

export function RegisterPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [notice, setNotice] = useState<MailNotice>();
  const [kind, setKind] = useState<'individual' | 'enterprise'>('individual');
  if (notice)
    return (
      <Card style={narrow}>
        <Notice notice={notice} sent="op.acct.registered" logged="op.acct.registeredLog" />
      </Card>
    );
  return (
    <Card title={t('op.acct.registerTitle')} style={narrow}>
      <Form
        layout="vertical"
        initialValues={{ kind: 'individual' }}
        onFinish={(v) => portalApi.register({ ...v, kind }).then(setNotice, (e: Error) => message.error(e.message))}
      >
        <Form.Item name="kind" label={t('op.acct.kind')}>
          <Radio.Group
            onChange={(e) => setKind(e.target.value)}
            optionType="button"
            options={[
              { value: 'individual', label: t('op.acct.individual') },
              { value: 'enterprise', label: t('op.acct.enterprise') },
            ]}
          />
        </Form.Item>
        <Form.Item name="email" label={t('op.acct.email')} rules={[{ required: true, type: 'email' }]}>
          <Input autoComplete="email" data-testid="register-email" />
        </Form.Item>
        <Form.Item name="password" label={t('op.acct.password')} extra={t('op.acct.policy')} rules={[{ required: true, min: 10 }]}>
          <Input.Password autoComplete="new-password" data-testid="register-password" />
        </Form.Item>
        <Form.Item name="displayName" label={t('op.acct.name')} rules={[{ required: true }]}>
          <Input data-testid="register-name" />
        </Form.Item>
        {kind === 'enterprise' && (
          <>
            <Form.Item name="orgName" label={t('op.acct.orgName')} rules={[{ required: true }]}>
              <Input />
            </Form.Item>
            <Form.Item name="uscc" label={t('op.acct.uscc')} rules={[{ required: true, len: 18 }]}>
              <Input />
            </Form.Item>
          </>
        )}
        <Form.Item name="phone" label={t('op.acct.phone')}>
          <Input />
        </Form.Item>
        <Button type="primary" htmlType="submit" block data-testid="register-submit">
          {t('op.nav.register')}
        </Button>
      </Form>
      <div style={{ marginTop: 12 }}>
        {t('op.acct.haveAccount')} <Link to="/open/login">{t('op.nav.login')}</Link>
      </div>
    </Card>
  );
}

/** The page the verification link opens: verifies once, then points to the account. */
export function VerifyPage() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const { refresh } = useSociety();
  const [state, setState] = useState<'working' | 'done' | string>('working');
  const token = params.get('token') ?? '';
  useEffect(() => {
    portalApi.verify(token).then(
      () => {
        setState('done');
        void refresh();
      },
      (e: Error) => setState(e.message),
    );
  }, [token, refresh]);
  return (
    <Card style={narrow} data-testid="verify-result">
      {state === 'working' ? (
        <Result status="info" title={t('op.acct.verifying')} />
      ) : state === 'done' ? (
        <Result status="success" title={t('op.acct.verified')} extra={<Link to="/open/login">{t('op.nav.login')}</Link>} />
      ) : (
        <Result status="error" title={state} />
      )}
    </Card>
  );
}

/** Asks for a reset link, or (opened from the link) sets the new password. */
export function ResetPage() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const { message } = App.useApp();
  const token = params.get('token');
  const [notice, setNotice] = useState<MailNotice>();
  const [done, setDone] = useState(false);
  if (token) {
    if (done)
      return (
        <Card style={narrow}>
          <Result status="success" title={t('op.acct.resetDone')} extra={<Link to="/open/login">{t('op.nav.login')}</Link>} />
        </Card>
      );
    return (
      <Card title={t('op.acct.resetTitle')} style={narrow}>
        <Form
          layout="vertical"
          onFinish={(v: { password: string }) =>
            portalApi.reset(token, v.password).then(
              () => setDone(true),
              (e: Error) => message.error(e.message),
            )
          }
        >
          <Form.Item name="password" label={t('op.acct.newPassword')} extra={t('op.acct.policy')} rules={[{ required: true, min: 10 }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block>
            {t('op.acct.submit')}
          </Button>
        </Form>
      </Card>
    );
  }
  if (notice)
    return (
      <Card style={narrow}>
        <Notice notice={notice} sent="op.acct.resetSent" logged="op.acct.resetLog" />
      </Card>
    );
  return (
    <Card title={t('op.acct.resetTitle')} style={narrow}>
      <Form layout="vertical" onFinish={(v: { email: string }) => portalApi.requestReset(v.email).then(setNotice, (e: Error) => message.error(e.message))}>
        <Form.Item name="email" label={t('op.acct.email')} rules={[{ required: true, type: 'email' }]}>
          <Input />
        </Form.Item>
        <Button type="primary" htmlType="submit" block>
          {t('op.acct.submit')}
        </Button>
      </Form>
    </Card>
  );
}

function Keys() {
  const { t, time } = useI18n();
  const { message } = App.useApp();
  const { data: items = [], reload } = useLoad(async () => (await portalApi.keys()).items, []);
  const [shown, setShown] = useState<string>();
  const [form] = Form.useForm();
  const load = () => void reload();
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Form
        form={form}
        layout="inline"
        onFinish={(v: { name: string }) =>
          portalApi.createKey(v.name).then(
            (r) => {
              setShown(r.key);
              form.resetFields();
              load();
            },
            (e: Error) => message.error(e.message),
          )
        }
      >
        <Form.Item name="name" rules={[{ required: true }]}>
          <Input placeholder={t('op.acct.keyName')} data-testid="key-name" />
        </Form.Item>
        <Button type="primary" htmlType="submit" data-testid="new-key">
          {t('op.acct.newKey')}
        </Button>
      </Form>
      <Modal
        open={!!shown}
        onOk={() => setShown(undefined)}
        onCancel={() => setShown(undefined)}
        title={t('op.acct.keyShown')}
        cancelButtonProps={{ style: { display: 'none' } }}
      >
        <Typography.Paragraph code copyable data-testid="key-value" style={{ wordBreak: 'break-all' }}>
          {shown}
        </Typography.Paragraph>
      </Modal>
      <Table
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={items}
        columns={[
          { title: t('op.acct.keyName'), dataIndex: 'name' },
          { title: 'pdxo_', dataIndex: 'prefix', render: (p: string) => <Typography.Text code>pdxo_{p}_…</Typography.Text> },
          { title: t('op.acct.lastUsed'), dataIndex: 'lastUsedAt', render: (v: string | null) => (v ? time(v) : '—') },
          {
            title: '',
            render: (_, k) =>
              k.revokedAt ? (
                <Tag>{t('op.acct.revoked')}</Tag>
              ) : (
                <Button size="small" danger onClick={() => void portalApi.revokeKey(k.id).then(load)}>
                  {t('op.acct.revoke')}
                </Button>
              ),
          },
        ]}
      />
    </Space>
  );
}

const APP_COLORS: Record<Application['state'], string> = { submitted: 'processing', approved: 'success', rejected: 'error', expired: 'default' };

/** A society user's own page: verification state, API keys, applications, requests and showcase entries. */
export function AccountPage() {
  const { t, time } = useI18n();
  const { me } = useSociety();
  // A member's own lists, once the e-mail address is verified.
  const when = { when: Boolean(me?.verified) };
  const { data: apps = [] } = useLoad(async () => (await portalApi.myApplications()).items, [me], when);
  const { data: demands = [] } = useLoad(async () => (await portalApi.myDemands()).items, [me], when);
  const { data: showcases = [] } = useLoad(async () => (await portalApi.myShowcases()).items, [me], when);
  if (me === undefined) return <Skeleton active />;
  if (me === null) return <LoginPage />;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card size="small">
        <Descriptions size="small" column={{ xs: 1, sm: 2 }} title={me.displayName}>
          <Descriptions.Item label={t('op.acct.email')}>{me.email}</Descriptions.Item>
          <Descriptions.Item label={t('op.acct.kind')}>{t(me.kind === 'enterprise' ? 'op.acct.enterprise' : 'op.acct.individual')}</Descriptions.Item>
          {me.orgName && <Descriptions.Item label={t('op.acct.orgName')}>{me.orgName}</Descriptions.Item>}
        </Descriptions>
        {!me.verified && <Alert type="warning" showIcon message={t('op.acct.unverified')} data-testid="unverified" />}
      </Card>
      {me.verified && (
        <Card size="small">
          <Tabs
            items={[
              {
                key: 'applications',
                label: t('op.acct.applications'),
                children: (
                  <Table
                    size="small"
                    rowKey="id"
                    pagination={false}
                    scroll={{ x: true }}
                    dataSource={apps}
                    columns={[
                      { title: t('op.app.dataset'), render: (_, a) => <Link to={`/open/datasets/${a.dataset.code}`}>{a.dataset.name}</Link> },
                      {
                        title: t('op.app.state'),
                        render: (_, a) => (
                          <Tag color={APP_COLORS[a.state]} data-testid={`my-application-${a.dataset.code}`}>
                            {t(`op.app.${a.state}`)}
                          </Tag>
                        ),
                      },
                      { title: t('op.app.due'), dataIndex: 'dueAt', render: (v: string) => time(v) },
                      { title: t('op.app.until'), render: (_, a) => a.terms?.until ?? '—' },
                      { title: t('op.app.conditions'), render: (_, a) => a.terms?.conditions ?? a.reason ?? '—' },
                    ]}
                  />
                ),
              },
              { key: 'keys', label: t('op.acct.keys'), children: <Keys /> },
              {
                key: 'demands',
                label: t('op.acct.demands'),
                children: (
                  <Table
                    size="small"
                    rowKey="id"
                    pagination={false}
                    dataSource={demands}
                    columns={[
                      { title: t('op.demand.subject'), dataIndex: 'title' },
                      { title: t('op.app.state'), render: (_, d) => <FeedbackStateTag state={d.state} /> },
                      { title: t('op.demand.answer'), dataIndex: 'answer' },
                    ]}
                  />
                ),
              },
              {
                key: 'showcases',
                label: t('op.acct.showcases'),
                children: (
                  <Table
                    size="small"
                    rowKey="id"
                    pagination={false}
                    dataSource={showcases}
                    columns={[
                      { title: t('op.show.name'), dataIndex: 'title' },
                      { title: t('op.app.state'), render: (_, s) => <FeedbackStateTag state={s.state} /> },
                      { title: t('op.app.reason'), dataIndex: 'reason' },
                    ]}
                  />
                ),
              },
            ]}
          />
        </Card>
      )}
    </Space>
  );
}
