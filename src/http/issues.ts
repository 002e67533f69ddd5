/**
 * A zod validation issue as a person reads it, in Chinese and English, for the forms that show the
 * server's message next to the field it names (`details.issues` of a 400). zod's own messages are
 * English and name types ("expected int"); its Chinese locale mixes in type names and ASCII
 * punctuation, so pdx words the issue codes its settings schemas produce itself.
 */
import type { z } from 'zod';
import type { Message } from '../errors.ts';

/** One issue of a refused body: the field's dotted path (`calendar.2.date`) and what is wrong with it. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** What is wrong with the value, without the field's name (the form shows it beside the field). */
export function issueText(issue: z.core.$ZodIssue): Message {
  switch (issue.code) {
    case 'too_small': {
      const n = Number(issue.minimum);
      if (issue.origin === 'string') return n <= 1 ? { zh: '不能为空', en: 'must not be empty' } : { zh: `至少 ${n} 个字符`, en: `at least ${n} characters` };
      if (issue.origin === 'array' || issue.origin === 'set') return { zh: `至少 ${n} 项`, en: `at least ${n} items` };
      return issue.inclusive === false ? { zh: `应大于 ${n}`, en: `must be greater than ${n}` } : { zh: `不能小于 ${n}`, en: `must be at least ${n}` };
    }
    case 'too_big': {
      const n = Number(issue.maximum);
      if (issue.origin === 'string') return { zh: `最多 ${n} 个字符`, en: `at most ${n} characters` };
      if (issue.origin === 'array' || issue.origin === 'set') return { zh: `最多 ${n} 项`, en: `at most ${n} items` };
      return issue.inclusive === false ? { zh: `应小于 ${n}`, en: `must be less than ${n}` } : { zh: `不能大于 ${n}`, en: `must be at most ${n}` };
    }
    case 'invalid_type':
      if (issue.expected === 'int') return { zh: '应为整数', en: 'must be a whole number' };
      if (issue.expected === 'number') return { zh: '应为数字', en: 'must be a number' };
      if (issue.expected === 'string') return { zh: '应为文本', en: 'must be text' };
      return { zh: `类型不符（应为 ${issue.expected}）`, en: `must be of type ${issue.expected}` };
    case 'invalid_value':
      return { zh: `应为以下之一：${issue.values.map(String).join('、')}`, en: `must be one of: ${issue.values.map(String).join(', ')}` };
    case 'invalid_format':
      return { zh: `格式不符（${issue.format}）`, en: `must be in the ${issue.format} format` };
    case 'unrecognized_keys':
      return { zh: `不认识的字段：${issue.keys.join('、')}`, en: `unknown fields: ${issue.keys.join(', ')}` };
    case 'custom':
      // A refinement's own message (e.g. the date format it expects), said after "invalid".
      return { zh: `取值无效（${issue.message}）`, en: `invalid value (${issue.message})` };
    default:
      return { zh: '取值无效', en: issue.message };
  }
}

/** Every issue of a failed parse, worded in `lang`. */
export function fieldIssues(issues: readonly z.core.$ZodIssue[], lang: keyof Message): FieldIssue[] {
  return issues.map((i) => ({ field: i.path.map(String).join('.'), message: issueText(i)[lang] }));
}
