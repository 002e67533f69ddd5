import { Card, Descriptions, Tag, Typography } from 'antd';
import type { ReviewView } from '../../api/classify.ts';
import { useI18n } from '../../i18n.tsx';
import { GradeTag, LevelTag, StateTag } from './common.tsx';

/** The head of a review: the dataset, its version and rows, review state, grades, level and the protection they bring. */
export function ReviewSummary({ view }: { view: ReviewView }) {
  const { t, time, num } = useI18n();
  const p = view.protection;
  return (
    <Card title={<span data-testid="review-title">{view.name}</span>} extra={<Typography.Text type="secondary">{view.code}</Typography.Text>}>
      <Descriptions size="small" column={{ xs: 1, md: 2, xl: 4 }}>
        <Descriptions.Item label={t('cls.col.provider')}>{view.providerName}</Descriptions.Item>
        <Descriptions.Item label={t('cls.col.version')}>v{view.currentVersion}</Descriptions.Item>
        <Descriptions.Item label={t('cls.rows')}>{num(view.important.rows)}</Descriptions.Item>
        <Descriptions.Item label={t('cls.col.state')}>
          <StateTag state={view.state} />
          {view.confirmation && (
            <Typography.Text type="secondary">
              {view.confirmation.by} · {time(view.confirmation.at)}
            </Typography.Text>
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('cls.detectedGrade')}>
          <GradeTag grade={view.detectedGrade} />
        </Descriptions.Item>
        <Descriptions.Item label={t('cls.effectiveGrade')}>
          <GradeTag grade={view.effectiveGrade} testId="effective-grade" />
        </Descriptions.Item>
        <Descriptions.Item label={t('cls.col.level')}>
          <LevelTag level={view.level} candidate={view.important.candidate && !view.important.decision} />
        </Descriptions.Item>
        <Descriptions.Item label={t('cls.protection')}>
          <GradeTag grade={p.grade} />
          {p.encryptAtRest && <Tag>{t('cls.protection.encrypt')}</Tag>}
          <Tag>{t(p.defaultShare === 'masked' ? 'cls.protection.masked' : 'cls.protection.clear')}</Tag>
        </Descriptions.Item>
      </Descriptions>
    </Card>
  );
}
