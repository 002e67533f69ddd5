/** What a refused duties settings body says: every wrong field with what is wrong, in the caller's language. */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.ts';
import { DEFAULT_DUTIES_SETTINGS, DUTIES_SETTINGS_JSON_SCHEMA, settingsInput } from './duties.settings.ts';

/** The error settingsInput throws for `input`. */
function refusal(input: unknown, lang: 'zh' | 'en' = 'zh'): AppError {
  try {
    settingsInput(input, lang);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('duties settings input', () => {
  it('accepts a body with defaults filled in', () => {
    expect(settingsInput({}, 'zh')).toEqual(DEFAULT_DUTIES_SETTINGS);
    const calendar = [
      { date: '2027-02-10', kind: 'holiday', name: '春节' },
      { date: '2027-02-20', kind: 'workday', name: '春节调休上班' },
    ];
    expect(settingsInput({ limits: { unconditional: 3 }, calendar }, 'en')).toMatchObject({ limits: { unconditional: 3, conditional: 10 }, calendar });
  });

  it('names every wrong field with what is wrong, in Chinese or English', () => {
    const body = {
      limits: { unconditional: 61, remindBefore: -1, maxExtension: 1.5, securityByType: { conditional: 0 } },
      calendar: [
        { date: '2027-02-30', kind: 'holiday', name: '春节' },
        { date: '2027-02-10', kind: 'rest', name: '' },
      ],
    };
    const zh = refusal(body, 'zh');
    expect(zh.status).toBe(400);
    expect(zh.code).toBe('invalid_settings');
    expect(zh.details).toEqual({
      field: 'limits.unconditional',
      issues: [
        { field: 'limits.unconditional', message: '不能大于 60' },
        { field: 'limits.securityByType.conditional', message: '不能小于 1' },
        { field: 'limits.maxExtension', message: '应为整数' },
        { field: 'limits.remindBefore', message: '不能小于 0' },
        { field: 'calendar.0.date', message: '取值无效（YYYY-MM-DD）' },
        { field: 'calendar.1.kind', message: '应为以下之一：holiday、workday' },
        { field: 'calendar.1.name', message: '不能为空' },
      ],
    });
    expect(zh.text.zh).toBe('设置无效：limits.unconditional 不能大于 60');
    const en = refusal(body, 'en');
    expect((en.details as { issues: { message: string }[] }).issues.map((i) => i.message)).toEqual([
      'must be at most 60',
      'must be at least 1',
      'must be a whole number',
      'must be at least 0',
      'invalid value (YYYY-MM-DD)',
      'must be one of: holiday, workday',
      'must not be empty',
    ]);
  });

  it('refuses a date given twice in the calendar, naming the later item', () => {
    const e = refusal({
      calendar: [
        { date: '2027-02-10', kind: 'holiday', name: '春节' },
        { date: '2027-02-11', kind: 'holiday', name: '春节' },
        { date: '2027-02-10', kind: 'workday', name: '调休' },
      ],
    });
    expect(e.details).toEqual({ field: 'calendar.2.date', issues: [{ field: 'calendar.2.date', message: '与第 1 项日期相同（2027-02-10）' }] });
  });

  it('describes the bounds and defaults of every limit for the console', () => {
    const limits = (
      DUTIES_SETTINGS_JSON_SCHEMA.properties as Record<string, { properties: Record<string, { default?: unknown; minimum?: number; maximum?: number }> }>
    ).limits!.properties;
    for (const [name, value] of Object.entries(DEFAULT_DUTIES_SETTINGS.limits)) {
      if (name === 'securityByType') continue;
      expect(limits[name], name).toMatchObject({ default: value, minimum: expect.any(Number), maximum: expect.any(Number) });
    }
  });
});
