import { Alert, Button, Card, Col, Collapse, Empty, Grid, Input, Pagination, Row, Segmented, Space, Spin, Tag, Typography } from 'antd';
import { useSearchParams } from 'react-router-dom';
import { portalApi, type SearchResult } from '../../../api/open.ts';
import { useLoad } from '../../../hooks/useLoad.ts';
import { useI18n, type MessageKey } from '../../../i18n.tsx';
import { DatasetCard, useLabel } from './common.tsx';

const FACETS: { key: keyof SearchResult['facets']; label: MessageKey }[] = [
  { key: 'domain', label: 'op.facet.domain' },
  { key: 'org', label: 'op.facet.org' },
  { key: 'region', label: 'op.facet.region' },
  { key: 'format', label: 'op.facet.format' },
  { key: 'cycle', label: 'op.facet.cycle' },
  { key: 'openType', label: 'op.facet.openType' },
];
const PAGE_SIZE = 12;

/** Search with facets (领域, 部门, 地区, 格式, 更新频率, 开放属性); the query lives in the address. */
export function SearchPage() {
  const { t, paren } = useI18n();
  const label = useLabel();
  const screens = Grid.useBreakpoint();
  const [params, setParams] = useSearchParams();
  const query = Object.fromEntries(params.entries());
  const key = params.toString();
  // The last answer stays on screen, dimmed, while the next query runs.
  const {
    data: result,
    loading,
    error,
  } = useLoad(() => portalApi.search({ ...Object.fromEntries(new URLSearchParams(key).entries()), pageSize: PAGE_SIZE }), [key]);
  const set = (name: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    if (name !== 'page') next.delete('page');
    setParams(next);
  };
  const facetLabel = (facet: string, value: string, fallback: string) =>
    facet === 'cycle' ? label('op.cycle', value) : facet === 'openType' ? label('op.open', value) : fallback;
  const facets = result && (
    <Space direction="vertical" size={12} style={{ width: '100%' }} data-testid="facets">
      {FACETS.map((f) =>
        result.facets[f.key].length ? (
          <div key={f.key}>
            <Typography.Text type="secondary">{t(f.label)}</Typography.Text>
            <div style={{ marginTop: 4 }}>
              <Space size={[4, 6]} wrap>
                {result.facets[f.key].map((v) => (
                  <Tag.CheckableTag
                    key={v.value}
                    checked={query[f.key] === v.value}
                    onChange={(on) => set(f.key, on ? v.value : undefined)}
                    data-testid={`facet-${f.key}-${v.value}`}
                  >
                    {facetLabel(f.key, v.value, v.label)}
                    {paren(v.count)}
                  </Tag.CheckableTag>
                ))}
              </Space>
            </div>
          </div>
        ) : null,
      )}
      {FACETS.some((f) => query[f.key]) && (
        <Button size="small" onClick={() => setParams(query.q ? { q: query.q } : {})}>
          {t('op.clear')}
        </Button>
      )}
    </Space>
  );
  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Input.Search
        key={query.q ?? ''}
        size="large"
        defaultValue={query.q}
        placeholder={t('op.search.placeholder')}
        enterButton={t('op.search.button')}
        allowClear
        onSearch={(q) => set('q', q.trim() || undefined)}
        data-testid="portal-search"
      />
      <Row gutter={[16, 16]}>
        <Col xs={24} md={7}>
          {screens.md ? (
            <Card size="small" title={t('op.filters')}>
              {facets}
            </Card>
          ) : (
            <Collapse items={[{ key: 'f', label: t('op.filters'), children: facets }]} />
          )}
        </Col>
        <Col xs={24} md={17}>
          {error ? (
            <Alert type="error" showIcon message={error} />
          ) : !result ? (
            <Spin />
          ) : (
            <Space direction="vertical" size={12} style={{ width: '100%', opacity: loading ? 0.6 : 1 }}>
              <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
                <Typography.Text data-testid="result-count">
                  {result.total} {t('op.results')}
                </Typography.Text>
                <Segmented
                  value={query.sort ?? 'newest'}
                  onChange={(v) => set('sort', String(v))}
                  options={(['newest', 'popular', 'name'] as const).map((s) => ({ value: s, label: t(`op.sort.${s}`) }))}
                />
              </Space>
              {result.items.length === 0 ? (
                <Empty description={t('op.empty')} />
              ) : (
                <Row gutter={[12, 12]}>
                  {result.items.map((d) => (
                    <Col xs={24} lg={12} key={d.code}>
                      <DatasetCard d={d} />
                    </Col>
                  ))}
                </Row>
              )}
              {result.total > PAGE_SIZE && (
                <Pagination
                  current={Number(query.page ?? 1)}
                  pageSize={PAGE_SIZE}
                  total={result.total}
                  onChange={(p) => set('page', String(p))}
                  showSizeChanger={false}
                />
              )}
            </Space>
          )}
        </Col>
      </Row>
    </Space>
  );
}
