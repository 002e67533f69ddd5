/** The first rows of a dataset, masked as the classification review shows values (provider and secadmin). */
import { Alert, Empty, Spin, Table, Tag, Tooltip, Typography } from 'antd';
import { classifyApi, type DataPreview as Preview } from '../../api/classify.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../i18n.tsx';

const MODE_COLOR: Record<Preview['columns'][number]['mode'], string> = { clear: 'default', masked: 'blue', redacted: 'purple' };

export function DataPreview({ code, version }: { code: string; version: number }) {
  const { t } = useI18n();
  // Loaded again when a new version is current; each load is one audited view.
  const { data, loading, error } = useLoad(() => classifyApi.preview(code), [code, version]);

  if (error) return <Alert type="error" showIcon message={error} />;
  if (!data) return <Spin spinning={loading} />;
  if (data.version === 0) return <Empty description={t('cat.preview.empty')} />;
  return (
    <div data-testid="data-preview">
      <Typography.Paragraph type="secondary">{t('cat.preview.note', { version: data.version, rows: data.rows.length })}</Typography.Paragraph>
      <Table
        size="small"
        rowKey={(_, i) => String(i)}
        pagination={false}
        scroll={{ x: 'max-content' }}
        dataSource={data.rows}
        columns={data.columns.map((c, i) => ({
          key: c.name,
          title: (
            <span>
              {c.name}{' '}
              <Tooltip title={c.mode}>
                <Tag color={MODE_COLOR[c.mode]} style={{ marginInlineEnd: 0 }}>
                  {t(`cat.preview.mode.${c.mode}` as MessageKey)}
                </Tag>
              </Tooltip>
            </span>
          ),
          render: (_: unknown, row: (string | null)[]) => row[i] ?? <Typography.Text type="secondary">—</Typography.Text>,
        }))}
      />
    </div>
  );
}
