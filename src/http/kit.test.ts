import { describe, expect, it } from 'vitest';
import { errorResponses, errorSchema } from './kit.ts';

describe('the HTTP kit', () => {
  it('documents each error status of a route with the one error body', () => {
    const responses = errorResponses(400, 404, 429);
    expect(Object.keys(responses).sort()).toEqual(['400', '404', '429']);
    for (const schema of Object.values(responses)) expect(schema).toBe(errorSchema);
  });

  it('accepts the body every error answer has, and nothing without a code and message', () => {
    expect(errorSchema.safeParse({ error: { code: 'not_found', message: '数据集不存在', details: { field: 'code' } } }).success).toBe(true);
    expect(errorSchema.safeParse({ error: { message: 'no code' } }).success).toBe(false);
  });
});
