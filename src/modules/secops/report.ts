/**
 * The incident report (网络安全事件报告) as a document: Markdown, or HTML for printing. Built from the
 * incident, its alerts with their audit evidence, the timeline and the reporting clocks.
 */
import type { AlertRow, IncidentEventRow, IncidentRow } from './secops.repo.ts';
import { SEVERITY_LABELS } from './secops.settings.ts';
import { timelineMessage } from './timeline.ts';

interface Clock {
  due: Date;
  reportedAt: Date | null;
  remainingMs: number | null;
  overdue: boolean;
}

export interface IncidentDetail {
  incident: IncidentRow;
  clocks: { first: Clock | null; final: Clock | null };
  timeline: IncidentEventRow[];
  alerts: AlertRow[];
}

const STATES: Record<string, string> = { discovered: '发现', analysing: '研判', handling: '处置', recovering: '恢复', closed: '总结' };
const KINDS: Record<string, string> = {
  opened: '创建',
  state: '阶段',
  action: '处置措施',
  note: '备注',
  owner: '负责人',
  report: '报告',
  warning: '时限提醒',
  severity: '定级',
};

const fmt = (d: Date | null | undefined) => (d ? `${new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ')} (UTC+8)` : '—');

function clockLine(name: string, c: Clock | null): string {
  if (!c) return `- ${name}：不适用（一般事件）`;
  if (c.reportedAt) return `- ${name}：截止 ${fmt(c.due)}，已于 ${fmt(c.reportedAt)} 报告`;
  const minutes = Math.round((c.remainingMs ?? 0) / 60_000);
  return `- ${name}：截止 ${fmt(c.due)}，${c.overdue ? `已超时 ${-minutes} 分钟` : `剩余 ${Math.floor(minutes / 60)} 小时 ${minutes % 60} 分钟`}`;
}

/** Table cells must not break the Markdown table. */
const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function incidentMarkdown(d: IncidentDetail, at: Date): string {
  const i = d.incident;
  const lines = [
    `# 网络安全事件报告：${i.title}`,
    '',
    `| 项目 | 内容 |`,
    `| --- | --- |`,
    `| 事件编号 | ${i.id} |`,
    `| 事件级别 | ${SEVERITY_LABELS[i.severity].zh}(${SEVERITY_LABELS[i.severity].en}) |`,
    `| 当前阶段 | ${STATES[i.state] ?? i.state} |`,
    `| 负责人 | ${cell(i.owner_name ?? '未指定')} |`,
    `| 发现时间 | ${fmt(i.opened_at)} |`,
    `| 关闭时间 | ${fmt(i.closed_at)} |`,
    `| 报告生成 | ${fmt(at)} |`,
    '',
    '## 报告时限（国家网络安全事件报告管理办法）',
    '',
    clockLine('首次报告（省网信办，4 小时内）', d.clocks.first),
    clockLine('最终报告（30 日内）', d.clocks.final),
    '',
    '## 事件描述',
    '',
    i.description || '—',
    '',
    '## 告警与证据',
    '',
    '| 级别 | 检测器 | 告警 | 次数 | 审计记录序号 |',
    '| --- | --- | --- | --- | --- |',
    ...d.alerts.map(
      (a) => `| ${SEVERITY_LABELS[a.severity].zh} | ${a.detector} | ${cell(a.title.zh)}：${cell(a.summary.zh)} | ${a.hits} | ${a.evidence.join(', ')} |`,
    ),
    '',
    '## 处置时间线',
    '',
    '| 时间 | 类型 | 操作人 | 内容 |',
    '| --- | --- | --- | --- |',
    ...d.timeline.map(
      (e) =>
        `| ${fmt(e.at)} | ${KINDS[e.kind] ?? e.kind} | ${cell(e.actor_name ?? '—')} | ${cell(timelineMessage(e.code, e.params)?.zh ?? (e.text || JSON.stringify(e.details)))} |`,
    ),
    '',
    '## 事件总结',
    '',
    i.summary || '—',
    '',
    '---',
    '审计记录可用 `pdx audit verify` 校验，并可导出含包含证明的证据（审计管理员）。',
    '',
  ];
  return lines.join('\n');
}

const escapeHtml = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** The same report as a self-contained HTML page (no scripts, printable). */
export function incidentHtml(d: IncidentDetail, at: Date): string {
  const md = incidentMarkdown(d, at);
  const body: string[] = [];
  let table: string[][] = [];
  const flushTable = () => {
    if (!table.length) return;
    const [head, , ...rows] = table;
    body.push(
      `<table><thead><tr>${head!.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`,
    );
    table = [];
  };
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      table.push(
        line
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map((c) => c.trim().replaceAll('\\|', '|')),
      );
      continue;
    }
    flushTable();
    if (line.startsWith('# ')) body.push(`<h1>${escapeHtml(line.slice(2))}</h1>`);
    else if (line.startsWith('## ')) body.push(`<h2>${escapeHtml(line.slice(3))}</h2>`);
    else if (line.startsWith('- ')) body.push(`<p>• ${escapeHtml(line.slice(2))}</p>`);
    else if (line === '---') body.push('<hr>');
    else if (line.trim()) body.push(`<p>${escapeHtml(line)}</p>`);
  }
  flushTable();
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(d.incident.title)}</title><style>
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:960px;margin:2em auto;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
</style></head><body>${body.join('\n')}</body></html>`;
}

export function incidentReport(d: IncidentDetail, format: 'md' | 'html', at: Date): { body: string; contentType: string; fileName: string } {
  const base = `incident-${d.incident.id.slice(0, 8)}`;
  return format === 'html'
    ? { body: incidentHtml(d, at), contentType: 'text/html; charset=utf-8', fileName: `${base}.html` }
    : { body: incidentMarkdown(d, at), contentType: 'text/markdown; charset=utf-8', fileName: `${base}.md` };
}
