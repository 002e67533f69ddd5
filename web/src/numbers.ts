/** A count grouped in the console language's locale (zh-CN / en-US), whatever the browser's own locale is. */
export function formatNumber(value: number, lang: 'zh' | 'en'): string {
  return value.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-US');
}

/**
 * A count short enough for a chart's axis: 1.2万 / 12K, below ten thousand as formatNumber. Axis
 * labels of full counts (120,000 beside 140,000) ran into each other on a phone.
 */
export function compactNumber(value: number, lang: 'zh' | 'en'): string {
  if (Math.abs(value) < 10_000) return formatNumber(value, lang);
  return new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(value);
}
