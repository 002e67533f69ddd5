/** A count grouped in the console language's locale (zh-CN / en-US), whatever the browser's own locale is. */
export function formatNumber(value: number, lang: 'zh' | 'en'): string {
  return value.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-US');
}
