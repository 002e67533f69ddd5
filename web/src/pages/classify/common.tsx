import { Tag } from 'antd';
import type { Grade, Level, ReviewState } from '../../api/classify.ts';
import { useI18n } from '../../i18n.tsx';

const GRADE_COLORS: Record<Grade, string> = { 1: 'green', 2: 'blue', 3: 'orange', 4: 'red' };

/** 一般数据 n级, coloured by harm. */
export function GradeTag({ grade, testId }: { grade: Grade; testId?: string }) {
  const { t } = useI18n();
  return (
    <Tag color={GRADE_COLORS[grade]} data-testid={testId}>
      {t(`cls.grade.${grade}`)}
    </Tag>
  );
}

export function StateTag({ state }: { state: ReviewState }) {
  const { t } = useI18n();
  const color = { unreviewed: 'gold', confirmed: 'green', changed: 'volcano' } as const;
  return (
    <Tag color={color[state]} data-testid="review-state">
      {t(`cls.state.${state}`)}
    </Tag>
  );
}

export function LevelTag({ level, candidate }: { level: Level; candidate?: boolean }) {
  const { t } = useI18n();
  if (level === 'general' && candidate) return <Tag color="purple">{t('cls.candidate')}</Tag>;
  const color = { general: 'default', important: 'magenta', core: 'red' } as const;
  return <Tag color={color[level]}>{t(`cls.level.${level}`)}</Tag>;
}

/** The type's name in the console language (the API answers types as text). */
export function useTypeName(): (type: string | null) => string {
  const { t, label } = useI18n();
  return (type) => (type ? label('cls.type', type) : t('cls.noType'));
}

export const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;
