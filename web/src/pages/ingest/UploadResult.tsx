import { Button, Card, Descriptions, Result, Space, Table, Tag, Typography } from 'antd';
import { useNavigate } from 'react-router-dom';
import { getColumns, getVersionReport, type Column, type IngestResult } from '../../api/catalog.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../i18n.tsx';
import { bytes, count, EncryptedTag, GradeTag, useTypeLabel } from '../catalog/labels.tsx';

const DELIMITERS: Record<string, MessageKey> = { ',': 'ingest.delim.comma', '\t': 'ingest.delim.tab', ';': 'ingest.delim.semicolon', '|': 'ingest.delim.pipe' };

/**
 * What a finished load found and made: the new version and its rows, what was detected in the file
 * (format, encoding, delimiter; each 信息项 with its type and grade), and the next steps: 复核分类分级,
 * then 发布 from the dataset page.
 */
export function UploadResult({ code, result, onAgain }: { code: string; result: IngestResult | null; onAgain(): void }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const typeLabel = useTypeLabel();
  const version = result?.version;
  const { data } = useLoad(async () => (version === undefined ? undefined : Promise.all([getVersionReport(code, version), getColumns(code)])), [code, version]);
  const [report, columns] = data ?? [];
  const source = report ? report.version.source : undefined;
  const delimiter = source?.delimiter ? (DELIMITERS[source.delimiter] ? t(DELIMITERS[source.delimiter]!) : source.delimiter) : undefined;

  return (
    <Card data-testid="load-result">
      <Result
        status={result?.quarantined ? 'warning' : 'success'}
        title={t('ingest.done')}
        subTitle={
          <Space direction="vertical" size={8}>
            <Space wrap size={16}>
              <span>
                {t('cat.v.version')} v{version ?? '?'}
              </span>
              <span data-testid="result-rows">
                {t('ingest.rowsLoaded')} {count(result?.rows ?? 0)}
              </span>
              <span data-testid="result-quarantined">
                {t('ingest.quarantined')} {count(result?.quarantined ?? 0)}
              </span>
              <span>
                {t('cat.f.grade')} <GradeTag grade={result?.grade ?? null} />
              </span>
            </Space>
            {!!result?.quarantined && <Typography.Text type="warning">{t('ingest.quarantineHint')}</Typography.Text>}
            <Typography.Text>{t('ingest.next.hint')}</Typography.Text>
          </Space>
        }
        extra={[
          <Button type="primary" key="review" onClick={() => navigate(`/classify/${code}`)} data-testid="review-classification">
            {t('ingest.next.review')}
          </Button>,
          <Button key="open" onClick={() => navigate(`/catalog/${code}`)} data-testid="open-dataset">
            {t('ingest.openDataset')}
          </Button>,
          <Button key="again" onClick={onAgain} data-testid="upload-again">
            {t('ingest.again')}
          </Button>,
        ]}
      />
      {source && (
        <Descriptions size="small" title={t('ingest.detected')} column={{ xs: 1, md: 4 }} data-testid="detected-source">
          <Descriptions.Item label={t('ingest.detected.format')}>{String(source.format ?? '—').toUpperCase()}</Descriptions.Item>
          <Descriptions.Item label={t('ingest.encoding')}>{source.encoding ? source.encoding.toUpperCase() : '—'}</Descriptions.Item>
          {delimiter && <Descriptions.Item label={t('ingest.detected.delimiter')}>{delimiter}</Descriptions.Item>}
          <Descriptions.Item label={t('cat.columns')}>{count(columns?.length ?? 0)}</Descriptions.Item>
          {typeof source.bytes === 'number' && (
            <Descriptions.Item label={t('ingest.file')}>{`${source.fileName ?? ''} · ${bytes(source.bytes)}`}</Descriptions.Item>
          )}
        </Descriptions>
      )}
      {columns && (
        <Table<Column>
          size="small"
          rowKey="name"
          pagination={false}
          scroll={{ x: 560 }}
          dataSource={columns}
          data-testid="detected-columns"
          columns={[
            { title: t('cat.col.name'), dataIndex: 'name' },
            { title: t('cat.col.dataType'), dataIndex: 'dataType', width: 110, render: (v: Column['dataType']) => t(`dtype.${v}`) },
            {
              title: t('cat.col.detected'),
              key: 'detected',
              width: 150,
              render: (_, c) => {
                const top = c.classification.types?.[0]?.type;
                return top ? <Tag color="geekblue">{typeLabel(top)}</Tag> : '—';
              },
            },
            {
              title: t('cat.col.grade'),
              key: 'grade',
              width: 170,
              render: (_, c) => (
                <Space size={0} wrap>
                  <GradeTag grade={c.grade} short />
                  {c.encrypted && <EncryptedTag />}
                </Space>
              ),
            },
          ]}
        />
      )}
    </Card>
  );
}
