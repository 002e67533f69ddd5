import { Descriptions, Space, Tag } from 'antd';
import type { RequestDetail, Terms } from '../../api/share.ts';
import { useI18n } from '../../i18n.tsx';
import { GradeTag } from '../catalog/labels.tsx';
import { ModeTag, RowFilter } from './common.tsx';

/** The terms the provider granted: a mode per column, rows, term, quotas, IP ranges, assessment and note. */
export function TermsView({ terms, detail }: { terms: Terms; detail: RequestDetail }) {
  const { t, colon } = useI18n();
  const grades = new Map(detail.columnDetails.map((c) => [c.name, c.grade]));
  return (
    <Descriptions bordered size="small" column={1} data-testid="terms" styles={{ label: { width: 160, whiteSpace: 'nowrap' } }}>
      <Descriptions.Item label={t('share.col.granted')}>
        <Space size={[8, 4]} wrap>
          {terms.columns.map((c) => (
            <span key={c.name} data-testid={`term-${c.name}`}>
              {c.name} <GradeTag grade={grades.get(c.name) ?? null} short /> <ModeTag mode={c.mode} grade={grades.get(c.name) ?? null} />
              {c.generalize?.address && <Tag>{t(`share.gen.address.${c.generalize.address}`)}</Tag>}
              {c.generalize?.date && <Tag>{t(`share.gen.date.${c.generalize.date}`)}</Tag>}
              {c.mode === 'redacted' && <Tag>{t(`share.redact.${c.redact ?? 'masked'}`)}</Tag>}
            </span>
          ))}
        </Space>
      </Descriptions.Item>
      <Descriptions.Item label={t('share.col.rowFilter')}>
        <RowFilter filter={terms.rowFilter} testId="terms-filter" />
      </Descriptions.Item>
      <Descriptions.Item label={t('share.col.endDate')}>{terms.endDate}</Descriptions.Item>
      <Descriptions.Item label={t('share.f.quotas')}>
        {t('share.f.rowsPerDay')}
        {colon}
        {terms.rowsPerDay ?? t('share.unlimited')} · {t('share.f.requestsPerMinute')}
        {colon}
        {terms.requestsPerMinute ?? t('share.unlimited')}
      </Descriptions.Item>
      <Descriptions.Item label={t('share.f.ipRanges')}>{terms.ipRanges.length ? terms.ipRanges.join(', ') : t('share.anyIp')}</Descriptions.Item>
      {terms.impactAssessment && <Descriptions.Item label={t('share.f.impact')}>{terms.impactAssessment}</Descriptions.Item>}
      {detail.providerNote && <Descriptions.Item label={t('share.providerNote')}>{detail.providerNote}</Descriptions.Item>}
    </Descriptions>
  );
}
