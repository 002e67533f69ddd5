import { loadExcel } from '../../heavy.ts';
import type { ColumnRow, DatasetRow } from './catalog.repo.ts';

export const SHARE_LABELS = { unconditional: '无条件共享', conditional: '有条件共享', none: '不予共享' } as const;
export const OPEN_LABELS = { unconditional: '无条件开放', conditional: '有条件开放', none: '不予开放' } as const;
export const CYCLE_LABELS = {
  realtime: '实时',
  daily: '每日',
  weekly: '每周',
  monthly: '每月',
  quarterly: '每季度',
  yearly: '每年',
  irregular: '不定期',
} as const;
export const METHOD_LABELS = { api: '接口', table: '库表', file: '文件' } as const;
const TYPE_LABELS = { integer: '整数', decimal: '数值', boolean: '布尔', date: '日期', timestamp: '日期时间', text: '字符' } as const;

type Columns = (datasetId: string) => Promise<ColumnRow[]>;

/** The namespace of pdx's own DCAT terms when no public address is configured (an IRI mapping must be absolute). */
export const PDX_NAMESPACE = 'urn:pdx:ns#';

/**
 * The published catalogue as DCAT (W3C Data Catalog Vocabulary) in JSON-LD. `base` is the configured
 * public address (PDX_PUBLIC_URL) or '' for ids relative to the document's own address.
 */
export async function catalogJsonLd(datasets: DatasetRow[], columnsOf: Columns, base: string) {
  return {
    '@context': {
      dcat: 'http://www.w3.org/ns/dcat#',
      dct: 'http://purl.org/dc/terms/',
      foaf: 'http://xmlns.com/foaf/0.1/',
      vcard: 'http://www.w3.org/2006/vcard/ns#',
      pdx: base ? `${base}/ns#` : PDX_NAMESPACE,
    },
    '@type': 'dcat:Catalog',
    '@id': `${base}/api/v1/catalog.jsonld`,
    'dct:title': { '@language': 'zh-CN', '@value': '政务信息资源目录' },
    'dcat:dataset': await Promise.all(
      datasets.map(async (d) => ({
        '@type': 'dcat:Dataset',
        '@id': `${base}/api/v1/datasets/${d.code}`,
        'dct:identifier': d.code,
        'dct:title': { '@language': 'zh-CN', '@value': d.name },
        'dct:description': { '@language': 'zh-CN', '@value': d.summary },
        'dct:publisher': { '@type': 'foaf:Organization', 'foaf:name': d.provider_name },
        'dct:issued': d.publish_date,
        'dct:modified': d.updated_at.toISOString(),
        'dcat:theme': d.domain,
        'dcat:keyword': d.tags,
        'dct:accrualPeriodicity': CYCLE_LABELS[d.update_cycle],
        'dct:relation': d.related_codes,
        'dcat:contactPoint': d.contact.name ? { '@type': 'vcard:Kind', 'vcard:fn': d.contact.name, 'vcard:hasTelephone': d.contact.phone } : undefined,
        'pdx:shareType': SHARE_LABELS[d.share_type],
        'pdx:shareConditions': d.share_conditions,
        'pdx:shareMethods': d.share_methods.map((m) => METHOD_LABELS[m]),
        'pdx:openType': OPEN_LABELS[d.open_type],
        'pdx:informationItems': (await columnsOf(d.id)).map((c) => ({
          'dct:title': c.name,
          'pdx:dataType': TYPE_LABELS[c.data_type],
          'dct:description': c.description,
        })),
        'dcat:distribution': d.share_methods.includes('api')
          ? [{ '@type': 'dcat:Distribution', 'dcat:accessURL': `${base}/api/v1/datasets/${d.code}/records`, 'dct:format': 'application/json' }]
          : [],
      })),
    ),
  };
}

/** The published catalogue as one 目录 sheet plus one 信息项 sheet. */
export async function catalogXlsx(datasets: DatasetRow[], columnsOf: Columns): Promise<Buffer> {
  const ExcelJS = await loadExcel();
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('目录');
  sheet.columns = [
    { header: '资源代码', key: 'code', width: 16 },
    { header: '资源名称', key: 'name', width: 28 },
    { header: '提供方', key: 'provider', width: 20 },
    { header: '资源摘要', key: 'summary', width: 40 },
    { header: '资源分类', key: 'category', width: 18 },
    { header: '行业领域', key: 'domain', width: 12 },
    { header: '资源格式', key: 'format', width: 10 },
    { header: '共享类型', key: 'share', width: 12 },
    { header: '共享条件', key: 'conditions', width: 24 },
    { header: '共享方式', key: 'methods', width: 14 },
    { header: '开放类型', key: 'open', width: 12 },
    { header: '更新周期', key: 'cycle', width: 10 },
    { header: '发布日期', key: 'published', width: 12 },
    { header: '关联资源代码', key: 'related', width: 20 },
  ];
  const items = book.addWorksheet('信息项');
  items.columns = [
    { header: '资源代码', key: 'code', width: 16 },
    { header: '信息项名称', key: 'name', width: 20 },
    { header: '数据类型', key: 'type', width: 10 },
    { header: '长度', key: 'length', width: 8 },
    { header: '说明', key: 'description', width: 40 },
  ];
  for (const d of datasets) {
    sheet.addRow({
      code: d.code,
      name: d.name,
      provider: d.provider_name,
      summary: d.summary,
      category: d.category,
      domain: d.domain,
      format: d.format,
      share: SHARE_LABELS[d.share_type],
      conditions: d.share_conditions,
      methods: d.share_methods.map((m) => METHOD_LABELS[m]).join('、'),
      open: OPEN_LABELS[d.open_type],
      cycle: CYCLE_LABELS[d.update_cycle],
      published: d.publish_date ?? '',
      related: d.related_codes.join('、'),
    });
    for (const c of await columnsOf(d.id)) {
      items.addRow({ code: d.code, name: c.name, type: TYPE_LABELS[c.data_type], length: c.length ?? '', description: c.description });
    }
  }
  for (const s of [sheet, items]) s.getRow(1).font = { bold: true };
  return Buffer.from(await book.xlsx.writeBuffer());
}
