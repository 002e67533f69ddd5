/**
 * 库表汇聚 on a dataset page (the provider's officer): the database table the dataset is bound to,
 * with its mode, schedule, next run and last outcome, or a way to bind one; both lead to 数据源.
 */
import { Alert, Card, Descriptions, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { sourcesApi, type Binding } from '../../api/exchange.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';

/** A binding's schedule in words: cron, every N minutes, or on request. */
export function useScheduleText(): (b: Pick<Binding, 'cron' | 'intervalMinutes'>) => string {
  const { t } = useI18n();
  return (b) =>
    b.cron ? t('sources.cronAt', { cron: b.cron }) : b.intervalMinutes ? t('sources.everyMinutes', { n: b.intervalMinutes }) : t('sources.onRequest');
}

export function DatasetBinding({ code }: { code: string }) {
  const { t, time, lang, colon } = useI18n();
  const { data: bindings, error } = useLoad(() => sourcesApi.bindings(), [code]);
  const b: Binding | undefined = bindings?.find((x) => x.dataset === code);
  const schedule = useScheduleText();
  if (error) return <Alert type="error" showIcon message={error} />;
  if (!bindings) return null;
  return (
    <Card
      title={t('sources.bindings')}
      size="small"
      data-testid="dataset-binding"
      extra={<Link to={b ? '/sources' : `/sources?bind=${encodeURIComponent(code)}`}>{b ? t('sources.manage') : t('sources.bind')}</Link>}
    >
      {b ? (
        <Descriptions size="small" column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label={t('sources.from')}>
            <Typography.Text code>{`${b.sourceName}:${b.schema}.${b.table}`}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('sources.mode')}>{t(`sources.mode.${b.mode}`)}</Descriptions.Item>
          <Descriptions.Item label={t('sources.schedule')}>{schedule(b)}</Descriptions.Item>
          <Descriptions.Item label={t('sources.nextRun')}>{b.nextRunAt ? time(b.nextRunAt) : '—'}</Descriptions.Item>
          <Descriptions.Item label={t('sources.state')} span={2}>
            {b.lastError ? (
              <Typography.Text type="danger">
                {t('sources.failures', { n: b.consecutiveFailures })}
                {colon}
                {b.lastError.message[lang]}
              </Typography.Text>
            ) : (
              <Tag color="green">{b.lastVersion ? t('sources.atVersion', { n: b.lastVersion }) : t('sources.notRun')}</Tag>
            )}
          </Descriptions.Item>
        </Descriptions>
      ) : (
        <Typography.Text type="secondary">{t('sources.notBound')}</Typography.Text>
      )}
    </Card>
  );
}
