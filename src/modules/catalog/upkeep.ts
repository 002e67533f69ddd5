/**
 * The upkeep of a catalogue entry (目录挂接, 政务数据共享条例) as the catalogue API shows it: whether a
 * resource is attached and whether it is updated as its 更新周期 declares. The catalogue only declares
 * the shape and takes the source as a route dependency; the duties module judges it (main.ts wires it).
 */
import { z } from 'zod';
import type { DatasetRow } from './catalog.repo.ts';

export const upkeepSchema = z.object({
  attached: z.boolean().describe('已挂接：库表已有生效的数据版本，时序数据集或接口服务已有信息项'),
  state: z
    .enum(['current', 'overdue', 'unattached', 'untracked'])
    .describe('current 按期更新 / overdue 逾期未更新 / unattached 未挂接 / untracked 不考核（不定期更新、接口服务、未发布）'),
  lastUpdatedAt: z.date().nullable().describe('最近一次数据更新（库表：最新生效版本的数据截至时间或生效时间；时序：最新采样时间）'),
  dueAt: z.date().nullable().describe('按更新周期，下一次更新的最迟时间（北京时间）；不考核为 null'),
});

export type Upkeep = z.infer<typeof upkeepSchema>;

/** Judges the upkeep of the given catalogue entries (by dataset id). */
export interface UpkeepSource {
  of(rows: DatasetRow[]): Promise<Map<string, Upkeep>>;
}
