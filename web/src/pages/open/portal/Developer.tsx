import { Card, Space, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { useI18n } from '../../../i18n.tsx';

/** How to call the open API: keys, endpoints, the OpenAPI document and the DCAT-AP catalogue. */
export function DeveloperPage() {
  const { t } = useI18n();
  const origin = window.location.origin;
  return (
    <Card title={t('op.nav.developer')}>
      <Space direction="vertical" style={{ width: '100%' }}>
        <Typography.Paragraph>{t('op.dev.intro')}</Typography.Paragraph>
        <Typography.Text>{t('op.dev.step1')}</Typography.Text>
        <Typography.Text>
          {t('op.dev.step2')} (<Link to="/open/account">{t('op.nav.account')}</Link>)
        </Typography.Text>
        <Typography.Text>{t('op.dev.step3')}</Typography.Text>
        {[
          // Chinese text in a query must be URL-encoded: curl -G --data-urlencode does it.
          `curl -G "${origin}/api/v1/open/datasets" --data-urlencode "q=旅游"`,
          `curl "${origin}/api/v1/open/datasets/<资源代码>/records?limit=100"`,
          `curl -H "Authorization: Bearer pdxo_…" "${origin}/api/v1/open/datasets/<资源代码>/records?limit=1000&after=<next>"`,
          `curl -OJ "${origin}/api/v1/open/datasets/<资源代码>/download?format=xlsx"`,
        ].map((e) => (
          <Typography.Paragraph key={e} code copyable style={{ wordBreak: 'break-all' }}>
            {e}
          </Typography.Paragraph>
        ))}
        <Space wrap>
          <a href="/api/v1/open/openapi.json" target="_blank" rel="noreferrer">
            {t('op.dev.openapi')}
          </a>
          <a href="/open/catalog.jsonld" target="_blank" rel="noreferrer">
            {t('op.dev.dcat')}
          </a>
        </Space>
      </Space>
    </Card>
  );
}
