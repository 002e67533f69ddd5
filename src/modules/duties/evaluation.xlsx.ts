/**
 * XLSX exports of 共享评价 and usage statistics, built in memory (one row per department, dataset or
 * day: small at any province's size). Headers in Chinese, as the bureau files them; rates as
 * percentages, scores with one decimal.
 */
import type ExcelJS from 'exceljs';
import { loadExcel } from '../../heavy.ts';
import type { DepartmentScore, Usage } from './evaluation.service.ts';
import { SCORE_WEIGHTS } from './score.ts';

const PERCENT = '0.0%';

function bold(sheet: ExcelJS.Worksheet): void {
  sheet.getRow(1).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
}

/** The department scores (评价结果) and how they are computed (计分方法). */
export async function scoresXlsx(items: DepartmentScore[], generatedAt: Date): Promise<Buffer> {
  const book = new (await loadExcel()).Workbook();
  book.created = generatedAt;
  const sheet = book.addWorksheet('部门评价');
  sheet.columns = [
    { header: '部门', key: 'org', width: 28 },
    { header: '综合得分', key: 'score', width: 10 },
    { header: '申请按时答复率', key: 'requestsRate', width: 14, style: { numFmt: PERCENT } },
    { header: '按时答复（件）', key: 'requestsOnTime', width: 12 },
    { header: '应答复（件）', key: 'requestsJudged', width: 10 },
    { header: '异议按时处理率', key: 'objectionsRate', width: 14, style: { numFmt: PERCENT } },
    { header: '按时处理（件）', key: 'objectionsOnTime', width: 12 },
    { header: '应处理（件）', key: 'objectionsJudged', width: 10 },
    { header: '目录按期更新率', key: 'catalogueRate', width: 14, style: { numFmt: PERCENT } },
    { header: '按期更新（条）', key: 'current', width: 12 },
    { header: '逾期未更新（条）', key: 'overdue', width: 14 },
    { header: '未挂接（条）', key: 'unattached', width: 10 },
    { header: '平均评分（1-5）', key: 'mean', width: 12, style: { numFmt: '0.00' } },
    { header: '评价数', key: 'ratings', width: 8 },
  ];
  for (const r of items) {
    sheet.addRow({
      org: r.orgName,
      score: r.score ?? '',
      requestsRate: r.requests.rate ?? '',
      requestsOnTime: r.requests.onTime,
      requestsJudged: r.requests.judged,
      objectionsRate: r.objections.rate ?? '',
      objectionsOnTime: r.objections.onTime,
      objectionsJudged: r.objections.judged,
      catalogueRate: r.catalogue.rate ?? '',
      current: r.catalogue.current,
      overdue: r.catalogue.overdue,
      unattached: r.catalogue.unattached,
      mean: r.ratings.mean ?? '',
      ratings: r.ratings.count,
    });
  }
  bold(sheet);
  const method = book.addWorksheet('计分方法');
  method.columns = [
    { header: '指标', key: 'part', width: 18 },
    { header: '权重', key: 'weight', width: 8 },
    { header: '计算', key: 'how', width: 80 },
  ];
  method.addRows([
    { part: '申请按时答复率', weight: SCORE_WEIGHTS.requests, how: '按时答复 ÷（按时答复 + 逾期答复 + 逾期未答复），按提供方答复阶段的工作日时限' },
    { part: '异议按时处理率', weight: SCORE_WEIGHTS.objections, how: '期限内答复 ÷（期限内答复 + 逾期答复 + 逾期未答复）' },
    { part: '目录按期更新率', weight: SCORE_WEIGHTS.catalogue, how: '按期更新 ÷（按期更新 + 逾期未更新 + 未挂接），已发布且有固定更新周期的目录' },
    { part: '平均评分', weight: SCORE_WEIGHTS.ratings, how: '（平均评分 − 1）÷ 4，平均评分为每条评价质量、及时、实用三项的平均' },
    { part: '综合得分', weight: '', how: '100 × Σ（权重 × 指标）÷ Σ 权重，只计有可评内容的指标；均无则不计分' },
    { part: '生成时间', weight: '', how: generatedAt.toISOString() },
  ]);
  bold(method);
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** Usage statistics: by dataset, by department, by day, and what was counted (统计口径). */
export async function usageXlsx(usage: Usage): Promise<Buffer> {
  const book = new (await loadExcel()).Workbook();
  const counts = [
    { header: '调用次数', key: 'calls', width: 10 },
    { header: '数据行数', key: 'rows', width: 12 },
    { header: '使用方数', key: 'consumers', width: 10 },
  ];
  const byDataset = book.addWorksheet('按资源');
  byDataset.columns = [
    { header: '资源代码', key: 'code', width: 16 },
    { header: '资源名称', key: 'name', width: 28 },
    { header: '提供方', key: 'providerName', width: 24 },
    ...counts,
  ];
  byDataset.addRows(usage.byDataset);
  const byDepartment = book.addWorksheet('按部门');
  byDepartment.columns = [{ header: '部门', key: 'orgName', width: 28 }, { header: '被使用资源数', key: 'datasets', width: 12 }, ...counts];
  byDepartment.addRows(usage.byDepartment);
  const byDay = book.addWorksheet('按日');
  byDay.columns = [{ header: '日期', key: 'day', width: 12 }, ...counts];
  byDay.addRows(usage.byDay);
  const scope = book.addWorksheet('统计口径');
  scope.columns = [
    { header: '项目', key: 'item', width: 14 },
    { header: '内容', key: 'value', width: 80 },
  ];
  scope.addRows([
    { item: '统计区间', value: `${usage.from} 至 ${usage.to}（北京时间，含首尾两日）` },
    { item: '合计', value: `调用 ${usage.totals.calls} 次，数据 ${usage.totals.rows} 行，使用方 ${usage.totals.consumers} 个` },
    { item: '调用次数', value: '审计日志中成功的数据响应：数据接口查询、导出、库表推送、接口服务调用、核验；分块返回的一次查询计一次' },
    { item: '数据行数', value: '各次数据响应返回的行数之和（导出文件的下载不重复计）' },
    { item: '使用方数', value: '发起调用的不同使用方单位数' },
  ]);
  for (const s of [byDataset, byDepartment, byDay, scope]) bold(s);
  return Buffer.from(await book.xlsx.writeBuffer());
}
