/** Shared pieces of the auditor console: action choices, result tags, actors, time ranges, organisations. */
import { ApiOutlined, UserOutlined } from '@ant-design/icons';
import { Space, Tag, Tooltip, Typography } from 'antd';
import type { TimeRangePickerProps } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import type { AuditResult } from '../../api/audit.ts';
import { identityApi, type Org } from '../../api/identity.ts';
import { actionName } from '../../components/actions.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../i18n.tsx';

/** An action filter: an exact action, or a family (`auth.*`) sent as `action_prefix`. */
export interface ActionChoice {
  value: string;
  label: MessageKey;
}

/** Actions pdx records, grouped by family; the search also accepts any other action typed in. */
export const ACTION_GROUPS: { family: ActionChoice; actions: ActionChoice[] }[] = [
  {
    family: { value: 'auth.*', label: 'audit.act.auth' },
    actions: [
      { value: 'auth.login', label: 'audit.act.auth.login' },
      { value: 'auth.logout', label: 'audit.act.auth.logout' },
      { value: 'auth.lockout', label: 'audit.act.auth.lockout' },
      { value: 'auth.password_change', label: 'audit.act.auth.password_change' },
      { value: 'auth.apikey', label: 'audit.act.auth.apikey' },
    ],
  },
  { family: { value: 'access.*', label: 'audit.act.access' }, actions: [{ value: 'access.denied', label: 'audit.act.access.denied' }] },
  { family: { value: 'data.*', label: 'audit.act.data' }, actions: [{ value: 'data.read', label: 'audit.act.data.read' }] },
  {
    family: { value: 'dataset.*', label: 'audit.act.dataset' },
    actions: [
      { value: 'dataset.create', label: 'audit.act.dataset.create' },
      { value: 'dataset.update', label: 'audit.act.dataset.update' },
      { value: 'dataset.upload', label: 'audit.act.dataset.upload' },
      { value: 'dataset.version_load', label: 'audit.act.dataset.version_load' },
      { value: 'dataset.version_failed', label: 'audit.act.dataset.version_failed' },
      { value: 'dataset.schema_change', label: 'audit.act.dataset.schema_change' },
      { value: 'dataset.share_type_change', label: 'audit.act.dataset.share_type_change' },
      { value: 'dataset.publish', label: 'audit.act.dataset.publish' },
      { value: 'dataset.withdraw', label: 'audit.act.dataset.withdraw' },
    ],
  },
  {
    family: { value: 'classification.*', label: 'audit.act.classification' },
    actions: [
      { value: 'classification.review', label: 'audit.act.classification.review' },
      { value: 'classification.important_decision', label: 'audit.act.classification.important_decision' },
      { value: 'classification.policy_change', label: 'audit.act.classification.policy_change' },
    ],
  },
  {
    family: { value: 'share.*', label: 'audit.act.share' },
    actions: [
      { value: 'share.request', label: 'audit.act.share.request' },
      { value: 'share.approve', label: 'audit.act.share.approve' },
      { value: 'share.security_approve', label: 'audit.act.share.security_approve' },
      { value: 'share.grant_auto', label: 'audit.act.share.grant_auto' },
      { value: 'share.reject', label: 'audit.act.share.reject' },
      { value: 'share.revoke', label: 'audit.act.share.revoke' },
    ],
  },
  { family: { value: 'grant.*', label: 'audit.act.grant' }, actions: [{ value: 'grant.approve', label: 'audit.act.grant.approve' }] },
  {
    family: { value: 'user.*', label: 'audit.act.user' },
    actions: [
      { value: 'user.create', label: 'audit.act.user.create' },
      { value: 'user.update', label: 'audit.act.user.update' },
      { value: 'user.password_reset', label: 'audit.act.user.password_reset' },
      { value: 'user.unlock', label: 'audit.act.user.unlock' },
      { value: 'user.roles_change', label: 'audit.act.user.roles_change' },
    ],
  },
  {
    family: { value: 'org.*', label: 'audit.act.org' },
    actions: [
      { value: 'org.create', label: 'audit.act.org.create' },
      { value: 'org.update', label: 'audit.act.org.update' },
      { value: 'org.disable', label: 'audit.act.org.disable' },
      { value: 'org.enable', label: 'audit.act.org.enable' },
    ],
  },
  {
    family: { value: 'apikey.*', label: 'audit.act.apikey' },
    actions: [
      { value: 'apikey.create', label: 'audit.act.apikey.create' },
      { value: 'apikey.revoke', label: 'audit.act.apikey.revoke' },
    ],
  },
  {
    family: { value: 'settings.*', label: 'audit.act.settings' },
    actions: [
      { value: 'settings.change', label: 'audit.act.settings.change' },
      { value: 'keys.reencrypt', label: 'audit.act.keys.reencrypt' },
    ],
  },
  {
    family: { value: 'audit.*', label: 'audit.act.audit' },
    actions: [
      { value: 'audit.verify', label: 'audit.act.audit.verify' },
      { value: 'audit.export', label: 'audit.act.audit.export' },
    ],
  },
];

