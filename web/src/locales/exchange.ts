/** Messages of database exchange (库表汇聚与交换). */
export const zh = {
  'secops.det.syncFailures': '库表同步或推送连续失败',
} as const;

export const en: Record<keyof typeof zh, string> = {
  'secops.det.syncFailures': 'Database sync or push failing repeatedly',
};
