import { Alert, App, Badge, Button, Form, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { useState, type HTMLAttributes } from 'react';
import { identityApi, type AdminChange, type HeldChange } from '../../api/identity.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';

/** Tells every view of the pending changes (list, menu badge) to reload. */
export const CHANGES_EVENT = 'pdx:admin-changes';

const STATE_COLORS: Record<AdminChange['state'], string> = { pending: 'orange', applied: 'green', rejected: 'red', withdrawn: 'default' };

/** Pending changes the signed-in administrator may approve: the console's to-do count. */
export function useChangesToApprove(): number {
  const { me, has } = useAuth();
  const approver = has('secadmin', 'auditor');
  // Only an approver has a count; a failed refresh keeps the last one.
  const { data: n = 0 } = useLoad(
    async () => (approver && me ? (await identityApi.adminChanges()).filter((c) => c.state === 'pending' && me.roles.includes(c.approverRole)).length : 0),
    [approver, me],
    { when: approver && !!me, every: 60_000, on: CHANGES_EVENT },
  );
  return n;
}

/** The menu entry with its to-do count. */
export function ChangesMenuLabel() {
  const { t } = useI18n();
  const n = useChangesToApprove();
  return (
    <Space size={6}>
      {t('admin.changes')}
      {n > 0 && <Badge count={n} size="small" title={t('changes.todo', { n })} data-testid="changes-todo" />}
    </Space>
  );
}

/** One half of a generated password, shown once. */
export function PasswordHalf({ intro, value }: { intro: string; value: string }) {
  return (
    <Space direction="vertical">
      <Typography.Text>{intro}</Typography.Text>
      <Typography.Text code copyable data-testid="password-half">
        {value}
      </Typography.Text>
    </Space>
  );
}

/** What a sysadmin sees after proposing: the change waits for its approver (and the first half of a password). */
export function useHeldNotice() {
  const { t } = useI18n();
  const { modal } = App.useApp();
  return (held: HeldChange) => {
    window.dispatchEvent(new Event(CHANGES_EVENT));
    modal.info({
      title: t('changes.held'),
      width: 520,
      content: (
        <Space direction="vertical" data-testid="change-held">
          <Typography.Text>{t('changes.heldBody', { role: t(`role.${held.change.approverRole}`) })}</Typography.Text>
          {held.passwordPart && <PasswordHalf intro={t('changes.firstHalf')} value={held.passwordPart} />}
        </Space>
      ),
    });
  };
}

/**
 * 三员账号变更: every change to an administrator account. The sysadmin sees and withdraws its
 * proposals; the secadmin and the auditor approve or reject the ones waiting for them.
 */
export function AdminChangesPage() {
  const { t, time, sep, paren, colon, semicolon } = useI18n();
  const { me } = useAuth();
  const { modal, message } = App.useApp();
  const { data, error, reload } = useLoad(() => Promise.all([identityApi.adminChanges(), identityApi.orgs()]), [], { on: CHANGES_EVENT });
  const [items, orgs = []] = data ?? [];
  const [rejecting, setRejecting] = useState<AdminChange>();
  const [form] = Form.useForm<{ reason: string }>();

  const done = async (text: string) => {
    message.success(text);
    window.dispatchEvent(new Event(CHANGES_EVENT));
    await reload();
  };

  async function approve(c: AdminChange) {
    try {
      const r = await identityApi.approveChange(c.id);
      if (r.passwordPart)
        modal.success({ title: t('changes.approved'), width: 520, content: <PasswordHalf intro={t('changes.secondHalf')} value={r.passwordPart} /> });
      await done(t('changes.approved'));
    } catch (e) {
      message.error((e as Error).message);
    }
  }

  async function act(call: () => Promise<unknown>, text: string) {
    try {
      await call();
      await done(text);
    } catch (e) {
      message.error((e as Error).message);
    }
  }

  const orgName = (id: string | undefined) => orgs.find((o) => o.id === id)?.name ?? id;
  const describe = (c: AdminChange) => {
    const f = c.changes;
    const created = c.kind === 'create';
    const parts: string[] = [];
    if (f.username) parts.push(`${t('users.username')}${colon}${f.username}`);
    if (f.roles) parts.push(`${t(created ? 'users.roles' : 'changes.rolesTo')}${colon}${f.roles.map((r) => t(`role.${r}`)).join(sep)}`);
    if (f.disabled !== undefined) parts.push(t(f.disabled ? 'changes.disable' : 'changes.enable'));
    if (f.orgId) parts.push(`${t(created ? 'users.org' : 'changes.orgTo')}${colon}${orgName(f.orgId)}`);
    if (f.displayName) parts.push(`${t(created ? 'users.displayName' : 'changes.nameTo')}${colon}${f.displayName}`);
    return parts.join(semicolon) || t(`changes.kind.${c.kind}`);
  };

  if (error) return <Alert type="error" showIcon message={error} />;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Alert type="info" showIcon message={t('changes.intro')} />
      <Table<AdminChange>
        rowKey="id"
        loading={!items}
        dataSource={items ?? []}
        locale={{ emptyText: t('changes.empty') }}
        pagination={{ pageSize: 20 }}
        scroll={{ x: true }}
        onRow={(c) => ({ 'data-testid': `change-${c.targetUsername}` }) as HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('changes.account'), dataIndex: 'targetUsername' },
          { title: t('changes.kind'), render: (_, c) => `${t(`changes.kind.${c.kind}`)}${paren(c.adminRoles.map((r) => t(`role.${r}`)).join(sep))}` },
          { title: t('changes.what'), render: (_, c) => describe(c) },
          { title: t('changes.proposer'), render: (_, c) => c.proposedBy.username },
          { title: t('changes.proposedAt'), dataIndex: 'proposedAt', render: (v: string) => time(v) },
          { title: t('changes.approverRole'), render: (_, c) => t(`role.${c.approverRole}`) },
          {
            title: t('changes.state'),
            render: (_, c) => (
              <Space size={4} wrap>
                <Tag color={STATE_COLORS[c.state]}>{t(`changes.state.${c.state}`)}</Tag>
                {c.decidedBy && <Typography.Text type="secondary">{c.decidedBy.username}</Typography.Text>}
                {c.reason && <Typography.Text type="secondary">{c.reason}</Typography.Text>}
              </Space>
            ),
          },
          {
            title: t('common.actions'),
            render: (_, c) =>
              c.state !== 'pending' ? null : (
                <Space size={0} wrap>
                  {me?.roles.includes(c.approverRole) && (
                    <>
                      <Button type="link" onClick={() => void approve(c)} data-testid="change-approve">
                        {t('changes.approve')}
                      </Button>
                      <Button
                        type="link"
                        danger
                        onClick={() => {
                          form.resetFields();
                          setRejecting(c);
                        }}
                      >
                        {t('changes.reject')}
                      </Button>
                    </>
                  )}
                  {me?.roles.includes('sysadmin') && (
                    <Button type="link" onClick={() => void act(() => identityApi.withdrawChange(c.id), t('changes.withdrawn'))}>
                      {t('changes.withdraw')}
                    </Button>
                  )}
                </Space>
              ),
          },
        ]}
      />
      <Modal open={rejecting !== undefined} title={t('changes.reject')} onCancel={() => setRejecting(undefined)} onOk={() => form.submit()} destroyOnHidden>
        <Form
          form={form}
          layout="vertical"
          onFinish={async ({ reason }) => {
            const c = rejecting!;
            setRejecting(undefined);
            await act(() => identityApi.rejectChange(c.id, reason), t('changes.rejected'));
          }}
        >
          <Form.Item name="reason" label={t('changes.reason')} rules={[{ required: true, min: 2, message: t('changes.reasonRequired') }]}>
            <Input.TextArea rows={3} />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
