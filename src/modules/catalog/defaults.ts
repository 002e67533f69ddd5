/**
 * What a new catalogue entry says when its registrant leaves a field out: the API's defaults and the
 * console's form. Shared with the console (web/), so it imports nothing; catalog.service.ts checks it
 * against the row type.
 */
export const CATALOG_DEFAULTS = {
  summary: '',
  domain: '',
  category: '',
  format: '库表',
  share_type: 'conditional' as const,
  share_conditions: '',
  share_methods: ['api'] as ('api' | 'table' | 'file')[],
  open_type: 'none' as const,
  update_cycle: 'irregular' as const,
  related_codes: [] as string[],
  tags: [] as string[],
  contact: {} as { name?: string; phone?: string; email?: string },
  on_invalid: 'reject' as const,
};
