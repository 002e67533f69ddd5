/** All SQL of the egress module: its key in `settings`, with bound parameters. */
import type { Queryable } from '../../db/index.ts';

export const SETTINGS_KEY = 'egress.allow';

export function egressRepo(db: Queryable) {
  return {
    networks: async (): Promise<string[]> => {
      const value = (await db.query<{ value: { networks?: string[] } }>('SELECT value FROM settings WHERE key = $1', [SETTINGS_KEY]))[0]?.value;
      return value?.networks ?? [];
    },
    setNetworks: (networks: string[]) =>
      db.query(
        `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [SETTINGS_KEY, JSON.stringify({ networks })],
      ),
  };
}
