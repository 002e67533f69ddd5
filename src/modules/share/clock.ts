/**
 * The time limits on a share request (申请时限, 政务数据共享条例) and the use of a grant, as the
 * sharing API shows them. The
 * sharing module only declares the shape and a hook (`ShareService.requestClocks`); the duties module
 * computes the clocks on its working-day calendar (and a grant's use from its usage statistics) and is
 * wired to the hooks in main.ts.
 */
import { z } from 'zod';

export const stageClockSchema = z.object({
  stage: z.enum(['provider', 'security']).describe('provider：提供方答复；security：安全管理员审批'),
  limitDays: z.number().int().describe('时限（工作日），含延期'),
  extensionDays: z.number().int().describe('延期的工作日数（0 为未延期）'),
  startedAt: z.date(),
  dueAt: z.date().describe('到期时刻（最后一个工作日结束，北京时间 24:00）'),
  endedAt: z.date().nullable().describe('答复时刻（未答复为 null）'),
  state: z.enum(['running', 'due_soon', 'overdue', 'met', 'late']).describe('进行中 / 临近到期 / 已逾期 / 按时答复 / 逾期答复'),
  remainingWorkingDays: z.number().int().nullable().describe('剩余工作日（到期日当天为 0，逾期为负；已答复为 null）'),
  escalatedAt: z.date().nullable().describe('逾期上报平台主管部门的时刻'),
});

export const requestClockSchema = z.object({
  basis: z.enum(['unconditional', 'conditional_shared', 'conditional']).describe('时限依据：无条件共享 / 有条件共享（已向他方共享）/ 有条件共享'),
  current: stageClockSchema.nullable().describe('正在计时的阶段（已办结为 null）'),
  stages: z.array(stageClockSchema),
  extension: z.object({ days: z.number().int(), reason: z.string(), at: z.date() }).nullable(),
  maxExtension: z.number().int().describe('一次延期的上限（工作日，安全管理员的设置 limits.maxExtension）'),
});

export type StageClock = z.infer<typeof stageClockSchema>;
export type RequestClock = z.infer<typeof requestClockSchema>;

/** Use of a grant since it was made, from the audit log's data responses (the duties module's usage statistics). */
export const grantUsageSchema = z.object({
  calls: z.number().int().describe('调用次数'),
  rows: z.number().int().describe('返回行数'),
  lastUsedAt: z.date().nullable().describe('最近一次使用（从未使用为 null）'),
});

export type GrantUsage = z.infer<typeof grantUsageSchema>;
