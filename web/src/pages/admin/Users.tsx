import { Alert, App, Button, Checkbox, Form, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { identityApi, isHeld, type Role, type User } from '../../api/identity.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { AdminChangesPage, useHeldNotice } from './AdminChanges.tsx';

const ROLES: Role[] = ['sysadmin', 'secadmin', 'auditor', 'data_officer', 'consumer'];
const ADMIN_ROLES: readonly Role[] = ['sysadmin', 'secadmin', 'auditor'];

/**
 * 三员分立 in the dialog (the server refuses the same): an administrator role is held alone, so once
 * one is ticked every other role is disabled; once a business role is ticked the administrator roles are.
 */
function roleDisabled(role: Role, ticked: readonly Role[]): boolean {
  if (ticked.includes(role)) return false;
  const admin = ticked.some((r) => ADMIN_ROLES.includes(r));
  const business = ticked.some((r) => !ADMIN_ROLES.includes(r));
  return admin || (business && ADMIN_ROLES.includes(role));
}

/**
 * sysadmin: accounts, roles (三员分立 enforced by the server), resets and unlocks. Changes to
 * administrator accounts are proposed here and listed below until the second administrator decides.
 */
export function UsersPage() {
  const { t, time } = useI18n();
  const { modal, message } = App.useApp();
  const held = useHeldNotice();
  const { data, loading, error: loadError, reload } = useLoad(() => Promise.all([identityApi.users(), identityApi.orgs()]), []);
  const [users = [], orgs = []] = data ?? [];
  const [editing, setEditing] = useState<User | 'new'>();
  const [error, setError] = useState<string>();
  const [form] = Form.useForm();
  const ticked: Role[] = Form.useWatch('roles', form) ?? [];

  const orgName = (id: string) => orgs.find((o) => o.id === id)?.name ?? id;
  const showPassword = (title: string, password: string) =>
    modal.success({
      title,
      content: (
        <Space direction="vertical">
          <Typography.Text>{t('users.passwordOnce')}</Typography.Text>
          <Typography.Text code copyable data-testid="one-time-password">
            {password}
          </Typography.Text>
        </Space>
      ),
    });

  async function save(values: { username: string; displayName: string; orgId: string; roles: Role[] }) {
    setError(undefined);
    try {
      if (editing === 'new') {
        const r = await identityApi.createUser(values);
        if (isHeld(r)) held(r);
        else showPassword(t('users.created'), r.password);
      } else if (editing) {
        const r = await identityApi.updateUser(editing.id, { displayName: values.displayName, orgId: values.orgId, roles: values.roles });
        if (isHeld(r)) held(r);
      }
      setEditing(undefined);
      await reload();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function act(call: () => Promise<unknown>) {
    try {
      await call();
      await reload();
    } catch (e) {
      message.error((e as Error).message);
    }
  }

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Button
          type="primary"
          onClick={() => {
            form.resetFields();
            setError(undefined);
            setEditing('new');
          }}
        >
          {t('users.new')}
        </Button>
      </Space>
      {loadError && <Alert style={{ marginBottom: 16 }} type="error" showIcon message={loadError} />}
      <Table<User>
        rowKey="id"
        loading={loading && !data}
        dataSource={users}
        pagination={{ pageSize: 20 }}
        columns={[
          { title: t('users.username'), dataIndex: 'username' },
          { title: t('users.displayName'), dataIndex: 'displayName' },
          { title: t('users.org'), dataIndex: 'orgId', render: orgName },
          { title: t('users.roles'), dataIndex: 'roles', render: (roles: Role[]) => roles.map((r) => <Tag key={r}>{t(`role.${r}`)}</Tag>) },
          {
            title: t('users.status'),
            render: (_, u) => (
              <>
                {u.pendingApproval ? (
                  <Tag color="gold">{t('so.users.pending')}</Tag>
                ) : u.disabled ? (
                  <Tag>{t('users.disabled')}</Tag>
                ) : u.locked ? (
                  <Tag color="red">{t('users.locked')}</Tag>
                ) : u.mustChangePassword ? (
                  <Tag color="orange">{t('users.mustChange')}</Tag>
                ) : (
                  <Tag color="green">{t('users.active')}</Tag>
                )}
                {u.signOn === 'sso' && <Tag color="blue">{t('so.users.sso')}</Tag>}
                {u.secondFactor && <Tag color="cyan">{t('so.users.totp')}</Tag>}
              </>
            ),
          },
          { title: t('users.lastLogin'), dataIndex: 'lastLoginAt', render: (v: string | null) => (v ? time(v) : t('common.never')) },
          {
            title: t('common.actions'),
            render: (_, u) => (
              <Space size={0} wrap>
                <Button
                  type="link"
                  onClick={() => {
                    form.setFieldsValue(u);
                    setError(undefined);
                    setEditing(u);
                  }}
                >
                  {t('users.edit')}
                </Button>
                <Button
                  type="link"
                  onClick={() =>
                    act(async () => {
                      const r = await identityApi.resetPassword(u.id);
                      if (isHeld(r)) held(r);
                      else showPassword(t('users.reset'), r.password);
                    })
                  }
                >
                  {t('users.reset')}
                </Button>
                {u.pendingApproval && (
                  <Button type="link" data-testid={`approve-${u.username}`} onClick={() => act(() => identityApi.approveUser(u.id))}>
                    {t('so.users.approve')}
                  </Button>
                )}
                {u.secondFactor && !u.roles.some((r) => r === 'sysadmin' || r === 'secadmin' || r === 'auditor') && (
                  <Button type="link" onClick={() => act(() => identityApi.resetSecondFactor(u.id))}>
                    {t('so.users.resetTotp')}
                  </Button>
                )}
                {u.locked && (
                  <Button type="link" onClick={() => act(() => identityApi.unlock(u.id))}>
                    {t('users.unlock')}
                  </Button>
                )}
                <Button
                  type="link"
                  danger={!u.disabled}
                  onClick={() =>
                    act(async () => {
                      const r = await identityApi.updateUser(u.id, { disabled: !u.disabled });
                      if (isHeld(r)) held(r);
                    })
                  }
                >
                  {u.disabled ? t('users.enable') : t('users.disable')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <Typography.Title level={5} style={{ marginTop: 24 }}>
        {t('admin.changes')}
      </Typography.Title>
      <AdminChangesPage />
      <Modal
        open={editing !== undefined}
        title={editing === 'new' ? t('users.new') : t('users.edit')}
        onCancel={() => setEditing(undefined)}
        onOk={() => form.submit()}
        okText={t('common.save')}
        destroyOnHidden
      >
        <Alert type="info" showIcon message={t('users.separation')} style={{ marginBottom: 16 }} />
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="user-error" />}
        <Form form={form} layout="vertical" onFinish={save}>
          <Form.Item name="username" label={t('users.username')} rules={[{ required: true }]}>
            <Input disabled={editing !== 'new'} />
          </Form.Item>
          <Form.Item name="displayName" label={t('users.displayName')} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="orgId" label={t('users.org')} rules={[{ required: true }]}>
            <Select showSearch optionFilterProp="label" options={orgs.map((o) => ({ value: o.id, label: o.name }))} />
          </Form.Item>
          <Form.Item name="roles" label={t('users.roles')} rules={[{ required: true }]}>
            <Checkbox.Group options={ROLES.map((r) => ({ value: r, label: t(`role.${r}`), disabled: roleDisabled(r, ticked) }))} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
