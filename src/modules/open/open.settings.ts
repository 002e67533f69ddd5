/**
 * Settings of opening, kept in `settings` ('open.settings') so every pdx process uses the same: the
 * thresholds a release must pass (the security administrator's, defaults k ≥ 5, l ≥ 2, suppression ≤ 5 %)
 * and the time a department has to decide a 有条件开放 application.
 */
import { z } from 'zod';
import { DEFAULT_THRESHOLDS } from './deid.ts';
import type { OpenRepo } from './open.repo.ts';

export const openSettingsSchema = z.object({
  k: z.number().int().min(2).max(1000).describe('每个等价类至少 k 行 / at least k rows per equivalence class'),
  l: z.number().int().min(1).max(100).describe('每个等价类的敏感属性至少 l 个不同值 / at least l distinct sensitive values per class'),
  maxSuppression: z.number().min(0).max(0.5).describe('最多抑制的行比例 / largest share of rows suppressed'),
  applicationDays: z.number().int().min(1).max(60).describe('有条件开放申请的答复时限（天）/ days a department has to decide an application'),
});

export type OpenSettings = z.infer<typeof openSettingsSchema>;

export const DEFAULT_OPEN_SETTINGS: OpenSettings = { ...DEFAULT_THRESHOLDS, applicationDays: 15 };

/** The settings in force: stored values over the defaults (a value that no longer parses is ignored). */
export async function loadOpenSettings(repo: Pick<OpenRepo, 'settings'>): Promise<OpenSettings> {
  const stored = openSettingsSchema.partial().safeParse((await repo.settings()) ?? {});
  return { ...DEFAULT_OPEN_SETTINGS, ...(stored.success ? stored.data : {}) };
}
