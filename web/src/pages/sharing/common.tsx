/** Tags and helpers shared by the sharing pages. */
import { Tag, Tooltip, Typography } from 'antd';
import { conditionsFromFilter, shareApi, type GrantMode, type GrantState, type RequestState } from '../../api/share.ts';
import { useI18n, type I18n } from '../../i18n.tsx';

const STATE_COLORS: Record<RequestState, string> = {
  submitted: 'gold',
  provider_approved: 'orange',
  active: 'green',
  rejected: 'red',
  expired: 'default',
  revoked: 'volcano',
  withdrawn: 'default',
};

/** 已提交 / 待安全审核 / 已生效 / 已驳回 / 已过期 / 已撤销. */
export function RequestStateTag({ state, testId }: { state: RequestState; testId?: string }) {
  const { t } = useI18n();
  return (
    <Tag color={STATE_COLORS[state]} data-testid={testId ?? 'request-state'}>
      {t(`share.state.${state}`)}
    </Tag>
  );
}

/**
 * A grant's state; a grant that ended because its renewal took effect reads 已续期 (renewed), not
 * 已过期, with its state in the tooltip.
 */
export function GrantStateTag({ state, supersededBy }: { state: GrantState; supersededBy?: string | null }) {
  const { t } = useI18n();
  if (supersededBy && state !== 'active' && state !== 'revoked') {
    return (
      <Tooltip title={t(`share.state.${state}`)}>
        <Tag color="cyan" data-testid="grant-state">
          {t('share.state.renewed')}
        </Tag>
      </Tooltip>
    );
  }
  return (
    <Tag color={STATE_COLORS[state]} data-testid="grant-state">
      {t(`share.state.${state}`)}
    </Tag>
  );
}

const MODE_COLORS: Record<GrantMode, string> = {
  clear: 'red',
  masked: 'blue',
  pseudonym: 'purple',
  generalized: 'cyan',
  redacted: 'geekblue',
  verify: 'gold',
  hidden: 'default',
};

/** The colour of 明文: a warning only where the column is sensitive (3级/4级); unknown grade: caution. */
function clearColor(grade: number | null | undefined): string {
  if (grade === undefined || grade === null) return 'orange';
  return grade >= 3 ? 'red' : 'green';
}

/** 明文 / 脱敏 / 假名化 / 泛化 / 文本去标识 / 仅核验 / 不提供; `grade` of the column where the page knows it. */
export function ModeTag({ mode, testId, grade }: { mode: GrantMode; testId?: string; grade?: number | null }) {
  const { t } = useI18n();
  return (
    <Tag color={mode === 'clear' ? clearColor(grade) : MODE_COLORS[mode]} data-testid={testId} data-grade={grade ?? undefined}>
      {t(`share.mode.${mode}`)}
    </Tag>
  );
}

/** Today as YYYY-MM-DD in the browser's time zone. */
export function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Grant expiry (the midnight after the end date, China time) shown as the end date itself. */
export function endDateOf(expiresAt: string | null): string | null {
  if (!expiresAt) return null;
  const china = new Date(new Date(expiresAt).getTime() + 8 * 3600_000 - 86_400_000);
  return china.toISOString().slice(0, 10);
}

/** Marks the unread notifications about one request or grant read (opening it is reading them). */
export async function readAbout(key: 'requestId' | 'grantId', id: string): Promise<void> {
  try {
    const { items } = await shareApi.notifications(true);
    const about = items.filter((n) => n.body[key] === id);
    await Promise.all(about.map((n) => shareApi.markRead(n.id)));
    if (about.length) window.dispatchEvent(new Event('pdx:notifications'));
  } catch {
    // Notifications are a convenience; a failure here must not break the page.
  }
}

/**
 * A row filter as a person reads it: "户籍地 等于 朝阳市 且 人口数 大于等于 3" (the API's text, e.g.
 * `户籍地=eq.朝阳市`, in the tooltip). A filter beyond simple conditions (or/and groups) is shown as
 * the text itself, marked as an advanced condition. The one formatter for every page that shows one.
 */
export function rowFilterText(i18n: Pick<I18n, 't' | 'sep'>, filter: string): string | undefined {
  const { t, sep } = i18n;
  const conditions = conditionsFromFilter(filter);
  if (!conditions?.length) return undefined;
  return conditions
    .map((c) => {
      const op = t(`share.opText.${c.op}`);
      if (c.op === 'is') return `${c.column} ${op}`;
      const value =
        c.op === 'in'
          ? c.value
              .split(/[,,、]/)
              .map((v) => v.trim())
              .filter(Boolean)
              .join(sep)
          : c.value;
      return `${c.column} ${op} ${value}`;
    })
    .join(t('share.opText.and'));
}

/** A row filter as the audit log records it (the parsed form: a condition, or an and/or group of them). */
export type FilterNodeShape =
  { column: string; op: string; value: string | string[] | null; not?: boolean } | { and: FilterNodeShape[] } | { or: FilterNodeShape[] };

/** Is `v` a recorded row filter (so the audit drawer says it in words instead of listing its fields)? */
export function isFilterNode(v: unknown): v is FilterNodeShape {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (typeof o.column === 'string' && typeof o.op === 'string') return true;
  const group = o.and ?? o.or;
  return Object.keys(o).length === 1 && Array.isArray(group) && group.every(isFilterNode);
}

/**
 * A recorded row filter in the words of rowFilterText: "户籍地 等于 朝阳市", groups joined by 且 / 或
 * and bracketed （…） when nested; an empty group is every row.
 */
export function filterNodeText(i18n: Pick<I18n, 't' | 'sep' | 'paren'>, node: FilterNodeShape, nested = false): string {
  const { t, sep } = i18n;
  if ('column' in node) {
    const not = node.not ? t('share.opText.not') : '';
    const op = t(`share.opText.${node.op}` as Parameters<typeof t>[0]);
    if (node.op === 'is') return `${node.column} ${not}${op}`;
    const value = Array.isArray(node.value) ? node.value.join(sep) : (node.value ?? '');
    return `${node.column} ${not}${op} ${value}`;
  }
  const [items, joiner] = 'and' in node ? [node.and, t('share.opText.and')] : [node.or, t('share.opText.or')];
  if (!items.length) return t('share.allRows');
  const text = items.map((n) => filterNodeText(i18n, n, true)).join(joiner);
  return nested && items.length > 1 ? i18n.paren(text).trim() : text;
}

export function RowFilter({ filter, testId }: { filter: string | null | undefined; testId?: string }) {
  const i18n = useI18n();
  const { t, colon } = i18n;
  if (!filter) return <span data-testid={testId}>{t('share.allRows')}</span>;
  const text = rowFilterText(i18n, filter);
  return (
    <Tooltip title={filter}>
      {text ? (
        <span data-testid={testId}>{text}</span>
      ) : (
        <Typography.Text code data-testid={testId}>
          {t('share.opText.advanced')}
          {colon}
          {filter}
        </Typography.Text>
      )}
    </Tooltip>
  );
}
