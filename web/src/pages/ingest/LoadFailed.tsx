import { Button, Card, Result } from 'antd';
import { Link } from 'react-router-dom';
import { useI18n } from '../../i18n.tsx';

/** A failed or cancelled upload or load: why, and the way to try again or to the dataset. */
export function LoadFailed({ reason, code, onAgain }: { reason: string; code: string | undefined; onAgain(): void }) {
  const { t } = useI18n();
  return (
    <Card data-testid="load-failed">
      <Result
        status="error"
        title={t('ingest.failed')}
        subTitle={<span data-testid="load-error">{reason}</span>}
        extra={[
          <Button type="primary" key="again" onClick={onAgain}>
            {t('ingest.again')}
          </Button>,
          ...(code
            ? [
                <Link key="open" to={`/catalog/${code}`}>
                  <Button>{t('ingest.openDataset')}</Button>
                </Link>,
              ]
            : []),
        ]}
      />
    </Card>
  );
}
