/**
 * The security administrator's settings of the duties, kept in `settings` ('duties.settings') so every
 * pdx process uses the same: time limits in working days by share type and stage, when to remind,
 * who the platform authority is, and calendar overrides over the official table.
 */
import { z } from 'zod';
import { BadRequestError, type Message } from '../../errors.ts';
import type { Principal } from '../../http/access.ts';
import { issueText } from '../../http/issues.ts';
import { isIsoDate } from './calendar.ts';

export const SETTINGS_KEY = 'duties.settings';

const days = (max: number) => z.number().int().min(1).max(max);

export const dutiesSettingsSchema = z.object({
  limits: z
    .object({
      unconditional: days(60).default(2).describe('无条件共享：答复时限（工作日）'),
      conditionalShared: days(60).default(5).describe('有条件共享，该数据已向其他部门共享：答复时限（工作日）'),
      conditional: days(60).default(10).describe('有条件共享，首次共享：答复时限（工作日）'),
      security: days(60).default(5).describe('安全管理员审批（4级信息项、重要数据）：时限（工作日），按共享类型未单独设置时适用'),
      securityByType: z
        .object({
          unconditional: days(60).nullable().default(null).describe('无条件共享：安全管理员审批时限（工作日，null 用 security）'),
          conditionalShared: days(60).nullable().default(null).describe('有条件共享，已向其他部门共享：安全管理员审批时限（工作日，null 用 security）'),
          conditional: days(60).nullable().default(null).describe('有条件共享，首次共享：安全管理员审批时限（工作日，null 用 security）'),
        })
        .prefault({})
        .describe('安全管理员审批时限按共享类型；未设置的类型用 security（旧设置仍然有效）'),
      maxExtension: days(60).default(15).describe('一次延期的上限（工作日）'),
      objection: days(60).default(5).describe('数据异议：提供方核实答复时限（工作日）'),
      demand: days(60).default(10).describe('供需对接：承办部门答复数据需求的时限（工作日）'),
      remindBefore: z.number().int().min(0).max(10).default(1).describe('到期前几个工作日提醒（0：到期日当天）'),
    })
    .prefault({}),
  authority: z
    .object({
      name: z.string().trim().min(2).max(100).default('辽宁省大数据管理局').describe('平台主管部门名称'),
      orgId: z.uuid().nullable().default(null).describe('主管部门在 pdx 中的机构（其数据管理员也收到逾期上报）'),
    })
    .prefault({}),
  calendar: z
    .array(
      z.object({
        date: z.string().refine(isIsoDate, 'YYYY-MM-DD').describe('日期'),
        kind: z.enum(['holiday', 'workday']).describe('holiday 放假 / workday 调休上班'),
        name: z.string().trim().min(1).max(50).describe('名称，如 春节'),
      }),
    )
    .max(2000)
    .default([])
    .describe('在国务院通知表之上的调整（新的年份、地方安排），按日覆盖'),
});

export type DutiesSettings = z.infer<typeof dutiesSettingsSchema>;
export const DEFAULT_DUTIES_SETTINGS: DutiesSettings = dutiesSettingsSchema.parse({});
/** The JSON Schema of what the secadmin submits (limits, units' bounds and defaults): the console builds its form from it. */
export const DUTIES_SETTINGS_JSON_SCHEMA = z.toJSONSchema(dutiesSettingsSchema, { io: 'input' }) as Record<string, unknown>;

/**
 * The settings the secadmin submits, or a 400 that names every wrong field with what is wrong, worded
 * in `lang` (`details.issues`, the first one also as `details.field`), for the console to show each
 * beside its field. A date given twice in the calendar is refused here and not in the schema: the
 * schema also reads the stored settings, and settings saved before this rule must still load.
 */
export function settingsInput(input: unknown, lang: keyof Message): DutiesSettings {
  const parsed = dutiesSettingsSchema.safeParse(input);
  const issues: { field: string; text: Message }[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.'), text: issueText(i) }));
  if (parsed.success) {
    const first = new Map<string, number>();
    for (const [i, day] of parsed.data.calendar.entries()) {
      const j = first.get(day.date);
      if (j === undefined) first.set(day.date, i);
      else
        issues.push({ field: `calendar.${i}.date`, text: { zh: `与第 ${j + 1} 项日期相同（${day.date}）`, en: `same date as item ${j + 1} (${day.date})` } });
    }
  }
  const [head] = issues;
  if (!head) return parsed.data!;
  throw new BadRequestError(
    'invalid_settings',
    { zh: `设置无效：${head.field} ${head.text.zh}`, en: `Invalid settings: ${head.field} ${head.text.en}` },
    { field: head.field, issues: issues.map((i) => ({ field: i.field, message: i.text[lang] })) },
  );
}

/**
 * Whether the caller acts for the platform authority (辽宁省大数据管理局): product.md has no 数据主管部门
 * role, so the authority acts through the security administrator and, when the settings name its
 * organisation (`authority.orgId`), through that organisation's data officers.
 */
export function actsForAuthority(s: DutiesSettings, p: Principal): boolean {
  if (p.roles.includes('secadmin')) return true;
  return s.authority.orgId !== null && s.authority.orgId === p.orgId && p.roles.includes('data_officer');
}