/** The API filter of a choice: `auth.*` is a prefix, anything else an exact action. */
export function actionFilter(choice: string | undefined): { action?: string; action_prefix?: string } {
  if (!choice) return {};
  return choice.endsWith('.*') ? { action_prefix: choice.slice(0, -1) } : { action: choice };
}

/**
 * An action's name in the console language; its code only in the tooltip. An action pdx has no name
 * for shows its family's name with the code.
 */
export function ActionText({ action }: { action: string }) {
  const { label } = useI18n();
  const name = actionName(label, action);
  return (
    <Tooltip title={action}>
      <span data-action={action}>{name}</span>
    </Tooltip>
  );
}

const RESULT_COLORS: Record<AuditResult, string> = { success: 'green', failure: 'orange', denied: 'red' };

export function ResultTag({ result }: { result: AuditResult }) {
  const { t } = useI18n();
  return <Tag color={RESULT_COLORS[result]}>{t(`audit.result.${result}`)}</Tag>;
}

/** Who acted: a person (username) or an application (API key of that user). */
export function ActorText({ username, apiKeyId }: { username: string | null; apiKeyId: string | null }) {
  const { t } = useI18n();
  if (!username && !apiKeyId) return <Typography.Text type="secondary">{t('audit.anonymous')}</Typography.Text>;
  return (
    <Space size={4} style={{ whiteSpace: 'nowrap' }}>
      {apiKeyId ? <ApiOutlined title={t('audit.viaApiKey')} /> : <UserOutlined />}
      <span>{username ?? '—'}</span>
      {apiKeyId && (
        <Tooltip title={apiKeyId}>
          <Tag style={{ marginInlineEnd: 0 }}>{t('audit.app')}</Tag>
        </Tooltip>
      )}
    </Space>
  );
}

/** Organisations by id, for names in tables (every signed-in user may list them). */
export function useOrgs(): { orgs: Org[]; orgName(id: string | null): string } {
  const { data: orgs = [] } = useLoad(() => identityApi.orgs().catch((): Org[] => []), []);
  return { orgs, orgName: (id) => (id ? (orgs.find((o) => o.id === id)?.name ?? id) : '—') };
}

export type Range = [Dayjs | null, Dayjs | null] | null;

/** Range presets of an audit question: today, last 7 days, this month, last month. */
export function useRangePresets(): TimeRangePickerProps['presets'] {
  const { t } = useI18n();
  return [
    { label: t('audit.range.today'), value: [dayjs().startOf('day'), dayjs().endOf('day')] },
    { label: t('audit.range.week'), value: [dayjs().subtract(7, 'day').startOf('day'), dayjs().endOf('day')] },
    { label: t('audit.range.month'), value: [dayjs().startOf('month'), dayjs().endOf('month')] },
    { label: t('audit.range.lastMonth'), value: [dayjs().subtract(1, 'month').startOf('month'), dayjs().subtract(1, 'month').endOf('month')] },
  ];
}

export function thisMonth(): Range {
  return [dayjs().startOf('month'), dayjs().endOf('month')];
}

/** The API's range: `from` inclusive, `to` exclusive (so the picked end second is included). */
export function rangeQuery(range: Range | undefined): { from?: string; to?: string } {
  const [from, to] = range ?? [null, null];
  return {
    ...(from ? { from: from.toISOString() } : {}),
    ...(to ? { to: to.add(1, 'second').startOf('second').toISOString() } : {}),
  };
}

/** Monospace hex that wraps anywhere and copies whole (even when only its start is shown). */
export function Hex({ value, shown, testId }: { value: string; shown?: number; testId?: string }) {
  return (
    <Typography.Text code copyable={{ text: value }} title={value} style={{ wordBreak: 'break-all', fontSize: 12 }} data-testid={testId}>
      {shown ? `${value.slice(0, shown)}…` : value}
    </Typography.Text>
  );
}
