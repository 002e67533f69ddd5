/** Tags and labels shared by the catalogue and aggregation pages. */
import { LockOutlined } from '@ant-design/icons';
import { Tag, Tooltip } from 'antd';
import type { DatasetStatus, ShareType, Version } from '../../api/catalog.ts';
import { useI18n } from '../../i18n.tsx';

const GRADE_COLORS: Record<number, string> = { 4: 'red', 3: 'orange', 2: 'blue', 1: 'green' };

/** 一般数据 N级, red for 4 down to green for 1; 重要数据 candidates are flagged beside it. */
export function GradeTag({ grade, important, short }: { grade: number | null; important?: boolean; short?: boolean }) {
  const { t, label } = useI18n();
  if (grade === null) return <Tag>{t('cat.grade.none')}</Tag>;
  return (
    <>
      <Tag color={GRADE_COLORS[grade] ?? 'default'} data-testid="grade-tag">
        {short ? '' : `${t('cat.grade.general')} `}
        {label('cat.grade', grade)}
      </Tag>
      {important && (
        <Tooltip title={t('cat.importantHint')}>
          <Tag color="purple">{t('cat.important')}</Tag>
        </Tooltip>
      )}
    </>
  );
}

const SHARE_COLORS: Record<ShareType, string> = { unconditional: 'green', conditional: 'blue', none: 'default' };

export function ShareTag({ value }: { value: ShareType }) {
  const { t } = useI18n();
  return <Tag color={SHARE_COLORS[value]}>{t(`cat.share.${value}`)}</Tag>;
}

export function OpenTag({ value }: { value: ShareType }) {
  const { t } = useI18n();
  return <Tag color={SHARE_COLORS[value]}>{t(`cat.open.${value}`)}</Tag>;
}

const STATUS_COLORS: Record<DatasetStatus, string> = { draft: 'default', published: 'green', withdrawn: 'orange' };

export function StatusTag({ value }: { value: DatasetStatus }) {
  const { t } = useI18n();
  return (
    <Tag color={STATUS_COLORS[value]} data-testid="status-tag">
      {t(`cat.status.${value}`)}
    </Tag>
  );
}

const VERSION_COLORS: Record<Version['state'], string> = { loading: 'processing', active: 'green', failed: 'red', superseded: 'default' };

export function VersionStateTag({ value }: { value: Version['state'] }) {
  const { t } = useI18n();
  return <Tag color={VERSION_COLORS[value]}>{t(`cat.vstate.${value}`)}</Tag>;
}

export function EncryptedTag() {
  const { t } = useI18n();
  return (
    <Tag icon={<LockOutlined />} color="magenta" data-testid="encrypted-tag">
      {t('cat.encrypted')}
    </Tag>
  );
}

/** The Chinese/English name of a detected identifier type (cn_resident_id → 居民身份证号). */
export function useTypeLabel(): (type: string | undefined) => string {
  const { label } = useI18n();
  return (type) => (type === undefined ? '' : label('cls.type', type));
}

/** A server message that may be stored in both languages. */
export function useLocalized(): (message: { zh: string; en: string } | string | undefined) => string {
  const { lang } = useI18n();
  return (message) => (message === undefined ? '' : typeof message === 'string' ? message : message[lang]);
}

/** 1234567 → 1,234,567 (zh and en group the same way). */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

/** An upload or version error, with the line and column the server names in its details. */
export function useErrorText(): (error: { message?: { zh: string; en: string } | string; details?: unknown } | null | undefined) => string {
  const { t } = useI18n();
  const localized = useLocalized();
  return (error) => {
    if (!error) return '';
    const message = localized(error.message);
    const details = (error.details ?? {}) as { line?: unknown; column?: unknown };
    // The server's rule messages already name the line; others get it from the details.
    if (typeof details.line !== 'number' || message.includes(String(details.line))) return message;
    return typeof details.column === 'string'
      ? t('ingest.errorAt', { line: details.line, column: details.column, message })
      : t('ingest.errorAtLine', { line: details.line, message });
  };
}
