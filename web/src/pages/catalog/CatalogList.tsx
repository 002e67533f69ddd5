import { DownloadOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Empty, Input, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { searchDatasets, type Dataset, type Facet, type FacetKey } from '../../api/catalog.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { count, GradeTag, ShareTag, StatusTag } from './labels.tsx';
import { UpkeepTag } from '../duties/Upkeep.tsx';

const PAGE_SIZE = 20;

/** The catalogue for every signed-in user: keyword search, facets with counts, exports. */
export function CatalogListPage() {
  const { t, label } = useI18n();
  const { has } = useAuth();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const [text, setText] = useState(params.get('q') ?? '');
  const officer = has('data_officer', 'secadmin');
  const page = Number(params.get('page') ?? '1') || 1;
  const key = params.toString();
  const q = params.get('q') ?? '';
  useEffect(() => setText(q), [q]);

  const {
    data: result,
    loading,
    error,
  } = useLoad(() => {
    const query = Object.fromEntries(new URLSearchParams(key));
    return searchDatasets({ ...query, page: Number(query.page ?? 1) || 1, pageSize: PAGE_SIZE });
  }, [key]);

  /** Changes one filter (or the keyword) and goes back to page 1. */
  function choose(name: string, value: string | undefined) {
    const next = new URLSearchParams(params);
    if (value === undefined || value === '') next.delete(name);
    else next.set(name, value);
    next.delete('page');
    setParams(next);
  }

  const facetLabel = (facet: FacetKey, f: Facet): string => {
    if (facet === 'shareType') return label('cat.share', f.value);
    if (facet === 'openType') return label('cat.open', f.value);
    if (facet === 'grade') return label('cat.grade', f.value);
    if (facet === 'status') return label('cat.status', f.value);
    return f.label;
  };
  const facetRows: FacetKey[] = ['org', 'domain', 'shareType', 'openType', 'grade', ...(officer ? (['status'] as const) : [])];
  const filtered = facetRows.some((f) => params.get(f));
  // Only facets with something to choose (or a choice made) are shown; none at all hides the panel.
  const shownFacets = facetRows.filter((f) => (result?.facets[f].length ?? 0) > 0 || params.get(f));

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <div style={{ display: 'flex', gap: 12, flexWrap: 'wrap', alignItems: 'center' }}>
        <Input.Search
          allowClear
          enterButton={t('cat.search')}
          placeholder={t('cat.searchPlaceholder')}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onSearch={(v) => choose('q', v.trim())}
          style={{ flex: '1 1 360px', maxWidth: 560 }}
          data-testid="catalog-search"
        />
        <div style={{ flex: 1 }} />
        <Space wrap>
          {has('data_officer') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/ingest/new')}>
              {t('cat.register')}
            </Button>
          )}
          <Button icon={<DownloadOutlined />} href="/api/v1/catalog.jsonld" target="_blank" data-testid="export-jsonld">
            {t('cat.exportJsonld')}
          </Button>
          <Button icon={<DownloadOutlined />} href="/api/v1/catalog.xlsx" data-testid="export-xlsx">
            {t('cat.exportXlsx')}
          </Button>
        </Space>
      </div>

      {shownFacets.length > 0 && (
        <Card size="small" styles={{ body: { padding: '8px 16px' } }} data-testid="facets">
          {shownFacets.map((facet) => {
            const values = result?.facets[facet] ?? [];
            const selected = params.get(facet) ?? undefined;
            return (
              <div key={facet} style={{ display: 'flex', alignItems: 'baseline', padding: '6px 0', borderBottom: '1px dashed #f0f0f0' }}>
                <Typography.Text type="secondary" style={{ width: 96, flex: 'none' }}>
                  {t(`cat.facet.${facet}`)}
                </Typography.Text>
                <div style={{ display: 'flex', flexWrap: 'wrap', gap: 4, minWidth: 0 }}>
                  <Tag.CheckableTag checked={!selected} onChange={() => choose(facet, undefined)}>
                    {t('cat.all')}
                  </Tag.CheckableTag>
                  {values.map((f) => (
                    <Tag.CheckableTag
                      key={f.value}
                      checked={selected === f.value}
                      onChange={(on) => choose(facet, on ? f.value : undefined)}
                      data-testid={`facet-${facet}-${f.value}`}
                    >
                      {facetLabel(facet, f)} <span style={{ opacity: 0.65 }}>({f.count})</span>
                    </Tag.CheckableTag>
                  ))}
                </div>
              </div>
            );
          })}
          {filtered && (
            <div style={{ paddingTop: 6 }}>
              <Button
                type="link"
                size="small"
                style={{ padding: 0 }}
                onClick={() => {
                  const next = new URLSearchParams();
                  const q = params.get('q');
                  if (q) next.set('q', q);
                  setParams(next);
                }}
              >
                {t('cat.clearFilters')}
              </Button>
            </div>
          )}
        </Card>
      )}

      {error && <Alert type="error" showIcon message={error} data-testid="catalog-error" />}

      <Table<Dataset>
        rowKey="id"
        loading={loading}
        dataSource={result?.items ?? []}
        data-testid="catalog-table"
        scroll={{ x: 1010 }}
        locale={{ emptyText: <Empty description={params.get('q') || filtered ? t('cat.noMatch') : t('cat.empty')} /> }}
        pagination={{
          current: page,
          pageSize: PAGE_SIZE,
          total: result?.total ?? 0,
          showSizeChanger: false,
          showTotal: (total) => t('cat.total', { n: count(total) }),
          onChange: (p) => {
            const next = new URLSearchParams(params);
            next.set('page', String(p));
            setParams(next);
          },
        }}
        columns={[
          {
            title: t('cat.f.name'),
            key: 'name',
            render: (_, d) => (
              <Space direction="vertical" size={0}>
                <Link to={`/catalog/${d.code}`} style={{ fontWeight: 500 }}>
                  {d.name}
                </Link>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {d.code}
                  {d.domain ? ` · ${d.domain}` : ''}
                </Typography.Text>
              </Space>
            ),
          },
          { title: t('cat.f.provider'), dataIndex: 'providerName', width: 160 },
          { title: t('cat.f.shareType'), dataIndex: 'shareType', width: 120, render: (v: Dataset['shareType']) => <ShareTag value={v} /> },
          { title: t('cat.f.grade'), key: 'grade', width: 150, render: (_, d) => <GradeTag grade={d.grade} important={d.importantCandidate} /> },
          { title: t('cat.f.updateCycle'), dataIndex: 'updateCycle', width: 96, render: (v: string) => label('cat.cycle', v) },
          { title: t('duties.up.column'), key: 'upkeep', width: 110, render: (_, d) => <UpkeepTag upkeep={d.upkeep} cycle={d.updateCycle} /> },
          { title: t('cat.f.rows'), dataIndex: 'rowCount', width: 110, align: 'right', render: (v: number) => count(v) },
          ...(officer ? [{ title: t('cat.f.status'), dataIndex: 'status', width: 90, render: (v: Dataset['status']) => <StatusTag value={v} /> }] : []),
        ]}
      />
    </Space>
  );
}
