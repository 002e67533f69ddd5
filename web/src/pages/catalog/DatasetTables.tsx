/** The 信息项 and versions tables of the dataset page. */
import { Button, Empty, Space, Table, Tag, Typography } from 'antd';
import type { Column, Version } from '../../api/catalog.ts';
import { useI18n } from '../../i18n.tsx';
import { bytes, count, EncryptedTag, GradeTag, useErrorText, useTypeLabel, VersionStateTag } from './labels.tsx';

/** 信息项 per page of the columns table. */
const PAGE = 50;

const dash = <Typography.Text type="secondary">—</Typography.Text>;

/** The dataset's 信息项 with grade, detected type and rules; `onEdit` (the provider's officer) adds an edit link. */
export function ColumnsTable({ columns, onEdit }: { columns: Column[]; onEdit?: ((column: Column) => void) | undefined }) {
  const { t } = useI18n();
  const typeLabel = useTypeLabel();
  return (
    <Table<Column>
      rowKey="position"
      size="small"
      dataSource={columns}
      // A telemetry set has hundreds of points: pages of 50, so the page draws at once.
      pagination={columns.length > PAGE ? { pageSize: PAGE, showSizeChanger: false, showTotal: (n) => t('cat.columnsTotal', { n }) } : false}
      scroll={{ x: 820 }}
      data-testid="columns-table"
      locale={{ emptyText: <Empty description={t('cat.noColumns')} /> }}
      columns={[
        { title: '#', dataIndex: 'position', width: 48 },
        {
          title: t('cat.col.name'),
          key: 'name',
          render: (_, c) => (
            <Space direction="vertical" size={0}>
              <Typography.Text strong>{c.name}</Typography.Text>
              {c.label !== c.name && <Typography.Text type="secondary">{c.label}</Typography.Text>}
              {c.description && (
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {c.description}
                </Typography.Text>
              )}
            </Space>
          ),
        },
        { title: t('cat.col.dataType'), dataIndex: 'dataType', width: 100, render: (v: Column['dataType']) => t(`dtype.${v}`) },
        {
          title: t('cat.col.grade'),
          key: 'grade',
          width: 190,
          render: (_, c) => (
            <Space size={0} wrap>
              <GradeTag grade={c.grade} short />
              {c.encrypted && <EncryptedTag />}
            </Space>
          ),
        },
        {
          title: t('cat.col.detected'),
          key: 'detected',
          width: 170,
          render: (_, c) => {
            const top = c.classification.types?.[0]?.type;
            return top ? (
              <Tag color="geekblue" data-testid="detected-type">
                {typeLabel(top)}
              </Tag>
            ) : (
              dash
            );
          },
        },
        {
          title: t('cat.col.rules'),
          key: 'rules',
          render: (_, c) => <RuleTags column={c} />,
        },
        ...(onEdit
          ? [
              {
                title: t('common.actions'),
                key: 'actions',
                width: 90,
                render: (_: unknown, c: Column) => (
                  <Button type="link" size="small" onClick={() => onEdit(c)}>
                    {t('cat.col.edit')}
                  </Button>
                ),
              },
            ]
          : []),
      ]}
    />
  );
}

/** The dataset's versions: state, mode, where the data came from, rows, time and error. */
export function VersionsTable({ versions }: { versions: Version[] }) {
  const { t, time } = useI18n();
  const errorText = useErrorText();
  return (
    <Table<Version>
      rowKey="version"
      size="small"
      dataSource={versions}
      pagination={{ pageSize: 10, hideOnSinglePage: true }}
      scroll={{ x: 820 }}
      data-testid="versions-table"
      locale={{ emptyText: <Empty description={t('cat.noVersions')} /> }}
      columns={[
        { title: t('cat.v.version'), dataIndex: 'version', width: 70, render: (v: number) => `v${v}` },
        { title: t('cat.v.state'), dataIndex: 'state', width: 90, render: (s: Version['state']) => <VersionStateTag value={s} /> },
        { title: t('cat.v.mode'), dataIndex: 'mode', width: 80, render: (m: Version['mode']) => t(`ingest.mode.${m}`) },
        {
          title: t('cat.v.file'),
          key: 'file',
          ellipsis: true,
          render: (_, v) => <VersionSourceText version={v} />,
        },
        { title: t('cat.v.loaded'), dataIndex: 'rowsLoaded', width: 100, align: 'right', render: (n: number) => count(n) },
        {
          title: t('cat.v.quarantined'),
          dataIndex: 'rowsQuarantined',
          width: 90,
          align: 'right',
          render: (n: number) => (n ? <Typography.Text type="warning">{count(n)}</Typography.Text> : 0),
        },
        { title: t('cat.v.created'), dataIndex: 'createdAt', width: 170, render: (v: string) => time(v) },
        {
          title: t('cat.v.error'),
          key: 'error',
          width: 280,
          render: (_, v) => (v.error ? <Typography.Text type="danger">{errorText(v.error)}</Typography.Text> : ''),
        },
      ]}
    />
  );
}

/** Where a version's rows came from: the uploaded file, the database table pulled, or a correction. */
function VersionSourceText({ version }: { version: Version }) {
  const { t } = useI18n();
  const s = version.source;
  const extra = (text: string) => <Typography.Text type="secondary"> · {text}</Typography.Text>;
  if (s.kind === 'database') {
    return (
      <span data-testid="version-source">
        {t('cat.v.fromDatabase')} {s.source} · {s.table}
        {s.upTo ? extra(`${s.after ?? '…'} → ${s.upTo}`) : null}
        {s.deleted ? extra(t('cat.v.deletedRows', { n: count(s.deleted) })) : null}
      </span>
    );
  }
  if (version.mode === 'correct')
    return (
      <span data-testid="version-source">
        {t('cat.v.correction')}
        {s.correction ? extra(s.correction) : null}
      </span>
    );
  return (
    <span data-testid="version-source">
      {s.fileName ?? '—'}
      {typeof s.bytes === 'number' && extra(bytes(s.bytes))}
      {typeof s.encoding === 'string' && extra(s.encoding.toUpperCase())}
    </span>
  );
}

function RuleTags({ column }: { column: Column }) {
  const { t, colon } = useI18n();
  const typeLabel = useTypeLabel();
  const r = column.rules;
  const tags = [
    r.required && t('cat.col.required'),
    r.unique && t('cat.col.unique'),
    r.identifier && `${t('rule.identifier')}${colon}${typeLabel(r.identifier)}`,
    r.pattern && `${t('cat.col.pattern')}${colon}${r.pattern}`,
    r.min !== undefined && `≥ ${r.min}`,
    r.max !== undefined && `≤ ${r.max}`,
    r.enum?.length && `${t('cat.col.enum')}${colon}${r.enum.slice(0, 3).join('/')}${r.enum.length > 3 ? '…' : ''}`,
  ].filter((x): x is string => typeof x === 'string');
  if (!tags.length) return <Typography.Text type="secondary">—</Typography.Text>;
  return (
    <Space size={[0, 4]} wrap>
      {tags.map((x) => (
        <Tag key={x} style={{ maxWidth: 220, overflow: 'hidden', textOverflow: 'ellipsis' }}>
          {x}
        </Tag>
      ))}
    </Space>
  );
}
