import { Card, Descriptions, Progress } from 'antd';
import type { Job } from '../../api/catalog.ts';
import { useI18n } from '../../i18n.tsx';
import { bytes, count } from '../catalog/labels.tsx';

/** The load job while it runs: its phase, rows and bytes read (below 100 % until it ends). */
export function LoadProgress({ job }: { job: Job | undefined }) {
  const { t, label } = useI18n();
  const phase = job ? (job.state === 'queued' ? 'queued' : (job.phase ?? 'loading')) : 'queued';
  return (
    <Card title={t('ingest.loading')} data-testid="load-progress">
      <Progress percent={job?.totalBytes ? Math.min(99, Math.floor((job.bytes / job.totalBytes) * 100)) : 0} status="active" />
      <Descriptions size="small" column={{ xs: 1, md: 3 }}>
        <Descriptions.Item label={t('ingest.phase')}>
          <span data-testid="job-phase">{label('ingest.phase', phase)}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('ingest.rowsRead')}>
          <span data-testid="job-rows">{count(job?.rows ?? 0)}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('ingest.bytesRead')}>
          {bytes(job?.bytes ?? 0)}
          {job?.totalBytes ? ` / ${bytes(job.totalBytes)}` : ''}
        </Descriptions.Item>
      </Descriptions>
    </Card>
  );
}
