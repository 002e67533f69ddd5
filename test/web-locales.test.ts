/**
 * The console names every monitoring setting: each field of each detector in the server's settings
 * has a label in Chinese and English, and each detector a name and a line saying what it watches
 * (web/src/locales/secops-settings.ts; the form is web/src/pages/secops/SettingsTab.tsx).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../src/modules/secops/secops.settings.ts';
import * as exchange from '../web/src/locales/exchange.ts';
import * as secops from '../web/src/locales/secops.ts';
import * as labels from '../web/src/locales/secops-settings.ts';
import * as telemetry from '../web/src/locales/telemetry.ts';

describe('monitoring settings labels', () => {
  const detectors = Object.entries(DEFAULT_SETTINGS.detectors);
  it.each(['zh', 'en'] as const)('label every detector and every field in %s', (lang) => {
    const dict: Record<string, string> = { ...secops[lang], ...telemetry[lang], ...exchange[lang], ...labels[lang] };
    const missing: string[] = [];
    for (const [d, fields] of detectors) {
      for (const key of [`secops.det.${d}`, `sset.det.${d}`]) if (!dict[key]) missing.push(key);
      for (const f of Object.keys(fields)) if (f !== 'enabled' && !dict[`sset.f.${d}.${f}`]) missing.push(`sset.f.${d}.${f}`);
    }
    expect(missing).toEqual([]);
    expect(detectors.length).toBeGreaterThan(10);
  });
});
