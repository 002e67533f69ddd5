/**
 * The official Chinese working-day calendar, 2024–2026: public holidays (放假) and the weekend days
 * worked instead (调休上班), exactly as the State Council's notices give them. Every other Saturday and
 * Sunday is a rest day, every other weekday a working day. The security administrator adds later
 * years (or local changes) as overrides in the duties settings; this table is not edited at run time.
 *
 * Sources (国务院办公厅关于部分节假日安排的通知):
 * - 2024: 国办发明电〔2023〕7号, 2023-10-25
 * - 2025: 国办发明电〔2024〕12号, 2024-11-12 (first year under the revised 全国年节及纪念日放假办法,
 *   国务院令第798号: 春节 and 劳动节 one day longer)
 * - 2026: 国办发明电〔2025〕7号, 2025-11-04
 */

export interface OfficialFestival {
  name: string;
  /** Inclusive ranges of days off, YYYY-MM-DD. */
  off: [string, string][];
  /** Weekend days that are working days (调休上班). */
  makeup: string[];
}

export interface OfficialYear {
  year: number;
  source: string;
  festivals: OfficialFestival[];
}

export const OFFICIAL_CALENDAR: readonly OfficialYear[] = [
  {
    year: 2024,
    source: '国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号）',
    festivals: [
      { name: '元旦', off: [['2024-01-01', '2024-01-01']], makeup: [] },
      { name: '春节', off: [['2024-02-10', '2024-02-17']], makeup: ['2024-02-04', '2024-02-18'] },
      { name: '清明节', off: [['2024-04-04', '2024-04-06']], makeup: ['2024-04-07'] },
      { name: '劳动节', off: [['2024-05-01', '2024-05-05']], makeup: ['2024-04-28', '2024-05-11'] },
      { name: '端午节', off: [['2024-06-10', '2024-06-10']], makeup: [] },
      { name: '中秋节', off: [['2024-09-15', '2024-09-17']], makeup: ['2024-09-14'] },
      { name: '国庆节', off: [['2024-10-01', '2024-10-07']], makeup: ['2024-09-29', '2024-10-12'] },
    ],
  },
  {
    year: 2025,
    source: '国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）',
    festivals: [
      { name: '元旦', off: [['2025-01-01', '2025-01-01']], makeup: [] },
      { name: '春节', off: [['2025-01-28', '2025-02-04']], makeup: ['2025-01-26', '2025-02-08'] },
      { name: '清明节', off: [['2025-04-04', '2025-04-06']], makeup: [] },
      { name: '劳动节', off: [['2025-05-01', '2025-05-05']], makeup: ['2025-04-27'] },
      { name: '端午节', off: [['2025-05-31', '2025-06-02']], makeup: [] },
      { name: '国庆节、中秋节', off: [['2025-10-01', '2025-10-08']], makeup: ['2025-09-28', '2025-10-11'] },
    ],
  },
  {
    year: 2026,
    source: '国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）',
    festivals: [
      { name: '元旦', off: [['2026-01-01', '2026-01-03']], makeup: ['2026-01-04'] },
      { name: '春节', off: [['2026-02-15', '2026-02-23']], makeup: ['2026-02-14', '2026-02-28'] },
      { name: '清明节', off: [['2026-04-04', '2026-04-06']], makeup: [] },
      { name: '劳动节', off: [['2026-05-01', '2026-05-05']], makeup: ['2026-05-09'] },
      { name: '端午节', off: [['2026-06-19', '2026-06-21']], makeup: [] },
      { name: '中秋节', off: [['2026-09-25', '2026-09-27']], makeup: [] },
      { name: '国庆节', off: [['2026-10-01', '2026-10-07']], makeup: ['2026-09-20', '2026-10-10'] },
    ],
  },
];
