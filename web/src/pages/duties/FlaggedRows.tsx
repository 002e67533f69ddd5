/**
 * 数据异议标注 on the dataset page: the rows under an open or escalated objection, with the columns
 * objected to, shown to everyone who sees the dataset (the records API names the same rows in its
 * x-pdx-flagged-rows header).
 */
import { Alert, Space, Typography } from 'antd';
import { dutiesApi } from '../../api/duties.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';

export function FlaggedRows({ code }: { code: string }) {
  const { t, time, sep } = useI18n();
  const { data } = useLoad(() => dutiesApi.flagged(code), [code]);
  if (!data || data.rows.length === 0) return null;
  return (
    <Alert
      type="warning"
      showIcon
      data-testid="flagged-rows"
      message={t('duties.flag.title', { n: data.rows.length })}
      description={
        <Space direction="vertical" size={0}>
          <Typography.Text type="secondary">{t('duties.flag.hint')}</Typography.Text>
          {data.rows.map((r) => (
            <span key={r.row} data-testid={`flagged-row-${r.row}`}>
              {t('duties.flag.row', { row: r.row, columns: r.columns.join(sep), since: time(r.since) })}
            </span>
          ))}
        </Space>
      }
    />
  );
}
