/**
 * Terms of a grant on an interface (接口服务, issue 17): the operations the consumer may call. A
 * request names the operations asked for; the provider may grant fewer, never others. Response
 * fields are the resource's 信息项 and take their modes from the grant's columns like any column;
 * only clear, masked, pseudonym, redacted (free-text fields, issue 24) and hidden apply to them.
 */
import { z } from 'zod';
import { BadRequestError } from '../../errors.ts';
import type { GrantMode } from './access/compile.ts';

export const serviceTermsSchema = z.object({
  operations: z.array(z.string().min(1).max(64)).min(1).max(500).describe('授权调用的接口操作（operationId）'),
});
export type ServiceTerms = z.infer<typeof serviceTermsSchema>;

/** Modes a response field can be granted in. */
export const FIELD_MODES: ReadonlySet<GrantMode> = new Set(['clear', 'masked', 'pseudonym', 'redacted', 'hidden']);

function invalid(code: string, zh: string, en: string, details: Record<string, unknown>): BadRequestError {
  return new BadRequestError(code, { zh, en }, { field: 'operations', ...details });
}

/** Checks the operations asked for against those the interface has; returns them de-duplicated. */
export function checkOperations(asked: readonly string[] | undefined, known: readonly string[]): ServiceTerms {
  const ops = [...new Set(asked ?? [])];
  if (ops.length === 0)
    throw invalid(
      'operations_required',
      '申请接口服务须列出要调用的操作（operations）',
      'A request for an interface must list the operations (operations)',
      {},
    );
  for (const op of ops)
    if (!known.includes(op)) throw invalid('unknown_operation', `接口操作 ${op} 不存在`, `Operation ${op} does not exist`, { operation: op });
  return { operations: ops };
}

/** The provider's operations must be among the requested ones. */
export function narrowOperations(requested: ServiceTerms, granted: readonly string[] | undefined): ServiceTerms {
  if (granted === undefined) return requested;
  const ops = [...new Set(granted)];
  if (ops.length === 0) throw invalid('operations_required', '至少授权一个接口操作', 'Grant at least one operation', {});
  const extra = ops.filter((op) => !requested.operations.includes(op));
  if (extra.length)
    throw invalid('operation_not_requested', `未申请的接口操作：${extra.join('、')}`, `Operations not requested: ${extra.join(', ')}`, { operations: extra });
  return { operations: ops };
}

export function operationsNotApplicable(): BadRequestError {
  return new BadRequestError(
    'operations_not_applicable',
    { zh: 'operations 只适用于接口服务资源', en: 'operations applies to interfaces (services) only' },
    { field: 'operations' },
  );
}
